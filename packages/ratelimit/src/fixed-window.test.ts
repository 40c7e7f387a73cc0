import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { acceptedIn, arrivals, play, probe } from '../test/algorithm-harness.js'
import { fixedWindow } from './fixed-window.js'

const params = fc.record({
  limit: fc.integer({ min: 1, max: 30 }),
  windowMs: fc.integer({ min: 1, max: 5000 }),
})

/** A fixed window written from scratch: the accepted cost of every window ever seen, in a Map. */
function reference(limit: number, windowMs: number) {
  const counts = new Map<number, number>()
  return (now: number, cost: number) => {
    const index = Math.floor(now / windowMs)
    const count = counts.get(index) ?? 0
    const allowed = count + cost <= limit
    if (allowed) counts.set(index, count + cost)
    const end = (index + 1) * windowMs
    return {
      allowed,
      limit,
      remaining: limit - (counts.get(index) ?? 0),
      retryAfterMs: allowed ? 0 : cost > limit ? Infinity : end - now,
      resetMs: end - now,
    }
  }
}

describe('fixedWindow', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_750_000_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('accepts up to the limit in a window, then refuses until the next one', () => {
    const window = fixedWindow({ limit: 3, windowMs: 1000 })
    vi.advanceTimersByTime(400)
    let state: number[] | undefined
    const seen = []
    for (let i = 0; i < 4; i++) {
      const out = probe(window, state, Date.now(), 1)
      if (out.allowed) state = [Math.floor(Date.now() / 1000), (state?.[1] ?? 0) + 1]
      seen.push(out)
    }
    expect(seen.map((d) => d.remaining)).toEqual([2, 1, 0, 0])
    expect(seen[3]).toEqual({
      allowed: false,
      limit: 3,
      remaining: 0,
      retryAfterMs: 600,
      resetMs: 600,
    })
    vi.advanceTimersByTime(600)
    expect(probe(window, state, Date.now(), 3)).toMatchObject({ allowed: true, remaining: 0 })
  })

  it('charges the cost, and counts a state of an earlier window as 0', () => {
    const window = fixedWindow({ limit: 10, windowMs: 60_000 })
    const index = Math.floor(Date.now() / 60_000)
    const next = [0, 0]
    const out = probe(window, [index, 4], Date.now(), 5)
    expect(out).toMatchObject({ allowed: true, remaining: 1 })
    window.evaluate([index - 1, 10], Date.now(), 5, out, next)
    expect(next).toEqual([index, 5])
  })

  it('keeps counting a later window when the clock stepped back: a spent window stays spent', () => {
    const window = fixedWindow({ limit: 10, windowMs: 60_000 })
    const index = Math.floor(Date.now() / 60_000)
    expect(probe(window, [index + 1, 10], Date.now(), 1)).toMatchObject({ allowed: false })
    expect(probe(window, [index + 1, 4], Date.now(), 1)).toMatchObject({
      allowed: true,
      remaining: 5,
    })
  })

  it('reports a whole remaining with a fractional cost', () => {
    const window = fixedWindow({ limit: 10, windowMs: 60_000 })
    expect(probe(window, undefined, Date.now(), 0.5).remaining).toBe(9)
  })

  it('answers retryAfterMs Infinity for a cost above the limit', () => {
    const window = fixedWindow({ limit: 5, windowMs: 1000 })
    expect(probe(window, undefined, Date.now(), 6)).toMatchObject({
      allowed: false,
      remaining: 5,
      retryAfterMs: Infinity,
    })
  })

  it('is a frozen algorithm with its parameters and TTL', () => {
    const window = fixedWindow({ limit: 100, windowMs: 60_000 })
    expect(Object.isFrozen(window)).toBe(true)
    expect(window).toMatchObject({
      kind: 'fixed-window',
      limit: 100,
      windowMs: 60_000,
      params: [100, 60_000],
      ttlMs: 61_000,
      stateSize: 2,
    })
  })

  it.each([
    [{ limit: 0, windowMs: 1000 }, 'fixedWindow() limit must be > 0'],
    [{ limit: Infinity, windowMs: 1000 }, 'fixedWindow() limit must be > 0'],
    [{ limit: 1, windowMs: 0 }, 'fixedWindow() windowMs must be an integer ≥ 1'],
    [{ limit: 1, windowMs: 1.5 }, 'fixedWindow() windowMs must be an integer ≥ 1'],
    [{ limit: 1, windowMs: Number.NaN }, 'fixedWindow() windowMs must be an integer ≥ 1'],
  ])('rejects the options %o when it is made', (options, message) => {
    expect(() => fixedWindow(options)).toThrow(new TypeError(`[@mcpx/ratelimit] ${message}`))
  })
})

describe('fixedWindow properties', () => {
  it('accepts at most the limit in each aligned window', () => {
    fc.assert(
      fc.property(params, arrivals(3000), ({ limit, windowMs }, list) => {
        const outcomes = play(fixedWindow({ limit, windowMs }), list)
        for (const o of outcomes) {
          const start = Math.floor(o.at / windowMs) * windowMs
          expect(acceptedIn(outcomes, start, start + windowMs)).toBeLessThanOrEqual(limit)
        }
      }),
    )
  })

  it('agrees with a reference model, decision by decision', () => {
    fc.assert(
      fc.property(params, arrivals(3000), ({ limit, windowMs }, list) => {
        const model = reference(limit, windowMs)
        for (const o of play(fixedWindow({ limit, windowMs }), list)) {
          expect(o.decision).toEqual(model(o.at, o.cost))
        }
      }),
    )
  })

  it('passes the same message once retryAfterMs has gone by, and not a millisecond before', () => {
    fc.assert(
      fc.property(params, arrivals(3000), ({ limit, windowMs }, list) => {
        const window = fixedWindow({ limit, windowMs })
        for (const o of play(window, list)) {
          const { allowed, retryAfterMs } = o.decision
          if (allowed || retryAfterMs === Infinity) continue
          expect(probe(window, o.before, o.at + retryAfterMs, o.cost).allowed).toBe(true)
          expect(probe(window, o.before, o.at + retryAfterMs - 1, o.cost).allowed).toBe(false)
        }
      }),
    )
  })
})
