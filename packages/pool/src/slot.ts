import type { LeaseOutcome, UpstreamLease } from '@mcpx/transports'
import type { Origin, UpstreamConnection } from '@mcpx/transports/protocol'
import type { Supervisor } from './supervisor.js'

/**
 * One connection of a pool and its supervisor, made once per slot and
 * reused as its shared-mode lease (docs/pool-design.md §3.2, §3.8): leasing
 * allocates nothing, `release` is bound once.
 */
export class Slot implements UpstreamLease {
  /** The open connection; only meaningful while `supervisor.state.kind === 'ready'`. */
  connection!: UpstreamConnection
  /** Requests leased on this slot and not yet released. */
  inFlight = 0
  /** The pool is closing this slot's connection itself: its close is no crash. */
  closing = false
  /**
   * Past `maxLifetime` (or idle past `idleTimeout`): takes no new lease and
   * closes once its in-flight requests end.
   */
  retiring = false
  /** When the current connection became ready (`Date.now()`), for `maxLifetime`. */
  openedAt = 0
  /**
   * Activity so far: releases, and per-session the server's own requests and
   * notifications; the idle sweeps compare it between sweeps (the hot path
   * reads no clock).
   */
  releases = 0
  /** `releases` at the last sweep. */
  seenReleases = 0
  /** Ms the idle sweep has seen this slot without a request. */
  idleFor = 0
  /**
   * per-request: the request holding the slot, set before its request is
   * written, so a server request on the connection goes to its session.
   */
  owner: Origin | undefined
  /** per-session: the pool was told this leased connection is no longer leased (counted once). */
  leaseEnded = false
  /** per-request: in the pool's idle stack. */
  idle = false
  /** per-request: released after an abandoned request (or with a server request unanswered); no next owner yet. */
  quarantine: ReturnType<typeof setInterval> | undefined
  /** The open in progress (or done), to close it once open. */
  opening: Promise<UpstreamConnection> | undefined
  readonly supervisor: Supervisor
  readonly release: (outcome: LeaseOutcome) => void

  constructor(supervisor: Supervisor, release: (slot: Slot, outcome: LeaseOutcome) => void) {
    this.supervisor = supervisor
    this.release = (outcome) => release(this, outcome)
  }

  /** Ready and neither retiring nor being closed: it may take new leases (and hold the subscriptions). */
  get ready(): boolean {
    return !this.closing && !this.retiring && this.supervisor.state.kind === 'ready'
  }
}
