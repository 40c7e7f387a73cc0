import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { acceptedIn, arrivals, play, probe } from '../test/algorithm-harness.js'
import { slidingWindow } from './sliding-window.js'

const params = fc.record({
  limit: fc.integer({ min: 1, max: 30 }),
  windowMs: fc.integer({ min: 1, max: 5000 }),
})

/**
 * The two-window counter written from scratch: the accepted cost of every
 * aligned window in a Map, the estimate read from it, and the retry time
 * found by trying every millisecond ahead rather than by formula.
 */
function reference(limit: number, windowMs: number) {
  const sums = new Map<number, number>()
  const estimateAt = (now: number, extra = 0) => {
    const index = Math.floor(now / windowMs)
    const f = (now - index * windowMs) / windowMs
    return (sums.get(index - 1) ?? 0) * (1 - f) + (sums.get(index) ?? 0) + extra
  }
  return (now: number, cost: number) => {
    const estimate = estimateAt(now)
    const allowed = estimate + cost <= limit
    const index = Math.floor(now / windowMs)
    if (allowed) sums.set(index, (sums.get(index) ?? 0) + cost)
    let retryAfterMs = 0
    if (!allowed && cost > limit) retryAfterMs = Infinity
    else if (!allowed) {
      retryAfterMs = 1
      while (estimateAt(now + retryAfterMs) + cost > limit) retryAfterMs++
    }
    const current = sums.get(index) ?? 0
    return {
      allowed,
      limit,
      remaining: Math.max(0, Math.floor(limit - estimate - (allowed ? cost : 0))),
      retryAfterMs,
      resetMs: (index + (current > 0 ? 2 : 1)) * windowMs - now,
    }
  }
}

describe('slidingWindow', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_750_000_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('keeps counting a later window when the clock stepped back: a spent window stays spent', () => {
    const window = slidingWindow({ limit: 10, windowMs: 60_000 })
    const now = Date.now()
    const index = Math.floor(now / 60_000)
    expect(probe(window, [index + 1, 10, 0], now, 1)).toMatchObject({ allowed: false })
  })

  it("weighs the previous window's count by the part of it still inside the window", () => {
    const window = slidingWindow({ limit: 10, windowMs: 1000 })
    const index = Math.floor(Date.now() / 1000)
    // 8 in the previous window, 0 in this one; a quarter of this one gone: estimate 6.
    vi.advanceTimersByTime(250)
    expect(probe(window, [index - 1, 8, 0], Date.now(), 4)).toMatchObject({
      allowed: true,
      remaining: 0,
    })
    expect(probe(window, [index - 1, 8, 0], Date.now(), 5)).toEqual({
      allowed: false,
      limit: 10,
      remaining: 4,
      // 5 passes once 8 · (1 − f) ≤ 5, at f = 3/8: 375 ms into the window, 125 ms from now.
      retryAfterMs: 125,
      resetMs: 750,
    })
  })

  it('forgets a state two or more windows old', () => {
    const window = slidingWindow({ limit: 10, windowMs: 1000 })
    const index = Math.floor(Date.now() / 1000)
    expect(probe(window, [index - 2, 10, 10], Date.now(), 10)).toMatchObject({ allowed: true })
    const next = [0, 0, 0]
    window.evaluate([index - 1, 4, 9], Date.now(), 1, probe(window, undefined, 0, 1), next)
    expect(next).toEqual([index, 1, 4])
  })

  it('sends a retry to the next window when this window alone is full', () => {
    const window = slidingWindow({ limit: 10, windowMs: 1000 })
    const index = Math.floor(Date.now() / 1000)
    vi.advanceTimersByTime(600)
    // 10 already in this window: 4 passes once 10 · (1 − g) ≤ 6 in the next, g = 0.4.
    expect(probe(window, [index, 10, 0], Date.now(), 4)).toMatchObject({
      allowed: false,
      remaining: 0,
      retryAfterMs: 400 + 400,
      resetMs: 1400,
    })
  })

  it('answers retryAfterMs Infinity for a cost above the limit', () => {
    const window = slidingWindow({ limit: 5, windowMs: 1000 })
    expect(probe(window, undefined, Date.now(), 6)).toMatchObject({
      allowed: false,
      remaining: 5,
      retryAfterMs: Infinity,
    })
  })

  it('is a frozen algorithm with its parameters and TTL', () => {
    const window = slidingWindow({ limit: 1000, windowMs: 3_600_000 })
    expect(Object.isFrozen(window)).toBe(true)
    expect(window).toMatchObject({
      kind: 'sliding-window',
      limit: 1000,
      windowMs: 3_600_000,
      params: [1000, 3_600_000],
      ttlMs: 7_201_000,
      stateSize: 3,
    })
  })

  it.each([
    [{ limit: -1, windowMs: 1000 }, 'slidingWindow() limit must be > 0'],
    [{ limit: 1, windowMs: 0.5 }, 'slidingWindow() windowMs must be an integer ≥ 1'],
    [{ limit: 1, windowMs: Infinity }, 'slidingWindow() windowMs must be an integer ≥ 1'],
  ])('rejects the options %o when it is made', (options, message) => {
    expect(() => slidingWindow(options)).toThrow(new TypeError(`[@mcpx/ratelimit] ${message}`))
  })
})

describe('slidingWindow properties', () => {
  it('accepts at most the limit in each aligned window', () => {
    fc.assert(
      fc.property(params, arrivals(3000), ({ limit, windowMs }, list) => {
        const outcomes = play(slidingWindow({ limit, windowMs }), list)
        for (const o of outcomes) {
          const start = Math.floor(o.at / windowMs) * windowMs
          expect(acceptedIn(outcomes, start, start + windowMs)).toBeLessThanOrEqual(limit)
        }
      }),
    )
  })

  it('accepts at most twice the limit in any interval of length windowMs', () => {
    fc.assert(
      fc.property(params, arrivals(3000), ({ limit, windowMs }, list) => {
        const outcomes = play(slidingWindow({ limit, windowMs }), list)
        for (const o of outcomes) {
          expect(acceptedIn(outcomes, o.at, o.at + windowMs)).toBeLessThanOrEqual(2 * limit)
        }
      }),
    )
  })

  it('accepts at most the limit per window when arrivals are uniform', () => {
    fc.assert(
      fc.property(
        params,
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 1e9 }),
        ({ limit, windowMs }, gap, start) => {
          const list = Array.from({ length: 150 }, (_, i) => ({ at: start + i * gap, cost: 1 }))
          const outcomes = play(slidingWindow({ limit, windowMs }), list)
          // Interval starts on an arrival; past the first window, the estimate is exact to
          // within the one message a window boundary splits.
          for (const o of outcomes) {
            if (o.at < start + windowMs) continue
            expect(acceptedIn(outcomes, o.at, o.at + windowMs)).toBeLessThanOrEqual(limit + 1)
          }
        },
      ),
    )
  })

  it('answers the retry time the check itself passes at, where floating point rounds the formula (a seed CI met)', () => {
    // limit 15, window 3957 ms, 15 accepted at one instant: the formula says 1319 ms into the
    // next window, exactly, where 15 · (1 − 1319 / 3957) + 5 comes out above 15 in doubles.
    const model = reference(15, 3957)
    const window = slidingWindow({ limit: 15, windowMs: 3957 })
    const list = [5, 5, 3, 2, 5].map((cost) => ({ at: 1_750_000_000_000, cost }))
    for (const o of play(window, list)) expect(o.decision).toEqual(model(o.at, o.cost))
  })

  it('agrees with a reference model, decision by decision', () => {
    fc.assert(
      fc.property(params, arrivals(3000), ({ limit, windowMs }, list) => {
        const model = reference(limit, windowMs)
        for (const o of play(slidingWindow({ limit, windowMs }), list)) {
          expect(o.decision).toEqual(model(o.at, o.cost))
        }
      }),
    )
  })
})
