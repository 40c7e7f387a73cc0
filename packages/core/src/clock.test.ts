import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { cachedClock } from './clock.js'

describe('cachedClock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_750_000_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('keeps one reading until its 1 ms timer fires, then reads the clock again', () => {
    const clock = cachedClock()
    const first = clock.now()
    expect(first).toBe(Date.now())
    vi.setSystemTime(first + 500) // the clock moves, no timer has run yet
    expect(clock.now()).toBe(first)
    vi.advanceTimersByTime(1)
    expect(clock.now()).toBe(first + 501)
    clock.close()
  })

  it('follows fake time as it is advanced', () => {
    const clock = cachedClock()
    const start = clock.now()
    vi.advanceTimersByTime(60_000)
    expect(clock.now()).toBe(start + 60_000)
    clock.close()
  })

  it('reads the clock again after maxReads reads, when timers cannot run', () => {
    const clock = cachedClock(1, 4)
    const first = clock.now()
    vi.setSystemTime(first + 10)
    expect([clock.now(), clock.now(), clock.now(), clock.now()]).toEqual([
      first,
      first,
      first,
      first + 10,
    ])
    clock.close()
  })

  it('never goes backwards when the system clock does', () => {
    const clock = cachedClock()
    const first = clock.now()
    vi.setSystemTime(first - 5000)
    vi.advanceTimersByTime(1)
    expect(clock.now()).toBe(first)
    clock.close()
  })

  it('arms one timer only while read, and none after close()', () => {
    const clock = cachedClock()
    expect(vi.getTimerCount()).toBe(0)
    clock.now()
    clock.now()
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(5)
    expect(vi.getTimerCount()).toBe(0)
    clock.now()
    clock.close()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('cachedClock with real timers', () => {
  it('does not keep the process alive: its timer is unref’d', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout')
    const clock = cachedClock()
    clock.now()
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout
    spy.mockRestore()
    expect(timer.hasRef()).toBe(false)
    clock.close()
  })
})
