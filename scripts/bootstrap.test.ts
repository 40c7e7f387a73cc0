// The bootstrap's argument checks, which run before any install (the tasks themselves are what
// `npm test` and CI run; the examples' own tests are apps/examples/test).
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const bootstrap = join(dirname(fileURLToPath(import.meta.url)), 'bootstrap.mjs')
const examples = [
  'custom-middleware',
  'embed-in-existing-server',
  'multi-replica',
  'multi-upstream',
  'observability',
]

function bootstrapWith(...args: string[]) {
  return spawnSync(process.execPath, [bootstrap, ...args], { encoding: 'utf8', timeout: 10_000 })
}

describe('scripts/bootstrap.mjs', () => {
  it('refuses an unknown task with its usage and exit code 2', () => {
    const result = bootstrapWith('deploy')
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('usage: node scripts/bootstrap.mjs <test|start|example>')
  })

  it('lists every example when `example` is given no name, and exits 2', () => {
    const result = bootstrapWith('example')
    expect(result.status).toBe(2)
    expect(result.stderr).toContain(`usage: npm run example -- <${examples.join('|')}> [args...]`)
  })

  it('refuses an unknown example name the same way, before installing anything', () => {
    const result = bootstrapWith('example', 'multi-replicas')
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('custom-middleware|')
  })
})
