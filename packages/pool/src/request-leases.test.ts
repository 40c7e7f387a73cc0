import type { UpstreamConnection } from '@mcpx/transports/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RequestLeases } from './request-leases.js'
import { Slot } from './slot.js'
import { createSupervisor } from './supervisor.js'
import { type Waiter, WaitQueue } from './wait-queue.js'

const neverAborted = { aborted: false, reason: undefined, onAbort: () => () => {} }

/** A ready slot on a connection with `incoming` server requests unanswered (only that is read). */
function readySlot(leases: () => RequestLeases, incoming = { count: 0 }) {
  const supervisor = createSupervisor()
  supervisor.started()
  supervisor.ready()
  const slot = new Slot(supervisor, (s, outcome) => leases().released(s, outcome))
  slot.connection = {
    get incomingCount() {
      return incoming.count
    },
  } as UpstreamConnection
  return slot
}

function setup(quarantine = 100) {
  const queue = new WaitQueue<Slot>()
  let inFlight = 0
  const retired: Slot[] = []
  const leases: RequestLeases = new RequestLeases({
    quarantine,
    wait: (signal) => queue.wait(true, 10_000, signal, () => new Error('timed out')),
    nextWaiter: () => queue.peek(),
    handOver: (slot: Slot, waiter: Waiter<Slot>) => {
      if (waiter.lease) {
        slot.inFlight++
        inFlight++
      }
      waiter.resolve(slot)
    },
    counted: (delta) => {
      inFlight += delta
    },
    closing: () => false,
    retire: (slot) => {
      retired.push(slot)
    },
    retired: () => {},
    log: () => {},
  })
  return { leases, queue, retired, inFlight: () => inFlight }
}

describe('RequestLeases', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('hands a free slot to one request at a time', async () => {
    const { leases } = setup()
    const slot = readySlot(() => leases)
    leases.free(slot)
    const first = leases.lease({ session: undefined, id: 1 }, neverAborted)
    expect(first).toBe(slot)
    const second = leases.lease({ session: undefined, id: 2 }, neverAborted)
    expect(second).toBeInstanceOf(Promise)
    // Freeing it again while it is held (a restart racing a release) gives it to nobody.
    leases.free(slot)
    expect(slot.owner).toEqual({ session: undefined, id: 1 })
    slot.release('done')
    expect(await second).toBe(slot)
    expect(slot.owner).toEqual({ session: undefined, id: 2 })
  })

  it('ends the quarantine of a slot whose connection was replaced without freeing it for the old one', () => {
    vi.useFakeTimers()
    const { leases } = setup(100)
    const slot = readySlot(() => leases)
    leases.free(slot)
    leases.lease({ session: undefined, id: 1 }, neverAborted)
    slot.release('abandoned')
    expect(slot.quarantine).toBeDefined()
    // The child died and restarted: a new connection.
    slot.connection = { incomingCount: 0 } as UpstreamConnection
    leases.reset(slot)
    expect(slot.quarantine).toBeUndefined()
    leases.free(slot)
    vi.advanceTimersByTime(500)
    expect(leases.lease({ session: undefined, id: 2 }, neverAborted)).toBe(slot)
    // Exactly one owner: the idle stack holds it no more.
    expect(leases.lease({ session: undefined, id: 3 }, neverAborted)).toBeInstanceOf(Promise)
  })

  it('keeps an abandoned slot for the whole quarantine, then frees it once nothing is owed', () => {
    vi.useFakeTimers()
    const { leases } = setup(100)
    const incoming = { count: 1 }
    const slot = readySlot(() => leases, incoming)
    leases.free(slot)
    leases.lease({ session: undefined, id: 1 }, neverAborted)
    slot.release('abandoned')
    vi.advanceTimersByTime(60)
    incoming.count = 0
    vi.advanceTimersByTime(30)
    expect(slot.quarantine).toBeDefined()
    vi.advanceTimersByTime(20)
    expect(slot.quarantine).toBeUndefined()
    expect(leases.lease({ session: undefined, id: 2 }, neverAborted)).toBe(slot)
  })

  it('retires a slot whose server still waits on an answer when the quarantine ends', () => {
    vi.useFakeTimers()
    const { leases, retired } = setup(100)
    const slot = readySlot(() => leases, { count: 1 })
    leases.free(slot)
    leases.lease({ session: undefined, id: 1 }, neverAborted)
    slot.release('done')
    vi.advanceTimersByTime(150)
    expect(retired).toEqual([slot])
    expect(leases.lease({ session: undefined, id: 2 }, neverAborted)).toBeInstanceOf(Promise)
  })
})
