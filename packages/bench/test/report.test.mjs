import { describe, expect, it } from 'vitest'
import { poolAcceptance } from '../src/lib/report.mjs'

/** @returns {import('../src/lib/report.mjs').Row} */
const row = (
  /** @type {string} */ target,
  /** @type {number} */ concurrency,
  reqPerSec = 0,
  cpu = 50,
) => ({
  upstream: 'min',
  target,
  role: 'mcpx',
  concurrency,
  status: 'ok',
  reqPerSec,
  cpuUsPerRequest: { proc: cpu, tree: cpu },
})

describe('poolAcceptance', () => {
  it('checks the shared pool against mcpx at each level, and states per-request throughput', () => {
    const rows = [
      row('mcpx', 8, 10_000),
      row('mcpx', 32, 15_000),
      row('mcpx-pool-shared', 8, 9_600, 52),
      row('mcpx-pool-shared', 32, 14_000),
      row('mcpx-pool-per-request-4', 32, 6_000),
    ]
    expect(poolAcceptance(rows, 'min')).toEqual([
      '- [x] c=8 mcpx-pool-shared req/s 9,600 is 0.960 × mcpx 10,000 (within 5 %: ≥ 0.95); proxy CPU 52 against 50 µs/req',
      '- [ ] c=32 mcpx-pool-shared req/s 14,000 is 0.933 × mcpx 15,000 (within 5 %: ≥ 0.95); proxy CPU 50 against 50 µs/req',
      '- c=32 mcpx-pool-per-request-4 req/s 6,000, 0.40 × mcpx (no bar)',
    ])
  })

  it('pairs targets listed several times by order, and decides by the median ratio', () => {
    const rows = [
      row('mcpx', 32, 10_000),
      row('mcpx-pool-shared', 32, 9_000),
      row('mcpx', 32, 12_000),
      row('mcpx-pool-shared', 32, 12_000),
      row('mcpx', 32, 10_000),
      row('mcpx-pool-shared', 32, 10_200),
    ]
    expect(poolAcceptance(rows, 'min')).toEqual([
      '- [x] c=32 mcpx-pool-shared / mcpx req/s, median of 3 pairs 1.000 (0.900, 1.000, 1.020) (within 5 %: ≥ 0.95)',
    ])
  })

  it('prints nothing for a run without the pool targets', () => {
    expect(poolAcceptance([row('mcpx', 32, 15_000)], 'min')).toEqual([])
  })
})
