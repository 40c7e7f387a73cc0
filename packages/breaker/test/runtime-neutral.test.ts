import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'

it('imports nothing from node: and uses no Buffer in its root entry source (it runs on any JS runtime)', () => {
  const dir = join(import.meta.dirname, '../src')
  const sources = readdirSync(dir).filter((file) => file.endsWith('.ts') && !file.includes('.test'))
  expect(sources).toContain('index.ts')
  const offenders = sources.filter((file) =>
    /from ['"]node:|require\(['"]node:|\bBuffer\b/.test(readFileSync(join(dir, file), 'utf8')),
  )
  expect(offenders).toEqual([])
})

const dist = join(import.meta.dirname, '../dist/index.js')

it('imports nothing from node: in its built root entry', () => {
  expect(readFileSync(dist, 'utf8')).not.toMatch(/from ['"]node:|require\(['"]node:/)
})
