import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'

/** The Node-only entry (`@mcpx/metrics/node`). */
const NODE_ONLY = /^node\.ts$/

it('imports nothing from node: and uses no Buffer in its root entry source (it runs on any JS runtime)', () => {
  const dir = join(import.meta.dirname, '../src')
  const offenders = readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.includes('.test') && !NODE_ONLY.test(file))
    .filter((file) =>
      /from ['"]node:|\bBuffer\b|\bprocess\./.test(readFileSync(join(dir, file), 'utf8')),
    )
  expect(offenders).toEqual([])
})

it('imports nothing from node: in its built root entry', () => {
  const dist = readFileSync(join(import.meta.dirname, '../dist/index.js'), 'utf8')
  expect(dist).not.toMatch(/from ['"]node:|require\(['"]node:/)
  expect(dist).not.toMatch(/\bprocess\.|\bBuffer\b/)
})
