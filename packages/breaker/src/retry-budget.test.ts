import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { createRetryBudget } from './retry-budget.js'

/** A clock the test moves by hand. */
function clock(start = 0) {
  let t = start
  return {
    now: () => t,
    advance(ms: number) {
      t += ms
    },
    set(ms: number) {
      t = ms
    },
  }
}

/**
 * One request against an upstream that always fails, retried up to
 * `maxRetries` times while the budget allows: returns the attempts made.
 */
function failingRequest(budget: ReturnType<typeof createRetryBudget>, maxRetries: number) {
  budget.onRequest()
  let attempts = 1
  for (let retry = 0; retry < maxRetries && budget.tryRetry(); retry++) attempts++
  return attempts
}

describe('createRetryBudget', () => {
  it('keeps 10,000 requests to an always-failing upstream within 1.2 × requests + the minimum', () => {
    const time = clock()
    const budget = createRetryBudget({ now: time.now })
    let attempts = 0
    for (let i = 0; i < 10_000; i++) attempts += failingRequest(budget, 3)
    expect(attempts).toBeLessThanOrEqual(1.2 * 10_000 + 10)
    // The bound is reached, not undercut by a budget that refuses everything.
    expect(attempts).toBeGreaterThanOrEqual(1.2 * 10_000 + 10 - 3)
  })

  it('keeps a long run within 1.2 × requests plus the minimum once per window it spans', () => {
    const time = clock(1_750_000_000_000)
    const budget = createRetryBudget({ ratio: 0.2, minRetries: 10, window: 10_000, now: time.now })
    let attempts = 0
    // 10,000 requests, one every 7 ms: 70 s, so 8 windows at most.
    for (let i = 0; i < 10_000; i++) {
      attempts += failingRequest(budget, 3)
      time.advance(7)
    }
    const windows = Math.floor((9_999 * 7) / 10_000) + 1
    expect(attempts).toBeLessThanOrEqual(1.2 * 10_000 + 10 * windows)
    expect(budget.granted).toBe(attempts - 10_000)
  })

  it('grants the minimum at low traffic, then refuses', () => {
    const budget = createRetryBudget({ minRetries: 3, now: clock().now })
    budget.onRequest()
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, true])
    expect(budget.tryRetry()).toBe(false)
    expect({ granted: budget.granted, denied: budget.denied }).toEqual({ granted: 3, denied: 1 })
  })

  it('grants nothing with ratio 0 and minRetries 0', () => {
    const budget = createRetryBudget({ ratio: 0, minRetries: 0, now: clock().now })
    for (let i = 0; i < 100; i++) budget.onRequest()
    expect(budget.tryRetry()).toBe(false)
  })

  it('earns ratio × requests retries, and one more only with more requests', () => {
    const budget = createRetryBudget({ ratio: 0.2, minRetries: 0, now: clock().now })
    for (let i = 0; i < 10; i++) budget.onRequest()
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false])
    for (let i = 0; i < 5; i++) budget.onRequest()
    expect(budget.tryRetry()).toBe(true)
  })

  it('still counts a request 0.9 window after it was offered', () => {
    const time = clock()
    const budget = createRetryBudget({ ratio: 1, minRetries: 0, window: 10_000, now: time.now })
    budget.onRequest()
    time.set(8_999)
    expect(budget.tryRetry()).toBe(true)
  })

  it('ages a request out of the window: its credit is gone a window later', () => {
    const time = clock()
    const budget = createRetryBudget({ ratio: 1, minRetries: 0, window: 10_000, now: time.now })
    budget.onRequest()
    time.set(10_000)
    expect(budget.tryRetry()).toBe(false)
  })

  it('counts a granted retry for a whole window, even after the requests that paid for it aged out', () => {
    const time = clock(999)
    const budget = createRetryBudget({ ratio: 1, minRetries: 0, window: 10_000, now: time.now })
    budget.onRequest()
    expect(budget.tryRetry()).toBe(true)
    time.set(10_500)
    budget.onRequest()
    // The request at 999 no longer counts (9,501 ms on), the retry at 999 still does: 2 > 1.
    expect(budget.tryRetry()).toBe(false)
    time.set(11_000)
    expect(budget.tryRetry()).toBe(true)
  })

  it('forgets everything after a long idle gap', () => {
    const time = clock()
    const budget = createRetryBudget({ ratio: 1, minRetries: 0, window: 1_000, now: time.now })
    for (let i = 0; i < 5; i++) budget.onRequest()
    time.advance(60_000)
    budget.onRequest()
    expect([budget.tryRetry(), budget.tryRetry()]).toEqual([true, false])
  })

  it('takes a clock that steps back as standing still', () => {
    const time = clock(50_000)
    const budget = createRetryBudget({ ratio: 1, minRetries: 0, window: 10_000, now: time.now })
    budget.onRequest()
    time.set(20_000)
    expect([budget.tryRetry(), budget.tryRetry()]).toEqual([true, false])
  })

  it('takes a clock that reads NaN or Infinity as standing still', () => {
    let t = 5_000
    const budget = createRetryBudget({ ratio: 0.5, minRetries: 0, window: 10_000, now: () => t })
    budget.onRequest()
    t = Number.NaN
    budget.onRequest()
    t = Number.POSITIVE_INFINITY
    budget.onRequest()
    t = 5_000
    // All three counted at 5,000: 0.5 × 3 allows one retry.
    expect([budget.tryRetry(), budget.tryRetry()]).toEqual([true, false])
    // And they age out once the clock moves on: one new request earns half a retry.
    t = 30_000
    budget.onRequest()
    expect(budget.tryRetry()).toBe(false)
  })

  it('reads the clock once per call', () => {
    const now = vi.fn(() => 0)
    const budget = createRetryBudget({ now })
    budget.onRequest()
    budget.tryRetry()
    expect(now).toHaveBeenCalledTimes(2)
  })

  it('follows Date.now() by default, so fake timers drive it', () => {
    vi.useFakeTimers({ now: 0 })
    try {
      const budget = createRetryBudget({ ratio: 1, minRetries: 0, window: 1_000 })
      budget.onRequest()
      vi.advanceTimersByTime(1_000)
      expect(budget.tryRetry()).toBe(false)
    } finally {
      vi.useRealTimers()
    }
  })

  it.each([
    [{ ratio: -0.1 }, 'ratio must be a finite number ≥ 0'],
    [{ ratio: Number.NaN }, 'ratio must be a finite number ≥ 0'],
    [{ minRetries: 1.5 }, 'minRetries must be an integer ≥ 0'],
    [{ minRetries: -1 }, 'minRetries must be an integer ≥ 0'],
    [{ window: 5 }, 'window must be an integer ≥ 10'],
    [{ window: 1_000.5 }, 'window must be an integer ≥ 10'],
    [{ now: 0 }, 'now must be a function'],
  ])('refuses %o when it is made', (options, message) => {
    expect(() => createRetryBudget(options as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', message: `[@mcpx/breaker] ${message}` }),
    )
  })

  it('never grants more than ratio × requests + minRetries in the trailing window (property)', () => {
    const step = fc.record({
      dt: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 3_000 }),
      ),
      requests: fc.integer({ min: 0, max: 8 }),
      retries: fc.integer({ min: 0, max: 8 }),
    })
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 10, max: 5_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(step, { maxLength: 200 }),
        (ratio, minRetries, window, start, steps) => {
          let t = start
          const budget = createRetryBudget({ ratio, minRetries, window, now: () => t })
          const requestTimes: number[] = []
          const grantTimes: number[] = []
          const inWindow = (times: number[]) => times.filter((at) => at > t - window).length
          for (const { dt, requests, retries } of steps) {
            t += dt
            for (let i = 0; i < requests; i++) {
              budget.onRequest()
              requestTimes.push(t)
            }
            for (let i = 0; i < retries; i++) {
              if (!budget.tryRetry()) continue
              grantTimes.push(t)
              expect(inWindow(grantTimes)).toBeLessThanOrEqual(
                ratio * inWindow(requestTimes) + minRetries,
              )
            }
          }
          // Over the whole run: the minimum once per window spanned (1e-9: the per-window
          // products are rounded separately from the total's).
          const span = t - start
          expect(grantTimes.length).toBeLessThanOrEqual(
            ratio * requestTimes.length + minRetries * (Math.floor(span / window) + 1) + 1e-9,
          )
        },
      ),
      { numRuns: 300 },
    )
  })
})
