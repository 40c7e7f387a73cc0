import type { AbortSource } from '@mcpx/core'
import type { LeaseOutcome, UpstreamLease } from '@mcpx/transports'
import type { Origin } from '@mcpx/transports/protocol'
import type { Slot } from './slot.js'
import { unref } from './unref.js'
import type { Waiter } from './wait-queue.js'

/** What per-request leases need of their pool. */
export interface RequestLeaseHost {
  /** Ms a connection whose lease was abandoned waits before its next owner. */
  readonly quarantine: number
  /** Wait (bounded) for a slot; it comes counted as one request in flight. */
  wait(signal: AbortSource, maxWait: number | undefined): Promise<Slot>
  /** The oldest waiter, if any. */
  nextWaiter(): Waiter<Slot> | undefined
  /** Give `slot` to `waiter` (counting it in flight when it is a lease). */
  handOver(slot: Slot, waiter: Waiter<Slot>): void
  /** Requests in flight changed by `delta`. */
  counted(delta: number): void
  /** The pool is closing: no slot goes back on the idle stack. */
  closing(): boolean
  /** Take no new lease on `slot` and replace it. */
  retire(slot: Slot): void
  /** A retiring slot with nothing in flight: close and replace it. */
  retired(slot: Slot): void
  log(line: string): void
}

/**
 * per-request mode (docs/pool-design.md §3.2): a slot is held by one
 * request at a time, and its owner (the request's `Origin`) is set before
 * `forward` writes the request, so a server request on the connection
 * (sampling, elicitation, roots) goes to exactly that request's session.
 * Free slots sit on a LIFO stack, so the idle tail ages out under
 * `idleTimeout`.
 */
export class RequestLeases {
  readonly #host: RequestLeaseHost
  readonly #idle: Slot[] = []

  constructor(host: RequestLeaseHost) {
    this.#host = host
  }

  /** The top idle slot, held for this one request; else a wait for the next free one. */
  lease(
    origin: Origin,
    signal: AbortSource,
    maxWait?: number,
  ): UpstreamLease | Promise<UpstreamLease> {
    const idle = this.#idle
    while (idle.length > 0) {
      const slot = idle.pop()!
      slot.idle = false
      if (!slot.ready || slot.retiring || slot.inFlight !== 0 || slot.quarantine) continue
      slot.owner = origin
      slot.inFlight = 1
      this.#host.counted(1)
      return slot
    }
    return this.#host.wait(signal, maxWait).then((slot) => {
      slot.owner = origin
      return slot
    })
  }

  /**
   * A slot whose request was abandoned, or whose server still waits on an
   * answer, may still speak for its old owner (MCP Cancellation: messages may
   * follow a cancel), so it takes no new owner until `quarantine` ms passed
   * (abandoned) and its server requests are answered; one still busy then is
   * retired and replaced.
   */
  released(slot: Slot, outcome: LeaseOutcome): void {
    const host = this.#host
    slot.inFlight = 0
    slot.owner = undefined
    slot.releases++
    host.counted(-1)
    if (slot.retiring) {
      host.retired(slot)
      return
    }
    if (!slot.ready) return
    const conn = slot.connection
    if (outcome !== 'abandoned' && conn.incomingCount === 0) {
      this.free(slot)
      return
    }
    const { quarantine } = host
    const mustWait = outcome === 'abandoned' ? quarantine : 0
    const start = Date.now()
    const every = Math.max(5, Math.min(50, Math.floor(quarantine / 10)))
    slot.quarantine = unref(
      setInterval(() => {
        const waited = Date.now() - start
        // Closed, retiring, or a new connection since (it died and restarted): it owes the old owner nothing.
        if (!slot.ready || slot.connection !== conn) return this.#endQuarantine(slot, false)
        if (waited < mustWait) return
        if (conn.incomingCount === 0) return this.#endQuarantine(slot, true)
        if (waited >= quarantine) {
          host.log(
            `a connection still had a server request ${quarantine} ms after its request ended: replaced`,
          )
          this.#endQuarantine(slot, false)
          host.retire(slot)
        }
      }, every),
    )
  }

  /** A free ready slot goes straight to the oldest lease waiter, else onto the idle stack. */
  free(slot: Slot): void {
    // Held by a request, or waiting out its quarantine: not free (a slot has one owner at a time).
    if (slot.inFlight !== 0 || slot.quarantine || this.#host.closing()) return
    for (let w = this.#host.nextWaiter(); w; w = this.#host.nextWaiter()) {
      this.#host.handOver(slot, w)
      if (w.lease) return
    }
    if (!slot.idle) {
      slot.idle = true
      this.#idle.push(slot)
    }
  }

  /** Forget the idle stack (the pool is closing its slots). */
  clear(): void {
    for (const slot of this.#idle) slot.idle = false
    this.#idle.length = 0
  }

  /** A slot's connection closed or a new one opened: a quarantine for the old one ends, freeing nothing. */
  reset(slot: Slot): void {
    if (slot.quarantine) this.#endQuarantine(slot, false)
  }

  #endQuarantine(slot: Slot, free: boolean): void {
    clearInterval(slot.quarantine)
    slot.quarantine = undefined
    if (free) this.free(slot)
  }
}
