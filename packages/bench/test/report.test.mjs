import { describe, expect, it } from 'vitest'
import { poolAcceptance } from '../src/lib/report.mjs'

/** @returns {import('../src/lib/report.mjs').Row} */
const row = (/** @type {string} */ target, /** @type {number} */ concurrency, reqPerSec = 0) => ({
  upstream: 'min',
  target,
  role: 'mcpx',
  concurrency,
  status: 'ok',
  reqPerSec,
})

describe('poolAcceptance', () => {
  it('checks the shared pool against mcpx at each level, and states per-request throughput', () => {
    const rows = [
      row('mcpx', 8, 10_000),
      row('mcpx', 32, 15_000),
      row('mcpx-pool-shared', 8, 9_600),
      row('mcpx-pool-shared', 32, 14_000),
      row('mcpx-pool-per-request-4', 32, 6_000),
    ]
    expect(poolAcceptance(rows, 'min')).toEqual([
      '- [x] c=8 mcpx-pool-shared req/s 9,600 is 0.960 × mcpx 10,000 (within 5 %: ≥ 0.95)',
      '- [ ] c=32 mcpx-pool-shared req/s 14,000 is 0.933 × mcpx 15,000 (within 5 %: ≥ 0.95)',
      '- c=32 mcpx-pool-per-request-4 req/s 6,000, 0.40 × mcpx (no bar)',
    ])
  })

  it('prints nothing for a run without the pool targets', () => {
    expect(poolAcceptance([row('mcpx', 32, 15_000)], 'min')).toEqual([])
  })
})
