import { abortSource, backoffDelay, ErrorCode, McpxError } from '@mcpx/core'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitOpenError,
  type CircuitState,
  createCircuitBreaker,
} from './circuit-breaker.js'

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  vi.useRealTimers()
})

const upstreamDown = () =>
  new McpxError(ErrorCode.UpstreamUnavailable, 'Upstream "a" answered HTTP 500')
const badParams = () => new McpxError(ErrorCode.InvalidParams, 'Unknown tool: x')

/** Record `n` outcomes through the hot-path pair. */
function outcomes(breaker: CircuitBreaker, n: number, success: boolean): void {
  for (let i = 0; i < n; i++) {
    const permit = breaker.tryAcquire()
    expect(permit).toBeGreaterThan(0)
    breaker.record(permit, success)
  }
}

/** A breaker opened by `failures` consecutive failures (default options otherwise). */
function opened(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const breaker = createCircuitBreaker({
    strategy: { kind: 'consecutive', failures: 1 },
    ...options,
  })
  outcomes(breaker, 1, false)
  expect(breaker.state.kind).toBe('open')
  return breaker
}

/** A breaker opened once and now half-open. */
function halfOpen(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const breaker = opened({ openDuration: 1_000, ...options })
  vi.advanceTimersByTime(breaker.state.kind === 'open' ? breaker.state.until - Date.now() : 0)
  expect(breaker.state.kind).toBe('half-open')
  return breaker
}

const rejects = () => Promise.reject(upstreamDown())
const resolves = () => Promise.resolve('ok')

describe('createCircuitBreaker: closed', () => {
  it('starts closed and lets calls through', async () => {
    const breaker = createCircuitBreaker()
    expect(breaker.state).toEqual({ kind: 'closed', since: 1_000_000 })
    await expect(breaker.execute(resolves)).resolves.toBe('ok')
  })

  it('opens after 5 consecutive failures by default, not after 4', async () => {
    const breaker = createCircuitBreaker()
    for (let i = 0; i < 4; i++) await expect(breaker.execute(rejects)).rejects.toThrow('HTTP 500')
    expect(breaker.state.kind).toBe('closed')
    await expect(breaker.execute(rejects)).rejects.toThrow('HTTP 500')
    expect(breaker.state).toEqual({
      kind: 'open',
      since: 1_000_000,
      until: 1_030_000,
      opens: 1,
    })
    expect(breaker.opened).toBe(1)
  })

  it('resets the consecutive count on a success', () => {
    const breaker = createCircuitBreaker({ strategy: { kind: 'consecutive', failures: 3 } })
    outcomes(breaker, 2, false)
    outcomes(breaker, 1, true)
    outcomes(breaker, 2, false)
    expect(breaker.state.kind).toBe('closed')
    outcomes(breaker, 1, false)
    expect(breaker.state.kind).toBe('open')
  })

  it('counts no -32602 (a client error): it neither trips nor resets the count', async () => {
    const breaker = createCircuitBreaker({ strategy: { kind: 'consecutive', failures: 3 } })
    const invalid = () => Promise.reject(badParams())
    for (let i = 0; i < 10; i++) await expect(breaker.execute(invalid)).rejects.toThrow('Unknown')
    expect(breaker.state.kind).toBe('closed')
    outcomes(breaker, 2, false)
    await expect(breaker.execute(invalid)).rejects.toThrow('Unknown')
    outcomes(breaker, 1, false)
    expect(breaker.state.kind).toBe('open')
  })

  it('ignores the outcome of a call admitted before it opened that ends after', () => {
    const breaker = createCircuitBreaker({
      strategy: { kind: 'consecutive', failures: 1 },
      openDuration: 1_000,
    })
    const slow = breaker.tryAcquire()
    outcomes(breaker, 1, false)
    vi.advanceTimersByTime(1_000)
    expect(breaker.state.kind).toBe('half-open')
    breaker.record(slow, true)
    expect(breaker.state).toMatchObject({ kind: 'half-open', probes: 0, successes: 0 })
  })
})

describe('createCircuitBreaker: rate strategy', () => {
  const rate = { kind: 'rate', threshold: 0.5, window: 10_000, minRequests: 20 } as const

  it('stays closed at 100 % failures while fewer than minRequests outcomes are in the window', () => {
    const breaker = createCircuitBreaker({ strategy: rate })
    outcomes(breaker, 19, false)
    expect(breaker.state.kind).toBe('closed')
  })

  it('opens once minRequests outcomes are in and the failure rate reaches the threshold', () => {
    const breaker = createCircuitBreaker({ strategy: rate })
    outcomes(breaker, 10, true)
    outcomes(breaker, 9, false)
    expect(breaker.state.kind).toBe('closed')
    outcomes(breaker, 1, false) // 10 of 20: 50 %
    expect(breaker.state.kind).toBe('open')
  })

  it('stays closed while the failure rate is below the threshold', () => {
    const breaker = createCircuitBreaker({ strategy: rate })
    outcomes(breaker, 60, true)
    outcomes(breaker, 59, false)
    expect(breaker.state.kind).toBe('closed')
  })

  it('forgets failures older than the window as it slides', () => {
    const breaker = createCircuitBreaker({ strategy: rate })
    outcomes(breaker, 19, false)
    vi.advanceTimersByTime(13_000) // those 19 aged out, though their bucket's slot was not reused
    outcomes(breaker, 19, false)
    expect(breaker.state.kind).toBe('closed')
    outcomes(breaker, 1, false)
    expect(breaker.state.kind).toBe('open')
  })

  it('still counts failures from the last bucket-widths of the window', () => {
    const breaker = createCircuitBreaker({ strategy: rate })
    outcomes(breaker, 19, false)
    vi.advanceTimersByTime(8_999) // bucket 9 of 10: still in the window
    outcomes(breaker, 1, false)
    expect(breaker.state.kind).toBe('open')
  })

  it('starts a fresh window after closing again', () => {
    const breaker = createCircuitBreaker({ strategy: rate, openDuration: 100 })
    outcomes(breaker, 20, false)
    vi.advanceTimersByTime(100)
    outcomes(breaker, 1, true) // the probe closes it
    expect(breaker.state.kind).toBe('closed')
    outcomes(breaker, 19, false)
    expect(breaker.state.kind).toBe('closed')
  })
})

describe('createCircuitBreaker: open', () => {
  it('rejects at once with a CircuitOpenError (-32010, retryAfterMs and seconds) without calling fn', async () => {
    const breaker = opened({ openDuration: 30_000 })
    vi.advanceTimersByTime(10_500)
    const run = vi.fn(resolves)
    const error = await breaker.execute(run).catch((e: unknown) => e)
    expect(run).not.toHaveBeenCalled()
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(McpxError.is(error) && error.toJSON()).toStrictEqual({
      code: ErrorCode.UpstreamUnavailable,
      message: 'Upstream is failing: circuit open',
      data: { state: 'open', retryAfterMs: 19_500, retryAfter: 20 },
    })
    expect((error as McpxError).headers).toEqual({ 'retry-after': '20' })
  })

  it('names the upstream in the rejection when asked', () => {
    const error = opened().rejection('math-1')
    expect(error.message).toBe('Upstream "math-1" is failing: circuit open')
    expect(error.data).toMatchObject({ state: 'open', upstream: 'math-1' })
  })

  it('refuses a permit, counts the rejection and tells onRejected', () => {
    const breaker = opened()
    const seen: CircuitState[] = []
    breaker.onRejected((state) => seen.push(state))
    expect(breaker.tryAcquire()).toBe(0)
    expect(breaker.tryAcquire()).toBe(0)
    expect(breaker.rejected).toBe(2)
    expect(seen.map((s) => s.kind)).toEqual(['open', 'open'])
  })

  it('half-opens when the open duration is up, not a ms before, and says so on time', () => {
    const breaker = opened({ openDuration: 5_000 })
    const changes: string[] = []
    breaker.onStateChange((state, previous) => changes.push(`${previous.kind}→${state.kind}`))
    vi.advanceTimersByTime(4_999)
    expect(changes).toEqual([])
    expect(breaker.tryAcquire()).toBe(0)
    vi.advanceTimersByTime(1)
    expect(changes).toEqual(['open→half-open'])
    expect(breaker.state).toEqual({
      kind: 'half-open',
      since: 1_005_000,
      probes: 0,
      successes: 0,
      opens: 1,
    })
  })

  it('half-opens lazily on an injected clock, on the first call after until', () => {
    vi.useRealTimers()
    let clock = 0
    const breaker = createCircuitBreaker({
      strategy: { kind: 'consecutive', failures: 1 },
      openDuration: 1_000,
      now: () => clock,
    })
    outcomes(breaker, 1, false)
    clock = 999
    expect(breaker.tryAcquire()).toBe(0)
    clock = 1_000
    expect(breaker.tryAcquire()).toBeGreaterThan(0)
    expect(breaker.state).toMatchObject({ kind: 'half-open', probes: 1 })
    breaker.close()
  })

  it('arms an unref’d timer, so an open breaker keeps no process alive', () => {
    vi.useRealTimers()
    const timers: NodeJS.Timeout[] = []
    const real = globalThis.setTimeout
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      run: () => void,
      ms: number,
    ) => {
      const timer = real(run, ms)
      timers.push(timer)
      return timer
    }) as typeof setTimeout)
    try {
      const breaker = opened()
      expect(timers).toHaveLength(1)
      expect(timers[0]!.hasRef()).toBe(false)
      breaker.close()
    } finally {
      spy.mockRestore()
      for (const timer of timers) clearTimeout(timer)
    }
  })
})

describe('createCircuitBreaker: half-open', () => {
  it('lets one probe through at a time by default and rejects a second concurrent call', async () => {
    const breaker = halfOpen()
    let finish: (value: string) => void = () => {}
    const probe = breaker.execute(() => new Promise<string>((resolve) => (finish = resolve)))
    const second = vi.fn(resolves)
    const error = await breaker.execute(second).catch((e: unknown) => e)
    expect(second).not.toHaveBeenCalled()
    expect(McpxError.is(error) && error.data).toStrictEqual({ state: 'half-open' })
    expect((error as McpxError).headers).toBeUndefined()
    finish('ok')
    await expect(probe).resolves.toBe('ok')
  })

  it('lets halfOpenProbes probes through at once, no more', () => {
    const breaker = halfOpen({ halfOpenProbes: 3 })
    const permits = [breaker.tryAcquire(), breaker.tryAcquire(), breaker.tryAcquire()]
    expect(permits.every((p) => p > 0)).toBe(true)
    expect(breaker.state).toMatchObject({ kind: 'half-open', probes: 3 })
    expect(breaker.tryAcquire()).toBe(0)
  })

  it('closes after a successful probe', async () => {
    const breaker = halfOpen()
    await breaker.execute(resolves)
    expect(breaker.state).toEqual({ kind: 'closed', since: Date.now() })
  })

  it('needs halfOpenSuccesses successful probes to close', () => {
    const breaker = halfOpen({ halfOpenSuccesses: 2 })
    outcomes(breaker, 1, true)
    expect(breaker.state).toMatchObject({ kind: 'half-open', probes: 0, successes: 1 })
    outcomes(breaker, 1, true)
    expect(breaker.state.kind).toBe('closed')
  })

  it('reopens after a failed probe, for longer each time (backoffDelay, jitter 0)', async () => {
    const backoff = { baseDelay: 1_000, maxDelay: 5_000, factor: 2 }
    const breaker = opened({ openDuration: backoff })
    const durations: number[] = []
    for (let i = 0; i < 4; i++) {
      const state = breaker.state
      if (state.kind !== 'open') throw new Error(`expected open, got ${state.kind}`)
      durations.push(state.until - state.since)
      vi.advanceTimersByTime(state.until - Date.now())
      await expect(breaker.execute(rejects)).rejects.toThrow('HTTP 500')
    }
    expect(durations).toEqual([1_000, 2_000, 4_000, 5_000])
    expect(durations).toEqual(
      [1, 2, 3, 4].map((n) => backoffDelay(n, { ...backoff, jitter: 0 }, Math.random)),
    )
    expect(breaker.state).toMatchObject({ kind: 'open', opens: 5 })
  })

  it('starts the growth over after it closes', () => {
    const breaker = opened({ openDuration: { baseDelay: 1_000, factor: 3 } })
    vi.advanceTimersByTime(1_000)
    outcomes(breaker, 1, false) // reopened for 3 s
    vi.advanceTimersByTime(3_000)
    outcomes(breaker, 1, true) // closed
    outcomes(breaker, 1, false) // opened again
    expect(breaker.state).toMatchObject({ kind: 'open', opens: 1, until: Date.now() + 1_000 })
  })

  it('draws the jitter of a growing open duration from random', () => {
    const breaker = opened({
      openDuration: { baseDelay: 1_000, jitter: 1 },
      random: () => 0.25,
    })
    expect(breaker.state).toMatchObject({ kind: 'open', until: Date.now() + 750 })
  })

  it('frees the place of a probe the client cancelled, without closing', async () => {
    const breaker = halfOpen()
    const cancel = abortSource()
    const probe = breaker.execute(
      (signal) =>
        new Promise((_, reject) => signal.onAbort(() => reject(new Error('aborted mid-way')))),
      cancel,
    )
    cancel.abort(new McpxError(ErrorCode.RequestCancelled, 'Client cancelled'))
    await expect(probe).rejects.toThrow('aborted mid-way')
    expect(breaker.state).toMatchObject({ kind: 'half-open', probes: 0 })
    expect(breaker.tryAcquire()).toBeGreaterThan(0)
  })

  it('counts a probe aborted by a timeout as a failure and reopens', async () => {
    const breaker = halfOpen()
    const deadline = abortSource()
    const probe = breaker.execute(
      (signal) => new Promise((_, reject) => signal.onAbort(() => reject(new Error('stopped')))),
      deadline,
    )
    deadline.abort(new McpxError(ErrorCode.RequestTimeout, 'Upstream "a" timed out'))
    await expect(probe).rejects.toThrow('stopped')
    expect(breaker.state).toMatchObject({ kind: 'open', opens: 2 })
  })
})

describe('createCircuitBreaker: execute', () => {
  it('passes its signal to fn', async () => {
    const signal = abortSource()
    const breaker = createCircuitBreaker()
    await expect(breaker.execute(async (s) => s === signal, signal)).resolves.toBe(true)
  })

  it('rejects with the reason of an already aborted signal without calling fn or taking a permit', async () => {
    const breaker = halfOpen()
    const signal = abortSource()
    signal.abort(new Error('gone'))
    const run = vi.fn(resolves)
    await expect(breaker.execute(run, signal)).rejects.toThrow('gone')
    expect(run).not.toHaveBeenCalled()
    expect(breaker.state).toMatchObject({ kind: 'half-open', probes: 0 })
  })

  it('classifies with the isFailure option', async () => {
    const breaker = createCircuitBreaker({
      strategy: { kind: 'consecutive', failures: 1 },
      isFailure: (e) => McpxError.is(e) && e.code === ErrorCode.InvalidParams,
    })
    await expect(breaker.execute(rejects)).rejects.toThrow()
    expect(breaker.state.kind).toBe('closed')
    await expect(breaker.execute(() => Promise.reject(badParams()))).rejects.toThrow()
    expect(breaker.state.kind).toBe('open')
  })

  it('counts a failure when the isFailure option throws, so a probe never keeps its place', async () => {
    const breaker = halfOpen({
      isFailure: () => {
        throw new Error('bad classifier')
      },
    })
    await expect(breaker.execute(rejects)).rejects.toThrow('HTTP 500')
    expect(breaker.state.kind).toBe('open')
  })

  it('counts a synchronous throw of fn', async () => {
    const breaker = createCircuitBreaker({ strategy: { kind: 'consecutive', failures: 1 } })
    const run = () => {
      throw new Error('connector bug')
    }
    await expect(breaker.execute(run)).rejects.toThrow('connector bug')
    expect(breaker.state.kind).toBe('open')
  })
})

describe('createCircuitBreaker: events', () => {
  it('reports every change of kind with the previous state, each a new object', () => {
    const breaker = createCircuitBreaker({
      strategy: { kind: 'consecutive', failures: 1 },
      openDuration: 100,
    })
    const changes: [CircuitState, CircuitState][] = []
    breaker.onStateChange((state, previous) => changes.push([state, previous]))
    outcomes(breaker, 1, false)
    vi.advanceTimersByTime(100)
    const probe = breaker.tryAcquire() // a probe starting is not a change of kind
    breaker.record(probe, true)
    expect(changes.map(([s, p]) => `${p.kind}→${s.kind}`)).toEqual([
      'closed→open',
      'open→half-open',
      'half-open→closed',
    ])
    for (const [state, previous] of changes) expect(state).not.toBe(previous)
    expect(changes[2]![0]).toBe(breaker.state)
  })

  it('runs every listener and still half-opens on time when one throws, rethrowing its error to the caller that opened it', () => {
    const breaker = createCircuitBreaker({
      strategy: { kind: 'consecutive', failures: 1 },
      openDuration: 100,
    })
    const boom = new Error('listener bug')
    breaker.onStateChange(() => {
      throw boom
    })
    const after = vi.fn()
    breaker.onStateChange(after)
    const permit = breaker.tryAcquire()
    expect(() => breaker.record(permit, false)).toThrow(boom)
    expect(breaker.state.kind).toBe('open')
    expect(after).toHaveBeenCalledTimes(1)
    // The timer half-opens it although the listener throws again, and nothing escapes the timer.
    vi.advanceTimersByTime(100)
    expect(after).toHaveBeenCalledTimes(2)
    expect(after.mock.calls[1]![0].kind).toBe('half-open')
  })

  it('stops calling a listener once disposed, and disposing twice does nothing', () => {
    const breaker = createCircuitBreaker({ strategy: { kind: 'consecutive', failures: 1 } })
    const listener = vi.fn()
    const kept = vi.fn()
    const registration = breaker.onStateChange(listener)
    breaker.onStateChange(kept)
    registration.dispose()
    registration.dispose()
    outcomes(breaker, 1, false)
    expect(listener).not.toHaveBeenCalled()
    expect(kept).toHaveBeenCalledTimes(1)
  })

  it('stops calling a disposed onRejected listener', () => {
    const breaker = opened()
    const listener = vi.fn()
    breaker.onRejected(listener).dispose()
    breaker.tryAcquire()
    expect(listener).not.toHaveBeenCalled()
  })

  it('gives one function registered twice two independent registrations', () => {
    const breaker = createCircuitBreaker({ strategy: { kind: 'consecutive', failures: 1 } })
    const listener = vi.fn()
    breaker.onStateChange(listener).dispose()
    breaker.onStateChange(listener)
    outcomes(breaker, 1, false)
    expect(listener).toHaveBeenCalledTimes(1)
  })

  it('clears its timer and listeners on close(), and still half-opens lazily', () => {
    const breaker = opened({ openDuration: 1_000 })
    const listener = vi.fn()
    breaker.onStateChange(listener)
    expect(vi.getTimerCount()).toBe(1)
    breaker.close()
    breaker.close()
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(1_000)
    expect(breaker.tryAcquire()).toBeGreaterThan(0)
    expect(breaker.state.kind).toBe('half-open')
    expect(listener).not.toHaveBeenCalled()
  })
})

describe('createCircuitBreaker: options', () => {
  const refused: [string, unknown, string][] = [
    [
      'strategy kind',
      { strategy: { kind: 'ratio' } },
      "strategy.kind must be 'consecutive' or 'rate'",
    ],
    [
      'failures 0',
      { strategy: { kind: 'consecutive', failures: 0 } },
      'strategy.failures must be an integer ≥ 1',
    ],
    [
      'failures 1.5',
      { strategy: { kind: 'consecutive', failures: 1.5 } },
      'strategy.failures must be',
    ],
    [
      'threshold 0',
      { strategy: { kind: 'rate', threshold: 0 } },
      'strategy.threshold must be a number > 0 and ≤ 1',
    ],
    ['threshold 1.1', { strategy: { kind: 'rate', threshold: 1.1 } }, 'strategy.threshold must be'],
    [
      'window 0',
      { strategy: { kind: 'rate', window: 0 } },
      'strategy.window must be a whole number of ms',
    ],
    [
      'minRequests 0',
      { strategy: { kind: 'rate', minRequests: 0 } },
      'strategy.minRequests must be',
    ],
    [
      'buckets 0',
      { strategy: { kind: 'rate', buckets: 0 } },
      'strategy.buckets must be an integer from 1 to 1000',
    ],
    [
      'buckets > window',
      { strategy: { kind: 'rate', window: 5, buckets: 6 } },
      'strategy.buckets must be an integer from 1 to 5',
    ],
    [
      'a rate key on consecutive',
      { strategy: { kind: 'consecutive', window: 1 } },
      'strategy key "window" must be one of kind, failures',
    ],
    ['openDuration 0', { openDuration: 0 }, 'openDuration must be a whole number of ms from 1'],
    ['openDuration NaN', { openDuration: Number.NaN }, 'openDuration must be'],
    ['openDuration too long', { openDuration: 2 ** 31 }, 'openDuration must be'],
    [
      'maxDelay < baseDelay',
      { openDuration: { baseDelay: 2_000, maxDelay: 1_000 } },
      'openDuration.maxDelay must be ≥ openDuration.baseDelay',
    ],
    ['factor 0.5', { openDuration: { factor: 0.5 } }, 'openDuration.factor must be'],
    [
      'jitter 2',
      { openDuration: { jitter: 2 } },
      'openDuration.jitter must be a number from 0 to 1',
    ],
    ['halfOpenProbes 0', { halfOpenProbes: 0 }, 'halfOpenProbes must be an integer ≥ 1'],
    ['halfOpenSuccesses -1', { halfOpenSuccesses: -1 }, 'halfOpenSuccesses must be an integer ≥ 1'],
    ['isFailure not a function', { isFailure: true }, 'isFailure must be a function'],
    ['now not a function', { now: 5 }, 'now must be a function'],
    ['random not a function', { random: 'x' }, 'random must be a function'],
    [
      'a misspelt option',
      { halfOpenProbe: 2 },
      'createCircuitBreaker() options key "halfOpenProbe" must be one of',
    ],
    ['options not an object', 'fast', 'createCircuitBreaker() options must be an object'],
  ]

  it.each(refused)('refuses %s with a TypeError naming it', (_, options, message) => {
    const create = () => createCircuitBreaker(options as CircuitBreakerOptions)
    expect(create).toThrow(TypeError)
    expect(create).toThrow(`[@mcpx/breaker] ${message}`)
  })

  it('says which option and what rule as fields of the error, for a config checker', () => {
    const thrown = (options: unknown) => {
      try {
        createCircuitBreaker(options as CircuitBreakerOptions)
      } catch (error) {
        return { ...(error as object) }
      }
      return undefined
    }
    expect(thrown({ strategy: { kind: 'consecutive', failures: 0 } })).toEqual({
      option: 'strategy.failures',
      rule: 'an integer ≥ 1',
    })
    expect(thrown({ strategy: { kind: 'consecutive', window: 5 } })).toEqual({
      option: 'strategy.window',
      rule: 'one of kind, failures',
      known: ['kind', 'failures'],
    })
    expect(thrown({ halfOpenProbe: 2 })).toMatchObject({ option: 'halfOpenProbe' })
    expect(thrown({ openDuration: { factor: 0.5 } })).toEqual({
      option: 'openDuration.factor',
      rule: 'a finite number ≥ 1',
    })
  })

  it('takes fewer buckets by default when the window is under 10 ms', () => {
    expect(() => createCircuitBreaker({ strategy: { kind: 'rate', window: 5 } })).not.toThrow()
  })

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({
      strategy: Object.freeze({ kind: 'rate' as const }),
      openDuration: Object.freeze({ baseDelay: 10 }),
    })
    expect(() => createCircuitBreaker(options)).not.toThrow()
  })
})

describe('createCircuitBreaker: properties', () => {
  type Step =
    | { op: 'acquire' }
    | { op: 'end'; index: number; outcome: 'success' | 'failure' | 'release' }
    | { op: 'wait'; ms: number }

  // Weighted so that runs open, half-open and pile up probes often (not only stay closed).
  const step: fc.Arbitrary<Step> = fc.oneof(
    { arbitrary: fc.constant<Step>({ op: 'acquire' }), weight: 4 },
    {
      arbitrary: fc.record({
        op: fc.constant('end' as const),
        index: fc.nat(),
        outcome: fc.constantFrom(
          'failure' as const,
          'failure' as const,
          'success' as const,
          'release' as const,
        ),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        op: fc.constant('wait' as const),
        ms: fc.integer({ min: 0, max: 3_000 }),
      }),
      weight: 1,
    },
  )

  const options: fc.Arbitrary<CircuitBreakerOptions> = fc.record({
    strategy: fc.oneof(
      fc.record({
        kind: fc.constant('consecutive' as const),
        failures: fc.integer({ min: 1, max: 4 }),
      }),
      fc.record({
        kind: fc.constant('rate' as const),
        threshold: fc.double({ min: 0.1, max: 1, noNaN: true }),
        window: fc.integer({ min: 10, max: 5_000 }),
        minRequests: fc.integer({ min: 1, max: 6 }),
      }),
    ),
    openDuration: fc.oneof(
      fc.integer({ min: 1, max: 2_000 }),
      fc.record({ baseDelay: fc.integer({ min: 1, max: 500 }), maxDelay: fc.constant(4_000) }),
    ),
    halfOpenProbes: fc.integer({ min: 1, max: 3 }),
    halfOpenSuccesses: fc.integer({ min: 1, max: 3 }),
  })

  it('never runs more than halfOpenProbes probes at once, and is always closed, open or half-open', () => {
    fc.assert(
      fc.property(options, fc.array(step, { minLength: 20, maxLength: 300 }), (opts, steps) => {
        const breaker = createCircuitBreaker(opts)
        // Permits held, and whether each was taken as a probe of the current half-open period.
        let held: { permit: number; probe: boolean }[] = []
        breaker.onStateChange(() => {
          held = held.map((h) => ({ ...h, probe: false }))
        })
        for (const s of steps) {
          if (s.op === 'acquire') {
            const probing = breaker.state.kind !== 'closed'
            const permit = breaker.tryAcquire()
            if (permit !== 0) held.push({ permit, probe: probing })
          } else if (s.op === 'end' && held.length > 0) {
            const [ended] = held.splice(s.index % held.length, 1)
            if (s.outcome === 'release') breaker.release(ended!.permit)
            else breaker.record(ended!.permit, s.outcome === 'success')
          } else if (s.op === 'wait') {
            vi.advanceTimersByTime(s.ms)
          }
          const state = breaker.state
          expect(['closed', 'open', 'half-open']).toContain(state.kind)
          const probes = held.filter((h) => h.probe).length
          expect(probes).toBeLessThanOrEqual(opts.halfOpenProbes!)
          if (state.kind === 'half-open') expect(state.probes).toBe(probes)
          else expect(probes).toBe(0)
        }
        breaker.close()
      }),
      { numRuns: 300 },
    )
  })
})
