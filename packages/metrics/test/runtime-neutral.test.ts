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

it('imports nothing from node: in its built root entry, nor in the chunks it shares', () => {
  const dir = join(import.meta.dirname, '../dist')
  const root = readFileSync(join(dir, 'index.js'), 'utf8')
  const chunks = [...root.matchAll(/from ['"]\.\/(chunk-[\w-]+\.js)['"]/g)].map(
    (m) => m[1] as string,
  )
  for (const text of [root, ...chunks.map((chunk) => readFileSync(join(dir, chunk), 'utf8'))]) {
    expect(text).not.toMatch(/from ['"]node:|require\(['"]node:/)
    expect(text).not.toMatch(/\bprocess\.|\bBuffer\b/)
  }
  expect(readFileSync(join(dir, 'index.cjs'), 'utf8')).not.toMatch(/require\(['"]node:/)
})
