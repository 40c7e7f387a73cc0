import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatedConfigFiles, REGENERATE } from '../src/config-schema.js'

// The committed JSON Schema and reference page are generated from the zod schema: regenerated
// here in memory, they must be the committed files byte for byte.

const ROOT = join(import.meta.dirname, '..', '..', '..')
const read = (path: string) => {
  try {
    return readFileSync(join(ROOT, path), 'utf8')
  } catch {
    return undefined
  }
}

describe('the generated config files', () => {
  it.each(Object.entries(generatedConfigFiles()))('%s is up to date', (path, text) => {
    const committed = read(path)
    if (committed !== text) {
      expect.fail(`${path} is stale (or missing): run \`${REGENERATE}\` and commit the result`)
    }
  })

  it('the schema allows $schema at the top level and no unknown key', () => {
    const schema = JSON.parse(generatedConfigFiles()['apps/gateway/config.schema.json']!)
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(schema.properties.$schema).toMatchObject({ type: 'string' })
    expect(schema.additionalProperties).toBe(false)
  })
})
