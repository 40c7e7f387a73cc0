import { type AbortSource, abortSource, ErrorCode, McpxError } from '@mcpx/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createBulkhead } from './bulkhead.js'

/** Settles `promise` into an inspectable state, so a test can check "not yet" without awaiting. */
function track(promise: Promise<void>) {
  const state: { settled: boolean; error: unknown } = { settled: false, error: undefined }
  promise.then(
    () => {
      state.settled = true
    },
    (error: unknown) => {
      state.settled = true
      state.error = error
    },
  )
  return state
}

/** An AbortSource that counts its listeners. */
function counting(): AbortSource & { readonly listeners: number } {
  const listeners = new Set<(reason: unknown) => void>()
  return {
    aborted: false,
    reason: undefined,
    onAbort(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    get listeners() {
      return listeners.size
    },
  }
}

describe('createBulkhead', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('refuses at once over the limit and counts the refusal', () => {
    const bulkhead = createBulkhead({ limit: 2 })
    expect([bulkhead.tryEnter(), bulkhead.tryEnter(), bulkhead.tryEnter()]).toEqual([
      true,
      true,
      false,
    ])
    expect({ active: bulkhead.active, rejected: bulkhead.rejected }).toEqual({
      active: 2,
      rejected: 1,
    })
  })

  it('answers a refusal with -32011 naming the upstream, its limit and Retry-After', () => {
    const bulkhead = createBulkhead({ limit: 16, upstream: 'search' })
    for (let i = 0; i < 16; i++) bulkhead.tryEnter()
    const error = bulkhead.overloaded()
    expect(McpxError.is(error)).toBe(true)
    expect(error.toJSON()).toEqual({
      code: ErrorCode.Overloaded,
      message: 'Upstream "search" has 16 requests in flight (its limit)',
      data: { upstream: 'search', limit: 16 },
    })
    expect(error.headers).toEqual({ 'retry-after': '1' })
  })

  it('says "The upstream" when it has no name', () => {
    const bulkhead = createBulkhead({ limit: 1 })
    bulkhead.tryEnter()
    expect(bulkhead.overloaded().message).toBe('The upstream has 1 requests in flight (its limit)')
  })

  it('lets the next request in once one leaves', () => {
    const bulkhead = createBulkhead({ limit: 1 })
    bulkhead.tryEnter()
    bulkhead.leave()
    expect(bulkhead.tryEnter()).toBe(true)
    expect(bulkhead.active).toBe(1)
  })

  it('ignores a leave() without a slot taken', () => {
    const bulkhead = createBulkhead({ limit: 1 })
    bulkhead.leave()
    expect(bulkhead.active).toBe(0)
    expect([bulkhead.tryEnter(), bulkhead.tryEnter()]).toEqual([true, false])
  })

  it('resolves enter() with a free slot without a new promise', () => {
    const bulkhead = createBulkhead({ limit: 2, queue: 1 })
    expect(bulkhead.enter()).toBe(bulkhead.enter())
    expect(bulkhead.active).toBe(2)
  })

  it('refuses enter() at once without a queue', async () => {
    const bulkhead = createBulkhead({ limit: 1 })
    await bulkhead.enter()
    await expect(bulkhead.enter()).rejects.toMatchObject({ code: ErrorCode.Overloaded })
    expect({ queued: bulkhead.queued, rejected: bulkhead.rejected }).toEqual({
      queued: 0,
      rejected: 1,
    })
  })

  it('rejects a queued request at queueTimeout exactly, not a millisecond before', async () => {
    const bulkhead = createBulkhead({ limit: 1, queue: 1, queueTimeout: 500, upstream: 'search' })
    await bulkhead.enter()
    const waiting = track(bulkhead.enter())
    expect(bulkhead.queued).toBe(1)
    await vi.advanceTimersByTimeAsync(499)
    expect(waiting.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(waiting.error).toMatchObject({
      code: ErrorCode.Overloaded,
      message: 'Upstream "search" had no free slot within 500 ms (1 requests in flight, its limit)',
    })
    expect({ queued: bulkhead.queued, rejected: bulkhead.rejected }).toEqual({
      queued: 0,
      rejected: 1,
    })
  })

  it('hands a slot that is given back to the oldest waiter, clearing its timer', async () => {
    const bulkhead = createBulkhead({ limit: 1, queue: 2, queueTimeout: 500 })
    await bulkhead.enter()
    const first = track(bulkhead.enter())
    const second = track(bulkhead.enter())
    bulkhead.leave()
    await vi.advanceTimersByTimeAsync(0)
    expect([first.settled, first.error, second.settled]).toEqual([true, undefined, false])
    expect({ active: bulkhead.active, queued: bulkhead.queued }).toEqual({ active: 1, queued: 1 })
    expect(vi.getTimerCount()).toBe(1)
  })

  it('keeps a late waiter out of the slot a tryEnter() would have found free', async () => {
    const bulkhead = createBulkhead({ limit: 1, queue: 1, queueTimeout: 500 })
    await bulkhead.enter()
    const waiting = track(bulkhead.enter())
    bulkhead.leave()
    expect(bulkhead.tryEnter()).toBe(false)
    await vi.advanceTimersByTimeAsync(0)
    expect(waiting).toEqual({ settled: true, error: undefined })
  })

  it('leaves the queue at once when its signal aborts, with the reason, clearing its timer', async () => {
    const bulkhead = createBulkhead({ limit: 1, queue: 1, queueTimeout: 500 })
    await bulkhead.enter()
    const controller = new AbortController()
    const waiting = bulkhead.enter(controller.signal)
    controller.abort(new Error('client went away'))
    await expect(waiting).rejects.toThrow('client went away')
    expect({ queued: bulkhead.queued, rejected: bulkhead.rejected }).toEqual({
      queued: 0,
      rejected: 0,
    })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('takes an AbortSource (a Context) as well as an AbortSignal', async () => {
    const bulkhead = createBulkhead({ limit: 1, queue: 1, queueTimeout: 500 })
    await bulkhead.enter()
    const source = abortSource()
    const waiting = bulkhead.enter(source)
    source.abort(new Error('cancelled'))
    await expect(waiting).rejects.toThrow('cancelled')
    expect(bulkhead.queued).toBe(0)
  })

  it('stops listening to the signal of a waiter that got its slot or timed out', async () => {
    const bulkhead = createBulkhead({ limit: 1, queue: 2, queueTimeout: 500 })
    await bulkhead.enter()
    const signal = counting()
    const served = bulkhead.enter(signal)
    const timedOut = track(bulkhead.enter(signal))
    expect(signal.listeners).toBe(2)
    bulkhead.leave()
    await served
    await vi.advanceTimersByTimeAsync(500)
    expect(timedOut.settled).toBe(true)
    expect(signal.listeners).toBe(0)
  })

  it('refuses an already aborted signal without queueing it', async () => {
    const bulkhead = createBulkhead({ limit: 1, queue: 1, queueTimeout: 500 })
    await bulkhead.enter()
    await expect(bulkhead.enter(AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone')
    expect(bulkhead.queued).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('refuses at once when the queue is full, and counts it', async () => {
    const bulkhead = createBulkhead({ limit: 1, queue: 2, queueTimeout: 500, upstream: 'search' })
    await bulkhead.enter()
    track(bulkhead.enter())
    track(bulkhead.enter())
    await expect(bulkhead.enter()).rejects.toMatchObject({
      code: ErrorCode.Overloaded,
      message: 'Upstream "search" has 1 requests in flight and 2 waiting (its limits)',
    })
    expect({ queued: bulkhead.queued, rejected: bulkhead.rejected }).toEqual({
      queued: 2,
      rejected: 1,
    })
  })

  it.each([
    [{ limit: 0 }, 'limit must be an integer ≥ 1'],
    [{ limit: 1.5 }, 'limit must be an integer ≥ 1'],
    [{}, 'limit must be an integer ≥ 1'],
    [{ limit: 1, queue: -1 }, 'queue must be an integer ≥ 0'],
    [{ limit: 1, queueTimeout: 0 }, 'queueTimeout must be an integer from 1 to 2147483647'],
    [{ limit: 1, queueTimeout: 2 ** 31 }, 'queueTimeout must be an integer from 1 to 2147483647'],
    [{ limit: 1, upstream: 7 }, 'upstream must be a string'],
    [
      { limit: 1, queueTimout: 5 },
      'createBulkhead() options key "queueTimout" must be one of limit, queue, queueTimeout, upstream',
    ],
  ])('refuses %o when it is made', (options, message) => {
    expect(() => createBulkhead(options as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', message: `[@mcpx/breaker] ${message}` }),
    )
  })
})
