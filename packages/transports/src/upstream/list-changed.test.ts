import type { Notification } from '@mcpx/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ListChangedDebouncer } from './list-changed.js'

const tools: Notification = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' }
const prompts: Notification = { jsonrpc: '2.0', method: 'notifications/prompts/list_changed' }

function debouncer(window = 50) {
  const delivered: string[] = []
  const d = new ListChangedDebouncer<string>(window, (session, message) =>
    delivered.push(`${session} ${message.method}`),
  )
  return { d, delivered }
}

describe('ListChangedDebouncer', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('delivers ten list_changed in a burst as one when the window closes', () => {
    const { d, delivered } = debouncer()
    for (let i = 0; i < 10; i++) d.push('a', tools)
    vi.advanceTimersByTime(49)
    expect(delivered).toEqual([])
    vi.advanceTimersByTime(1)
    expect(delivered).toEqual(['a notifications/tools/list_changed'])
  })

  it('opens a new window for a change after the last one closed', () => {
    const { d, delivered } = debouncer()
    d.push('a', tools)
    vi.advanceTimersByTime(50)
    d.push('a', tools)
    vi.advanceTimersByTime(50)
    expect(delivered).toHaveLength(2)
  })

  it('coalesces each method on its own', () => {
    const { d, delivered } = debouncer()
    d.push('a', tools)
    d.push('a', prompts)
    d.push('a', tools)
    vi.advanceTimersByTime(50)
    expect(delivered.sort()).toEqual([
      'a notifications/prompts/list_changed',
      'a notifications/tools/list_changed',
    ])
  })

  it('coalesces each session on its own', () => {
    const { d, delivered } = debouncer()
    d.push('a', tools)
    d.push('b', tools)
    vi.advanceTimersByTime(50)
    expect(delivered.sort()).toEqual([
      'a notifications/tools/list_changed',
      'b notifications/tools/list_changed',
    ])
  })

  it('delivers nothing and keeps no timer for a session dropped inside its window', () => {
    const { d, delivered } = debouncer()
    d.push('a', tools)
    d.drop('a')
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(100)
    expect(delivered).toEqual([])
    expect(d.pendingCount).toBe(0)
  })

  it('delivers each notification at once with a window of 0', () => {
    const { d, delivered } = debouncer(0)
    d.push('a', tools)
    d.push('a', tools)
    expect(delivered).toHaveLength(2)
    expect(vi.getTimerCount()).toBe(0)
  })
})
