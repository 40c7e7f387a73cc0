import type { Connector, LeaseOutcome } from '@mcpx/transports'
import {
  openConnection,
  type ServerMessageHandlers,
  UpstreamConnection,
} from '@mcpx/transports/protocol'
import type { ResolvedRestartOptions } from './backoff.js'
import { Slot } from './slot.js'
import type { PoolState } from './stats.js'
import { createSupervisor } from './supervisor.js'

/** What the slots need of their pool: how to open a connection, and what to tell it. */
export interface SlotsHost {
  readonly name: string
  readonly connector: Connector
  readonly restart: ResolvedRestartOptions
  readonly random: (() => number) | undefined
  readonly connectTimeout: number
  /** The `initialize` to open with; undefined: start only (per-session spares, initialized by their lease). */
  readonly initialize: Record<string, unknown> | undefined
  /** The server-message handlers of `slot`'s connections. */
  handlers(slot: Slot): ServerMessageHandlers
  /** A lease on `slot` ended (bound once per slot: it is the slot's `release`). */
  released(slot: Slot, outcome: LeaseOutcome): void
  /** `slot`'s connection is ready: give it to whoever waits. */
  up(slot: Slot): void
  /** `slot`'s connection closed by itself: whether the pool took it (a per-session lease) rather than the supervisor. */
  lost(slot: Slot): boolean
  /** `slot`'s server forgot its session and the channel re-initialized it (HTTP 404). */
  reset(slot: Slot): void
  /** After any change of a slot's state (the ready list is rebuilt first). */
  changed(): void
  /** The pool is closing: open nothing, and list nothing as ready. */
  stopping(): boolean
  log(line: string): void
}

/** Counts over the slots, for the pool's stats. */
export interface SlotCounts {
  ready: number
  starting: number
  backingOff: number
  failed: number
  retiring: number
  inUse: number
  quarantined: number
  restarts: number
}

/**
 * A pool's supervised connections (docs/pool-design.md §3.5): each slot
 * opens its connection, is restarted by its supervisor with backoff when the
 * connection dies (up to the crash-loop limit, then `failed`, keeping its
 * place), retires without cutting off a request, or leaves supervision for a
 * per-session lease. Which slot serves what is the pool's business.
 */
export class Slots {
  /** Every supervised slot: starting, ready, backing off, failed or retiring. */
  readonly all: Slot[] = []
  /** Ready slots that take leases, dense, rebuilt on state changes only (the hot path reads it). */
  ready: Slot[] = []
  /** Connections opened, restarts included. */
  opened = 0
  /** Connections closed by the pool itself: retired (idle, aged) or evicted (missed pings). */
  evictions = 0
  readonly #host: SlotsHost
  /** Restarts of slots no longer in `all` (leased, retired), so the counter only grows. */
  #pastRestarts = 0

  constructor(host: SlotsHost) {
    this.#host = host
  }

  /** Open slots until `wanted` are kept (not retiring; failed ones keep their place), within `room`. */
  fill(wanted: number, room: number): void {
    if (this.#host.stopping()) return
    const kept = () => this.all.filter((s) => !s.retiring).length
    while (kept() < wanted && this.all.length < room) this.add()
  }

  /** Open one more slot. */
  add(): void {
    const { restart, random } = this.#host
    const supervisor = createSupervisor({ ...restart, random })
    const slot = new Slot(supervisor, (s, outcome) => this.#host.released(s, outcome))
    this.all.push(slot)
    supervisor.onChange((state, previous) => {
      if (state.kind === 'starting' && previous.kind !== 'starting') this.#open(slot)
      this.#changed()
    })
    this.#open(slot)
  }

  /** Slots starting now. */
  get starting(): number {
    return this.all.filter((s) => s.supervisor.state.kind === 'starting').length
  }

  /** Take `slot` out of supervision (a per-session lease owns it from now on). */
  detach(slot: Slot): void {
    const i = this.all.indexOf(slot)
    if (i === -1) return
    this.all.splice(i, 1)
    this.#pastRestarts += slot.supervisor.restarts
    slot.supervisor.close()
    this.#changed()
  }

  /** Take no new lease on `slot`; close it once its in-flight requests end (never cutting one off). */
  retire(slot: Slot): void {
    slot.retiring = true
    this.#changed()
    if (slot.inFlight === 0) this.retired(slot)
  }

  /** A retiring slot with nothing in flight: close its connection and count the eviction. */
  retired(slot: Slot): void {
    const i = this.all.indexOf(slot)
    if (i === -1) return
    this.all.splice(i, 1)
    slot.closing = true
    this.#pastRestarts += slot.supervisor.restarts
    slot.supervisor.close()
    this.evictions++
    void slot.connection.close()
    this.#changed()
  }

  /**
   * A connection that missed its pings: closed as if it died (its requests
   * fail with -32010 naming the upstream), so its supervisor restarts it with
   * backoff and counts it towards the crash-loop limit, and a leased one
   * follows its lease policy.
   */
  evict(slot: Slot, reason: string): void {
    // Already closing, or closed by itself meanwhile: nothing to evict.
    if (slot.closing || slot.connection.closed) return
    this.#host.log(`a connection ${reason}: closed`)
    // A retiring one is counted once, when it is retired (its close goes there).
    if (!slot.retiring) this.evictions++
    void slot.connection.close()
  }

  /** Start every failed slot again, its failures forgotten. */
  restart(): void {
    for (const slot of this.all)
      if (slot.supervisor.state.kind === 'failed') slot.supervisor.restart()
  }

  /**
   * The pool's state as its slots make it (§3.5): a pool without slots needs
   * none yet; `failed` only when every slot crash-looped; a retiring slot
   * counts as starting (its replacement is on the way, no failover needed).
   */
  state(): PoolState {
    if (this.ready.length > 0 || this.all.length === 0) return 'ready'
    const kind = (s: Slot) => s.supervisor.state.kind
    if (this.all.every((s) => kind(s) === 'failed')) return 'failed'
    if (this.all.some((s) => s.retiring || kind(s) === 'starting')) return 'starting'
    return 'backing-off'
  }

  counts(): SlotCounts {
    const counts: SlotCounts = {
      ready: 0,
      starting: 0,
      backingOff: 0,
      failed: 0,
      retiring: 0,
      inUse: 0,
      quarantined: 0,
      restarts: this.#pastRestarts,
    }
    for (const slot of this.all) {
      const kind = slot.supervisor.state.kind
      if (slot.retiring) counts.retiring++
      else if (kind === 'ready') counts.ready++
      else if (kind === 'starting') counts.starting++
      else if (kind === 'backing-off') counts.backingOff++
      else counts.failed++
      if (slot.inFlight > 0) counts.inUse++
      if (slot.quarantine !== undefined) counts.quarantined++
      counts.restarts += slot.supervisor.restarts
    }
    return counts
  }

  /** Close every slot and its supervisor (the pool's drain, after in-flight requests had their time). */
  async closeAll(): Promise<void> {
    const slots = this.all.splice(0)
    this.ready = []
    await Promise.all(
      slots.map((slot) => {
        this.#pastRestarts += slot.supervisor.restarts
        clearInterval(slot.quarantine)
        slot.closing = true
        slot.supervisor.close()
        return slot.opening?.then(
          (conn) => conn.close(),
          () => {},
        )
      }),
    )
  }

  #changed(): void {
    this.ready = this.#host.stopping() ? [] : this.all.filter((s) => s.ready)
    this.#host.changed()
  }

  #open(slot: Slot): void {
    const host = this.#host
    if (host.stopping()) return
    slot.supervisor.started()
    this.opened++
    const log = (line: string) => host.log(line)
    const { connectTimeout, initialize } = host
    const handlers = host.handlers(slot)
    let opening: Promise<UpstreamConnection>
    try {
      // Without an initialize, a warm spare: started (the spawn and the runtime's boot paid ahead).
      opening =
        initialize === undefined
          ? new UpstreamConnection(host.name, host.connector, handlers).start({
              connectTimeout,
              log,
            })
          : openConnection(host.name, host.connector, handlers, { initialize, connectTimeout, log })
    } catch (error) {
      // A connector whose open() throws: a failed start like any other, for the supervisor.
      opening = Promise.reject(error)
    }
    slot.opening = opening
    opening.then(
      (conn) => this.#up(slot, conn),
      (error: Error) => {
        if (slot.closing || host.stopping()) return
        host.log(`open failed: ${error.message}`)
        slot.supervisor.exited()
      },
    )
  }

  #up(slot: Slot, conn: UpstreamConnection): void {
    const host = this.#host
    if (slot.closing || host.stopping()) {
      void conn.close()
      return
    }
    slot.connection = conn
    slot.openedAt = Date.now()
    slot.idleFor = 0
    slot.seenReleases = slot.releases
    conn.onClose(() => {
      if (slot.closing || slot.connection !== conn || host.lost(slot)) return
      // A retiring connection that dies has nothing left to finish: no crash to restart.
      // Otherwise its requests fail with the connection's -32010 and release as usual.
      if (slot.retiring) this.retired(slot)
      else slot.supervisor.exited()
    })
    conn.onReset(() => host.reset(slot))
    slot.supervisor.ready()
    host.up(slot)
  }
}
