import type { AbortSource } from '@mcpx/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { WaitQueue } from './wait-queue.js'

/** An AbortSource the test aborts by hand. */
function source() {
  const listeners = new Set<(reason: unknown) => void>()
  const signal: AbortSource & { abort(reason: unknown): void; listeners: number } = {
    aborted: false,
    reason: undefined,
    onAbort(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    abort(reason) {
      for (const listener of listeners) listener(reason)
    },
    get listeners() {
      return listeners.size
    },
  }
  return signal
}

const timedOut = () => new Error('timed out')

describe('WaitQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('rejects a waiter at its timeout exactly, not a millisecond before', async () => {
    const queue = new WaitQueue<string>()
    const settled = vi.fn()
    queue.wait(true, 1_000, source(), timedOut).catch(settled)
    await vi.advanceTimersByTimeAsync(999)
    expect(settled).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(settled).toHaveBeenCalledWith(new Error('timed out'))
    expect(queue.size).toBe(0)
  })

  it('hands out to the oldest waiter first', async () => {
    const queue = new WaitQueue<string>()
    const first = queue.wait(true, 1_000, source(), timedOut)
    const second = queue.wait(false, 1_000, source(), timedOut)
    expect(queue.peek()?.lease).toBe(true)
    queue.peek()!.resolve('a')
    queue.peek()!.resolve('b')
    expect([await first, await second]).toEqual(['a', 'b'])
  })

  it('leaves at once when its signal aborts, with the reason, clearing its timer and listener', async () => {
    const queue = new WaitQueue<string>()
    const signal = source()
    const waiting = queue.wait(true, 1_000, signal, timedOut)
    signal.abort(new Error('client went away'))
    await expect(waiting).rejects.toThrow('client went away')
    expect(queue.size).toBe(0)
    expect(signal.listeners).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('clears the timer and the abort listener of a waiter that got its value', async () => {
    const queue = new WaitQueue<string>()
    const signal = source()
    const waiting = queue.wait(true, 1_000, signal, timedOut)
    queue.peek()!.resolve('slot')
    expect(await waiting).toBe('slot')
    expect(vi.getTimerCount()).toBe(0)
    expect(signal.listeners).toBe(0)
  })

  it('rejects every waiter with rejectAll', async () => {
    const queue = new WaitQueue<string>()
    const all = [1, 2, 3].map(() => queue.wait(true, 1_000, source(), timedOut))
    queue.rejectAll(() => new Error('shutting down'))
    for (const waiting of all) await expect(waiting).rejects.toThrow('shutting down')
    expect(queue.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })
})
