import { type AbortSource, ErrorCode, McpxError } from '@mcpx/core'
import type { LeaseOutcome, UpstreamLease } from '@mcpx/transports'
import type { Origin, Result, Session } from '@mcpx/transports/protocol'
import type { ConnectionLostPolicy } from './options.js'
import type { Slot } from './slot.js'
import { unref } from './unref.js'

/** What per-session leases need of their pool. */
export interface SessionLeaseHost {
  readonly name: string
  readonly onConnectionLost: ConnectionLostPolicy
  /** Ms a lease may go without traffic before its session ends; 0: never. */
  readonly leaseIdleTimeout: number
  /** Ms the client's `initialize` may take on a spare. */
  readonly connectTimeout: number
  /** The gateway's own `initialize`, for a session that never shook hands with this upstream. */
  readonly defaultInitialize: Record<string, unknown>
  /**
   * A started connection that is not yet initialized, out of the pool's
   * supervision from now on: a ready spare at once, else one that opens (or
   * the wait for one). Rejects with -32011 or -32010 naming the upstream.
   */
  spare(signal: AbortSource, maxWait?: number): Slot | Promise<Slot>
  /** Requests in flight changed by `delta` (the pool's drain waits for 0). */
  counted(delta: number): void
  /** The pool is closing: no new lease. */
  closing(): boolean
  /** A connection taken with `spare()` is no longer leased (closed, or died): the pool may start another. */
  ended(): void
  log(line: string): void
}

/**
 * per-session mode (docs/pool-design.md §3.2, §3.3): each downstream session
 * leases one connection for its lifetime, taken from the pool's warm spares
 * (started, so the spawn and the runtime's boot are paid ahead) and
 * initialized with the client's own `initialize`. The lease ends with its
 * session, after `leaseIdleTimeout` ms without traffic (an SDK client's
 * `close()` sends no DELETE), or when its connection dies: then, by policy,
 * the session ends too (`'end-session'`: the client gets 404 and
 * re-initializes) or the next request opens a replacement with the stored
 * `initialize` (`'reopen'`).
 */
export class SessionLeases {
  readonly #host: SessionLeaseHost
  /** Each session's lease: the slot once initialized, the promise while it is being opened. */
  readonly #leases = new Map<Session, Slot | Promise<Slot>>()
  /** The client's `initialize`, to reopen a lease with (`'reopen'`). */
  readonly #handshakes = new Map<Session, Record<string, unknown>>()
  /** Sessions whose connection died under `'end-session'`, closing a tick later. */
  readonly #ending = new WeakSet<Session>()

  constructor(host: SessionLeaseHost) {
    this.#host = host
  }

  /** The leased slots that are open. */
  *slots(): IterableIterator<Slot> {
    for (const lease of this.#leases.values()) if (!(lease instanceof Promise)) yield lease
  }

  /** The client's `initialize`: lease `session` a connection initialized with the client's own params. */
  async handshake(
    session: Session | undefined,
    initialize: Record<string, unknown>,
    signal: AbortSource,
  ): Promise<Result> {
    const owner = this.#usable(session)
    const held = this.#leases.get(owner)
    if (held) return (await held).connection.initializeResult
    if (this.#ending.has(owner)) throw this.#lost()
    this.#handshakes.set(owner, initialize)
    return (await this.#open(owner, initialize, signal)).connection.initializeResult
  }

  /** The session's connection: synchronous once its lease is open (the hot path allocates nothing). */
  lease(
    origin: Origin,
    signal: AbortSource,
    maxWait?: number,
  ): UpstreamLease | Promise<UpstreamLease> {
    const session = this.#usable(origin.session)
    const held = this.#leases.get(session)
    if (held !== undefined && !(held instanceof Promise)) return this.#take(held)
    if (this.#ending.has(session)) throw this.#lost()
    // Opening, or a replacement for a lease that died ('reopen'; also a session that never shook hands here).
    const opening = held ?? this.#open(session, this.#handshakes.get(session), signal, maxWait)
    return opening.then((slot) => this.#take(slot))
  }

  released(slot: Slot, _outcome: LeaseOutcome): void {
    slot.inFlight--
    slot.releases++
    this.#host.counted(-1)
  }

  /** A leased connection closed without the pool closing it: the policy decides (§3.3). */
  lost(slot: Slot): void {
    const session = slot.owner?.session
    if (!session || this.#leases.get(session) !== slot) return
    this.#leases.delete(session)
    this.#end(slot)
    if (this.#host.onConnectionLost === 'reopen') return
    this.#ending.add(session)
    // A tick later, so the requests that were in flight are answered with the
    // connection's own -32010 (naming the upstream) before the session ends.
    unref(setTimeout(() => session.close(), 0))
  }

  /** The session ended (DELETE, expiry, `leaseIdleTimeout`, shutdown): close its connection. */
  sessionClosed(session: Session): void {
    this.#handshakes.delete(session)
    const held = this.#leases.get(session)
    if (held === undefined) return
    this.#leases.delete(session)
    void Promise.resolve(held).then(
      (slot) => this.#close(slot),
      () => {},
    )
  }

  /**
   * One tick of the pool's sweeper, `every` ms since the last: a lease whose
   * client held no connection open (no Streamable HTTP stream) and sent or
   * got no request, notification or server request for `leaseIdleTimeout` ms
   * ends its session.
   */
  sweep(every: number): void {
    const limit = this.#host.leaseIdleTimeout
    if (limit === 0) return
    for (const slot of [...this.slots()]) {
      const quiet =
        slot.inFlight === 0 &&
        slot.owner?.session?.connected !== true &&
        slot.releases === slot.seenReleases &&
        slot.connection.incomingCount === 0
      slot.idleFor = quiet ? slot.idleFor + every : 0
      slot.seenReleases = slot.releases
      const session = slot.owner?.session
      if (session?.closed) this.sessionClosed(session)
      else if (slot.idleFor >= limit) {
        this.#host.log(`a session's lease was idle for ${limit} ms: session ended`)
        session?.close()
      }
    }
  }

  /** Close every leased connection (the pool's drain, after in-flight requests had their time). */
  async closeAll(): Promise<void> {
    const all = [...this.#leases.values()]
    this.#leases.clear()
    this.#handshakes.clear()
    await Promise.all(
      all.map((held) =>
        Promise.resolve(held).then(
          (slot) => this.#close(slot),
          () => {},
        ),
      ),
    )
  }

  #take(slot: Slot): Slot {
    slot.inFlight++
    this.#host.counted(1)
    return slot
  }

  #open(
    session: Session,
    initialize: Record<string, unknown> | undefined,
    signal: AbortSource,
    maxWait?: number,
  ): Promise<Slot> {
    const opening = this.#initialize(session, initialize, signal, maxWait)
    this.#leases.set(session, opening)
    opening.then(
      (slot) => {
        // The session may have ended while its lease was opening.
        if (this.#leases.get(session) === opening) this.#leases.set(session, slot)
        else void this.#close(slot)
      },
      () => {
        if (this.#leases.get(session) === opening) this.#leases.delete(session)
      },
    )
    return opening
  }

  async #initialize(
    session: Session,
    initialize: Record<string, unknown> | undefined,
    signal: AbortSource,
    maxWait: number | undefined,
  ): Promise<Slot> {
    const pending = this.#host.spare(signal, maxWait)
    const slot = pending instanceof Promise ? await pending : pending
    slot.owner = { session, id: undefined }
    slot.idleFor = 0
    slot.seenReleases = slot.releases
    try {
      // Without a client's own handshake (a session that never shook hands with this upstream), the spare's default.
      await slot.connection.initialize(
        initialize ?? this.#host.defaultInitialize,
        this.#host.connectTimeout,
      )
    } catch (error) {
      void this.#close(slot)
      throw error
    }
    return slot
  }

  #close(slot: Slot): Promise<void> {
    slot.closing = true
    this.#end(slot)
    return slot.connection.close()
  }

  /** Tell the pool, once per slot, that a connection it lent is no longer leased. */
  #end(slot: Slot): void {
    if (slot.leaseEnded) return
    slot.leaseEnded = true
    this.#host.ended()
  }

  /**
   * The session a lease is for, if one may be made: the pool is not closing,
   * there is a session, and it has not ended (a request that reached the
   * pool after its session closed would lease a child nobody gives back).
   */
  #usable(session: Session | undefined): Session {
    const name = this.#host.name
    if (this.#host.closing()) {
      throw new McpxError(ErrorCode.UpstreamUnavailable, `Upstream "${name}" is shutting down`, {
        data: { upstream: name },
        unsent: true,
      })
    }
    if (!session) {
      throw new McpxError(
        ErrorCode.InternalError,
        `Upstream "${name}" is per-session and needs a session`,
      )
    }
    if (session.closed) throw new McpxError(ErrorCode.ConnectionClosed, 'Session closed')
    return session
  }

  #lost(): McpxError {
    return new McpxError(
      ErrorCode.UpstreamUnavailable,
      `Upstream "${this.#host.name}" lost this session's connection; the session is ending`,
      { data: { upstream: this.#host.name }, unsent: true },
    )
  }
}
