import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { arrivals, decision, play, probe } from '../test/algorithm-harness.js'
import { tokenBucket } from './token-bucket.js'
import type { State } from './types.js'

const params = fc.record({
  capacity: fc.integer({ min: 1, max: 50 }),
  refillPerSecond: fc.oneof(
    fc.integer({ min: 1, max: 100 }),
    fc.double({ min: 0.1, max: 100, noNaN: true }),
  ),
})

/** The bucket as the issue states it, written from scratch: tokens and last update in an object. */
function reference(capacity: number, refillPerSecond: number) {
  let bucket: { tokens: number; at: number } | undefined
  const perMs = refillPerSecond / 1000
  return (now: number, cost: number) => {
    const tokens = bucket
      ? Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.at) * perMs)
      : capacity
    const allowed = cost <= tokens
    const left = allowed ? tokens - cost : tokens
    if (allowed) bucket = { tokens: left, at: now }
    let retryAfterMs = 0
    if (!allowed && cost > capacity) retryAfterMs = Infinity
    else if (!allowed) {
      // ceil(deficit / rate), and one more if the bucket would still be a hair short then.
      retryAfterMs = Math.ceil((cost - tokens) / perMs)
      const then = bucket!.tokens + Math.max(0, now + retryAfterMs - bucket!.at) * perMs
      if (then < cost) retryAfterMs++
    }
    return {
      allowed,
      limit: capacity,
      remaining: Math.floor(left),
      retryAfterMs,
      resetMs: Math.ceil((capacity - left) / perMs),
    }
  }
}

describe('tokenBucket', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_750_000_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('starts full, takes the cost of each message, and refuses when empty', () => {
    const bucket = tokenBucket({ capacity: 3, refillPerSecond: 1 })
    let state: State | undefined
    const remaining: number[] = []
    for (let i = 0; i < 4; i++) {
      const out = decision()
      const next = [0, 0]
      if (bucket.evaluate(state, Date.now(), 1, out, next)) state = next
      remaining.push(out.allowed ? out.remaining : -1)
    }
    expect(remaining).toEqual([2, 1, 0, -1])
    expect(probe(bucket, state, Date.now(), 1)).toEqual({
      allowed: false,
      limit: 3,
      remaining: 0,
      retryAfterMs: 1000,
      resetMs: 3000,
    })
  })

  it('refills continuously at refillPerSecond, up to the capacity', () => {
    const bucket = tokenBucket({ capacity: 10, refillPerSecond: 4 })
    const state = [0, Date.now()]
    vi.advanceTimersByTime(250)
    expect(probe(bucket, state, Date.now(), 1)).toMatchObject({ allowed: true, remaining: 0 })
    vi.advanceTimersByTime(1250)
    expect(probe(bucket, state, Date.now(), 6)).toMatchObject({ allowed: true, remaining: 0 })
    vi.advanceTimersByTime(60_000)
    expect(probe(bucket, state, Date.now(), 1)).toMatchObject({ remaining: 9, resetMs: 250 })
  })

  it('answers retryAfterMs Infinity for a cost above the capacity, and never charges it', () => {
    const bucket = tokenBucket({ capacity: 5, refillPerSecond: 1 })
    const next = [Number.NaN, Number.NaN]
    const out = decision()
    expect(bucket.evaluate(undefined, Date.now(), 6, out, next)).toBe(false)
    expect(out).toMatchObject({ allowed: false, remaining: 5, retryAfterMs: Infinity, resetMs: 0 })
    expect(next).toEqual([Number.NaN, Number.NaN])
  })

  it('treats a clock that went back as no time passed', () => {
    const bucket = tokenBucket({ capacity: 2, refillPerSecond: 1 })
    const state = [0, Date.now()]
    expect(probe(bucket, state, Date.now() - 5000, 1).allowed).toBe(false)
  })

  it('is a frozen algorithm with its parameters, window and TTL', () => {
    const bucket = tokenBucket({ capacity: 20, refillPerSecond: 3 })
    expect(Object.isFrozen(bucket)).toBe(true)
    expect(bucket).toMatchObject({
      kind: 'token-bucket',
      limit: 20,
      params: [20, 3],
      windowMs: 6667,
      ttlMs: 7667,
      stateSize: 2,
    })
  })

  it.each([
    [{ capacity: 0, refillPerSecond: 1 }, 'tokenBucket() capacity must be > 0'],
    [{ capacity: Infinity, refillPerSecond: 1 }, 'tokenBucket() capacity must be > 0'],
    [{ capacity: 1, refillPerSecond: -1 }, 'tokenBucket() refillPerSecond must be > 0'],
    [{ capacity: 1, refillPerSecond: Number.NaN }, 'tokenBucket() refillPerSecond must be > 0'],
    [{ capacity: '5', refillPerSecond: 1 }, 'tokenBucket() capacity must be > 0'],
  ])('rejects the options %o when it is made', (options, message) => {
    expect(() => tokenBucket(options as never)).toThrow(
      new TypeError(`[@mcpx/ratelimit] ${message}`),
    )
  })
})

describe('tokenBucket properties', () => {
  it('accepts at most capacity + rate · T in any [t, t + T]', () => {
    fc.assert(
      fc.property(params, arrivals(400), ({ capacity, refillPerSecond }, list) => {
        const outcomes = play(tokenBucket({ capacity, refillPerSecond }), list)
        const accepted = outcomes.filter((o) => o.decision.allowed)
        for (let i = 0; i < accepted.length; i++) {
          let sum = 0
          for (let j = i; j < accepted.length; j++) {
            sum += accepted[j]!.cost
            const span = accepted[j]!.at - accepted[i]!.at
            expect(sum).toBeLessThanOrEqual(capacity + (refillPerSecond * span) / 1000 + 1e-9)
          }
        }
      }),
    )
  })

  it('agrees with a reference model, decision by decision', () => {
    fc.assert(
      fc.property(params, arrivals(400), ({ capacity, refillPerSecond }, list) => {
        const model = reference(capacity, refillPerSecond)
        const outcomes = play(tokenBucket({ capacity, refillPerSecond }), list)
        for (const o of outcomes) expect(o.decision).toEqual(model(o.at, o.cost))
      }),
    )
  })

  // Not to the millisecond: (cost − tokens) / rate in floating point can come out a hair
  // above an integer that is exact (0.91 / 0.001 = 910.0000000000002), and ceil adds 1 ms.
  it('passes the same message once retryAfterMs has gone by, and not 2 ms before', () => {
    fc.assert(
      fc.property(params, arrivals(400), ({ capacity, refillPerSecond }, list) => {
        const bucket = tokenBucket({ capacity, refillPerSecond })
        for (const o of play(bucket, list)) {
          const { retryAfterMs } = o.decision
          if (o.decision.allowed || retryAfterMs === Infinity) continue
          // The state the refusal saw is the one before it, or (for the first) none.
          const state = o.before
          expect(probe(bucket, state, o.at + retryAfterMs, o.cost).allowed).toBe(true)
          if (retryAfterMs > 2) {
            expect(probe(bucket, state, o.at + retryAfterMs - 2, o.cost).allowed).toBe(false)
          }
        }
      }),
    )
  })

  it('evaluates the same in place (next === state) as into a separate array', () => {
    fc.assert(
      fc.property(params, arrivals(400), ({ capacity, refillPerSecond }, list) => {
        const bucket = tokenBucket({ capacity, refillPerSecond })
        const inPlace = [0, 0]
        let fresh = true
        for (const o of play(bucket, list)) {
          const out = decision()
          bucket.evaluate(fresh ? undefined : inPlace, o.at, o.cost, out, inPlace)
          fresh &&= !out.allowed
          expect(out).toEqual(o.decision)
        }
      }),
    )
  })
})
