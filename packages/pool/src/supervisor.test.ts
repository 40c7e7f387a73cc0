import { backoffDelay } from '@mcpx/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSupervisor, type SupervisorState } from './supervisor.js'

/** mulberry32: a seeded random in [0, 1), so jittered delays are reproducible. */
function seeded(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createSupervisor', () => {
  it('restarts with growing delays within the jitter bounds, then moves to starting by itself', () => {
    const s = createSupervisor({
      baseDelay: 100,
      factor: 2,
      maxDelay: 1_000,
      crashLoop: { failures: 10, windowMs: 600_000 },
      random: seeded(42),
    })
    const kinds: string[] = []
    s.onChange((state) => kinds.push(state.kind))
    const caps = [100, 200, 400, 800, 1_000, 1_000]
    const delays: number[] = []
    for (const cap of caps) {
      s.started()
      const decision = s.exited(1)
      expect(decision.action).toBe('restart')
      const delay = decision.action === 'restart' ? decision.delay : -1
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThanOrEqual(cap)
      delays.push(delay)
      vi.advanceTimersByTime(Math.max(0, delay - 1))
      expect(s.state.kind).toBe(delay === 0 ? 'starting' : 'backing-off')
      vi.advanceTimersByTime(1)
      expect(s.state).toEqual({ kind: 'starting', attempt: delays.length })
    }
    expect(new Set(delays).size).toBeGreaterThan(1)
    expect(s.restarts).toBe(5)
    expect(kinds.slice(0, 4)).toEqual(['backing-off', 'starting', 'backing-off', 'starting'])
  })

  it('follows backoffDelay exactly for the same seed, and jitter 0 gives the capped exponential', () => {
    const options = { baseDelay: 50, factor: 3, maxDelay: 2_000, jitter: 0.5 }
    const s = createSupervisor({ ...options, crashLoop: { failures: 9 }, random: seeded(7) })
    const reference = seeded(7)
    for (let failures = 1; failures <= 5; failures++) {
      const decision = s.exited(1)
      const cap = Math.min(2_000, 50 * 3 ** (failures - 1))
      expect(decision).toEqual({
        action: 'restart',
        delay: backoffDelay(failures, options, reference),
      })
      if (decision.action === 'restart') {
        expect(decision.delay).toBeGreaterThanOrEqual(cap / 2)
        expect(decision.delay).toBeLessThanOrEqual(cap)
      }
      vi.runOnlyPendingTimers()
    }
    const none = { baseDelay: 100, factor: 2, maxDelay: 500, jitter: 0 }
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, none, Math.random))).toEqual([
      100, 200, 400, 500, 500,
    ])
  })

  it('reaches failed after crashLoop.failures exits within the window and restarts no more', () => {
    const s = createSupervisor({ baseDelay: 10, crashLoop: { failures: 3, windowMs: 60_000 } })
    const changes: SupervisorState[] = []
    s.onChange((state) => changes.push(state))
    for (let i = 0; i < 2; i++) {
      s.started()
      expect(s.exited(1).action).toBe('restart')
      vi.runOnlyPendingTimers()
    }
    s.started()
    expect(s.exited(1)).toEqual({ action: 'stop', reason: 'crash-loop' })
    expect(s.state).toEqual({ kind: 'failed', failures: 3, windowMs: 60_000, code: 1 })
    expect(vi.getTimerCount()).toBe(0)
    expect(changes.map((c) => c.kind)).toEqual([
      'backing-off',
      'starting',
      'backing-off',
      'starting',
      'failed',
    ])
    expect(() => s.started()).toThrow(/started\(\) while failed/)
    s.restart()
    expect(s.state).toEqual({ kind: 'starting', attempt: 1 })
    expect(s.failures).toBe(0)
  })

  it('does not count exits that fell out of the crash-loop window', () => {
    const s = createSupervisor({ baseDelay: 10, crashLoop: { failures: 3, windowMs: 1_000 } })
    for (let i = 0; i < 6; i++) {
      expect(s.exited(1).action).toBe('restart')
      vi.advanceTimersByTime(600) // two exits per window at most
    }
    expect(s.state.kind).toBe('starting')
  })

  it('forgets the failures once the child was ready for stableAfter, not before', () => {
    const s = createSupervisor({
      baseDelay: 100,
      jitter: 0,
      stableAfter: 5_000,
      crashLoop: { failures: 3 },
    })
    s.exited(1)
    vi.runOnlyPendingTimers()
    s.exited(1)
    vi.runOnlyPendingTimers()
    expect(s.failures).toBe(2)
    s.started()
    s.ready()
    vi.advanceTimersByTime(4_999)
    expect(s.failures).toBe(2)
    vi.advanceTimersByTime(1)
    expect(s.failures).toBe(0)
    // The crash-loop history went too, and the delay starts over at baseDelay.
    expect(s.exited(1)).toEqual({ action: 'restart', delay: 100 })
  })

  it('keeps the failures when the child dies before stableAfter', () => {
    const s = createSupervisor({ jitter: 0, stableAfter: 5_000, crashLoop: { failures: 2 } })
    s.exited(1)
    vi.runOnlyPendingTimers()
    s.ready()
    vi.advanceTimersByTime(4_000)
    expect(s.exited(null)).toEqual({ action: 'stop', reason: 'crash-loop' })
    expect(s.state).toMatchObject({ kind: 'failed', code: null })
  })

  it('leaves no timer behind after close, in backing-off or ready, and unrefs its timers', () => {
    const s = createSupervisor()
    s.exited(1)
    expect(vi.getTimerCount()).toBe(1)
    s.close()
    expect(vi.getTimerCount()).toBe(0)
    expect(s.exited(1)).toEqual({ action: 'stop', reason: 'closed' })

    const r = createSupervisor()
    r.ready()
    expect(vi.getTimerCount()).toBe(1)
    r.close()
    expect(vi.getTimerCount()).toBe(0)
    r.close()

    vi.useRealTimers()
    const unref = vi.spyOn(globalThis, 'setTimeout')
    const real = createSupervisor()
    real.exited(1)
    const timer = unref.mock.results[0]?.value as NodeJS.Timeout
    expect(timer.hasRef()).toBe(false)
    real.close()
    unref.mockRestore()
  })

  it('stops calling a listener once disposed, and drops every listener on close', () => {
    const s = createSupervisor({ crashLoop: { failures: 9 } })
    const a = vi.fn()
    const b = vi.fn()
    const subscription = s.onChange(a)
    s.onChange(b)
    s.exited(1)
    expect(a).toHaveBeenCalledTimes(1)
    expect(a).toHaveBeenCalledWith(expect.objectContaining({ kind: 'backing-off', failures: 1 }), {
      kind: 'starting',
      attempt: 0,
    })
    subscription.dispose()
    subscription.dispose()
    vi.runOnlyPendingTimers()
    expect(a).toHaveBeenCalledTimes(1)
    expect(b).toHaveBeenCalledTimes(2)
    s.close()
    s.restart()
    s.ready()
    expect(b).toHaveBeenCalledTimes(2)
  })

  it('refuses calls that do not fit the state, which would be a pool bug', () => {
    const s = createSupervisor()
    s.started()
    expect(() => s.started()).toThrow(/twice/)
    s.ready()
    expect(() => s.ready()).toThrow(/ready\(\) while ready/)
    s.exited(1)
    expect(() => s.exited(1)).toThrow(/exited\(\) while backing-off/)
    expect(() => s.restart()).toThrow(/restart\(\) while backing-off/)
  })

  it.each([
    [{ baseDelay: -1 }, /baseDelay must be a whole number of ms from 0/],
    [{ baseDelay: 1.5 }, /baseDelay must be a whole number of ms/],
    [{ maxDelay: 10, baseDelay: 100 }, /maxDelay must be ≥ .*baseDelay/],
    [{ factor: 0.5 }, /factor must be a number ≥ 1/],
    [{ jitter: 2 }, /jitter must be between 0 and 1/],
    [{ crashLoop: { failures: 0 } }, /crashLoop.failures must be an integer ≥ 1/],
    [{ crashLoop: { windowMs: 0 } }, /crashLoop.windowMs must be a whole number of ms from 1/],
    [{ random: 4 }, /random must be a function/],
    [{ now: 'soon' }, /now must be a function/],
  ])('rejects %o when created', (options, message) => {
    expect(() => createSupervisor(options as never)).toThrow(TypeError)
    expect(() => createSupervisor(options as never)).toThrow(message)
  })
})
