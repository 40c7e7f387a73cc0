import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffDelay } from './backoff.js'

const backoff = { baseDelay: 100, maxDelay: 1_000, factor: 2, jitter: 1 }

describe('backoffDelay', () => {
  it('grows by factor per attempt up to maxDelay when no jitter is drawn', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, backoff, () => 0))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ])
  })

  it('takes no jitter at jitter 0, whatever random says', () => {
    const none = { ...backoff, jitter: 0 }
    expect([1, 2, 3].map((n) => backoffDelay(n, none, () => 0.99))).toEqual([100, 200, 400])
  })

  it('stays within [cap · (1 − jitter), cap] for any attempt and any draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (attempt, jitter, draw) => {
          const b = { ...backoff, jitter }
          const cap = Math.min(b.maxDelay, b.baseDelay * b.factor ** (attempt - 1))
          const delay = backoffDelay(attempt, b, () => draw)
          expect(delay).toBeGreaterThanOrEqual(Math.floor(cap * (1 - jitter)))
          expect(delay).toBeLessThanOrEqual(cap)
        },
      ),
    )
  })
})
