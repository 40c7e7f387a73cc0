import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'

/** The Node-only entries (`@mcpx/transformers/redis`, `@mcpx/transformers/node`) and what only they load. */
const NODE_ONLY = /^(redis|node\.ts$)/

it('imports nothing from node: and uses no Buffer in its root entry source (it runs on any JS runtime)', () => {
  const dir = join(import.meta.dirname, '../src')
  const offenders = readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.includes('.test') && !NODE_ONLY.test(file))
    .filter((file) => /from ['"]node:|\bBuffer\b/.test(readFileSync(join(dir, file), 'utf8')))
  expect(offenders).toEqual([])
})

it('imports nothing from node: and no Redis client in its built root entry', () => {
  const dist = readFileSync(join(import.meta.dirname, '../dist/index.js'), 'utf8')
  expect(dist).not.toMatch(/from ['"]node:|require\(['"]node:/)
  expect(dist).not.toMatch(/from ['"](redis|ioredis|@redis\/client)['"]/)
})
