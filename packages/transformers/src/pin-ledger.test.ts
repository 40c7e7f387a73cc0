import type { ClientSession } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { PinLedger } from './pin-ledger.js'
import { memoryPinStore } from './pin-store.js'

/** A session that counts its live `onClose` listeners. */
function session(): ClientSession & { listeners: Set<() => void> } {
  const listeners = new Set<() => void>()
  return {
    id: undefined,
    closed: false,
    listeners,
    toClient: async () => undefined,
    onClose(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

const ledger = () =>
  new PinLedger({
    store: memoryPinStore(),
    lock: undefined,
    lockDigest: undefined,
    strict: false,
    maxPending: 10,
    log: () => {},
  })

describe('PinLedger sessions', () => {
  it('removes the close listener of a session it evicts, so that one session never piles them up', () => {
    const pins = ledger()
    const first = session()
    const origin = { entry: 'crm', replica: 'crm' }
    for (let round = 0; round < 3; round++) {
      pins.listener(origin, first)
      // 1024 other sessions list the same upstream: the first is evicted.
      for (let i = 0; i < 1024; i++) pins.listener(origin, session())
      expect(first.listeners.size).toBe(0)
    }
  })

  it('keeps one close listener per session and entry, whichever replica it listed', () => {
    const pins = ledger()
    const one = session()
    pins.listener({ entry: 'crm', replica: 'crm-1' }, one)
    pins.listener({ entry: 'crm', replica: 'crm-2' }, one)
    pins.listener({ entry: 'docs', replica: 'docs' }, one)
    expect(one.listeners.size).toBe(2)
  })
})
