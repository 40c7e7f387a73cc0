import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fixedWindow } from './fixed-window.js'
import { memoryStore } from './memory-store.js'
import { slidingWindow } from './sliding-window.js'
import { tokenBucket } from './token-bucket.js'
import type { Check } from './types.js'

const bucket = tokenBucket({ capacity: 3, refillPerSecond: 1 })
const global = fixedWindow({ limit: 5, windowMs: 1000 })
const check = (limitId: string, algorithm = bucket, key = 'client-1', cost = 1): Check => ({
  limitId,
  algorithm,
  key,
  cost,
})

describe('memoryStore', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_750_000_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('answers one decision per check, in order, and charges each', () => {
    const store = memoryStore()
    const checks = [check('global', global, 'global'), check('client')]
    expect(store.consume(checks).map((d) => d.remaining)).toEqual([4, 2])
    expect(store.consume(checks).map((d) => d.remaining)).toEqual([3, 1])
    store.close()
  })

  it('charges nothing when one check refuses (atomic)', () => {
    const store = memoryStore()
    const client = check('client', bucket, 'client-1', 3)
    const globalCheck = check('global', global, 'global', 1)
    expect(store.consume([globalCheck, client]).map((d) => d.allowed)).toEqual([true, true])
    // The client's bucket is empty: the global window must not be charged for the refusal.
    const refused = store.consume([globalCheck, client])
    expect(refused.map((d) => d.allowed)).toEqual([true, false])
    expect(refused[0]!.remaining).toBe(3)
    expect(store.consume([globalCheck]).map((d) => d.remaining)).toEqual([3])
    store.close()
  })

  it('applies two checks of one limit and key in turn, within one call', () => {
    const store = memoryStore()
    const twice = [check('client', bucket, 'a', 2), check('client', bucket, 'a', 1)]
    expect(store.consume(twice).map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 1],
      [true, 0],
    ])
    expect(store.consume([check('client', bucket, 'a')])[0]!.allowed).toBe(false)
    // A refused first check leaves the second to start from the stored state.
    const store2 = memoryStore()
    const over = [check('client', bucket, 'b', 4), check('client', bucket, 'b', 3)]
    expect(store2.consume(over).map((d) => [d.allowed, d.remaining])).toEqual([
      [false, 3],
      [true, 0],
    ])
    expect(store2.consume([check('client', bucket, 'b', 3)])[0]!.allowed).toBe(true)
    store.close()
    store2.close()
  })

  it('keeps keys of different limits apart', () => {
    const store = memoryStore()
    store.consume([check('a', bucket, 'k', 3)])
    expect(store.consume([check('b', bucket, 'k', 3)])[0]!.allowed).toBe(true)
    expect(store.consume([check('a', bucket, 'k', 1)])[0]!.allowed).toBe(false)
    store.close()
  })

  it('follows fake time through its cached clock', () => {
    const store = memoryStore()
    const take = [check('client', bucket, 'k', 3)]
    expect(store.consume(take)[0]!.allowed).toBe(true)
    expect(store.consume(take)[0]).toMatchObject({ allowed: false, retryAfterMs: 3000 })
    vi.advanceTimersByTime(2000)
    expect(store.consume(take)[0]).toMatchObject({ allowed: false, retryAfterMs: 1000 })
    vi.advanceTimersByTime(1000)
    expect(store.consume(take)[0]!.allowed).toBe(true)
    store.close()
  })

  it('uses an injected clock', () => {
    let now = 0
    const store = memoryStore({ now: () => now })
    const windowCheck = [check('w', fixedWindow({ limit: 1, windowMs: 100 }), 'k')]
    expect(store.consume(windowCheck)[0]!.allowed).toBe(true)
    expect(store.consume(windowCheck)[0]).toMatchObject({ allowed: false, retryAfterMs: 100 })
    now = 100
    expect(store.consume(windowCheck)[0]!.allowed).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('evaluates a state idle past its TTL as new, with no timer per key', () => {
    const store = memoryStore()
    const sliding = [check('s', slidingWindow({ limit: 2, windowMs: 1000 }), 'k', 2)]
    store.consume(sliding)
    expect(store.consume(sliding)[0]!.allowed).toBe(false)
    expect(vi.getTimerCount()).toBe(1) // the clock's, not the key's
    vi.advanceTimersByTime(3000)
    expect(store.consume(sliding)[0]).toMatchObject({ allowed: true, remaining: 0 })
    store.close()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('reuses the returned array and its decisions on a repeat key (allocation-free)', () => {
    const store = memoryStore()
    const checks = [check('global', global, 'global'), check('client')]
    const first = store.consume(checks)
    const [a, b] = first
    const second = store.consume(checks)
    expect(second).toBe(first)
    expect(second[0]).toBe(a)
    expect(second[1]).toBe(b)
    // A refusal reuses them too.
    for (let i = 0; i < 5; i++) store.consume(checks)
    expect(store.consume(checks)).toBe(first)
    expect(store.consume([checks[0]!]).length).toBe(1)
    expect(store.consume(checks)).toBe(first)
    store.close()
  })

  it('updates a stored state in place rather than replacing it', () => {
    const store = memoryStore()
    // A new key stores a copy of the scratch state; a repeat key writes into that copy.
    const spy = vi.spyOn(Array.prototype, 'slice')
    store.consume([check('client', bucket, 'k')])
    const afterFirst = spy.mock.calls.length
    store.consume([check('client', bucket, 'k')])
    store.consume([check('client', bucket, 'k')])
    expect(spy.mock.calls.length).toBe(afterFirst)
    spy.mockRestore()
    store.close()
  })

  it('holds at most maxKeys keys per limit under 1,000,000 distinct keys', () => {
    const store = memoryStore({ maxKeys: 1000 })
    const client = { limitId: 'client', algorithm: bucket, key: '', cost: 1 }
    const tool = { limitId: 'tool', algorithm: global, key: '', cost: 1 }
    const checks = [client, tool]
    for (let i = 0; i < 1_000_000; i++) {
      client.key = `client-${i}`
      tool.key = `tool-${i % 5000}`
      store.consume(checks)
      if (i % 100_000 === 0) {
        expect(store.size('client')).toBeLessThanOrEqual(1000)
        expect(store.size('tool')).toBeLessThanOrEqual(1000)
      }
    }
    expect(store.size('client')).toBe(1000)
    expect(store.size('tool')).toBe(1000)
    expect(store.size('unknown')).toBe(0)
    // The most recent keys are the ones kept: client-999999 has been charged once.
    client.key = 'client-999999'
    expect(store.consume([client])[0]!.remaining).toBe(1)
    store.close()
  })

  it('refuses one limit id used with two kinds of algorithm', () => {
    const store = memoryStore()
    store.consume([check('x', bucket)])
    expect(() => store.consume([check('x', global)])).toThrow(
      new TypeError('[@mcpx/ratelimit] limit "x" is used with both token-bucket and fixed-window'),
    )
    store.close()
  })

  it.each([0, -1, 1.5, Number.NaN, Infinity, 1_000_001, 2 ** 31 - 1])(
    'rejects maxKeys %s when it is made',
    (maxKeys) => {
      expect(() => memoryStore({ maxKeys })).toThrow(
        new TypeError(
          '[@mcpx/ratelimit] memoryStore() maxKeys must be an integer from 1 to 1000000',
        ),
      )
    },
  )

  it('takes maxKeys 1,000,000, the most whose table it allocates', () => {
    const store = memoryStore({ maxKeys: 1_000_000 })
    expect(store.consume([check('x', global)])[0]).toMatchObject({ allowed: true })
    store.close()
  })
})
