import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'

/** The `@mcpx/auth/node` entry and what only it loads: scrypt is not in Web Crypto. */
const NODE_ONLY = new Set(['node.ts', 'basic.ts'])

it('imports nothing from node: and uses no Buffer in its source (it runs on any JS runtime)', () => {
  const dir = join(import.meta.dirname, '../src')
  const offenders = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(
      (file) =>
        file.endsWith('.ts') &&
        !file.includes('.test') &&
        !file.includes('test-fixtures') &&
        !NODE_ONLY.has(file),
    )
    .filter((file) => /from ['"]node:|\bBuffer\b/.test(readFileSync(join(dir, file), 'utf8')))
  expect(offenders).toEqual([])
})

it('imports nothing from node: in its built entry', () => {
  const dist = readFileSync(join(import.meta.dirname, '../dist/index.js'), 'utf8')
  expect(dist).not.toMatch(/from ['"]node:|require\(['"]node:/)
})
