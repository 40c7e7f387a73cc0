import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'

it('imports nothing from node: in its source (it runs on any JS runtime)', () => {
  const dir = join(import.meta.dirname, '../src')
  const offenders = readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.includes('.test'))
    .filter((file) => /from ['"]node:/.test(readFileSync(join(dir, file), 'utf8')))
  expect(offenders).toEqual([])
})
