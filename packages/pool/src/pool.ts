import { type AbortSource, ErrorCode, McpxError } from '@mcpx/core'
import type {
  Connector,
  LeaseMode,
  LeaseOutcome,
  UpstreamLease,
  UpstreamSource,
} from '@mcpx/transports'
import {
  defaultInitialize,
  type Origin,
  ownerHandlers,
  type Params,
  type Result,
  type ServerMessageHandlers,
  type Session,
  SessionRoutes,
  sharedHandlers,
} from '@mcpx/transports/protocol'
import {
  type PoolFactoryOptions,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
} from './connection-options.js'
import { createPingSweeper, type PingSweeper } from './health-check.js'
import { createHttpHealthCheck, type HttpHealthCheck } from './http-health.js'
import { type ResolvedPoolOptions, resolvePoolOptions } from './options.js'
import { RequestLeases } from './request-leases.js'
import { SessionLeases } from './session-leases.js'
import type { Slot } from './slot.js'
import { Slots } from './slots.js'
import type { PoolState, PoolStats } from './stats.js'
import { poolStatsSource } from './stats-source.js'
import { unref } from './unref.js'
import { type Waiter, WaitQueue } from './wait-queue.js'

const SUBSCRIBE = 'resources/subscribe'

/**
 * A pool of supervised connections to one upstream, lent to `forward()`
 * (docs/pool-design.md §3). Modes `'shared'` (requests spread over
 * `min`…`max` multiplexed connections, least in flight first),
 * `'per-session'` (a connection per downstream session, from warm spares,
 * initialized with the client's own `initialize`) and `'per-request'` (a
 * connection held by one request at a time, so server requests on it belong
 * to that request's session).
 */
export class Pool implements UpstreamSource {
  readonly name: string
  readonly mode: LeaseMode
  readonly timeout: number
  readonly maxTotalTimeout: number
  readonly #options: ResolvedPoolOptions
  readonly #connect: ResolvedConnectionOptions
  readonly #maxInFlight: number
  readonly #connectTimeout: number
  readonly #routes: SessionRoutes
  readonly #slots: Slots
  #offset = 0
  #inFlight = 0
  #anchor: Slot | undefined
  readonly #perRequest: boolean
  /** per-session: the sessions' leases; the pool's own slots are then the warm spares. */
  readonly #sessions: SessionLeases | undefined
  /** per-request: the exclusive leases and their idle stack. */
  readonly #requests: RequestLeases | undefined
  readonly #waiting = new WaitQueue<Slot>()
  #closing: Promise<void> | undefined
  /** Set by `close()` before anything else: no lease, no slot, no rebuilt ready list after it. */
  #stopping = false
  /** per-session: connections lent out of `#slots` and not yet given back (`SessionLeases` says when). */
  #leasedCount = 0
  #drained: (() => void) | undefined
  #lastHealth: 'ready' | 'unhealthy' | undefined
  #acquireTimeouts = 0
  #rejected = 0
  #sweeper: ReturnType<typeof setInterval> | undefined
  readonly #unregister: (() => void) | undefined
  readonly #pings: PingSweeper
  readonly #httpHealth: HttpHealthCheck | undefined
  #sweepEvery = 0

  constructor(name: string, connector: Connector, options: PoolFactoryOptions = {}) {
    if (typeof name !== 'string' || name === '')
      throw new TypeError('[@mcpx/pool] pool() needs a name')
    if (!connector || typeof connector.open !== 'function')
      throw new TypeError(`[@mcpx/pool] pool "${name}" needs a connector (stdio(), inProcess(), …)`)
    this.#options = resolvePoolOptions(options)
    this.name = name
    this.mode = this.#options.mode
    this.#perRequest = this.mode === 'per-request'
    this.#connect = resolveConnectionOptions(options)
    this.#maxInFlight = this.#options.maxInFlight
    this.#connectTimeout = this.#connect.connectTimeout
    this.timeout = this.#connect.timeout
    this.maxTotalTimeout = this.#connect.maxTotalTimeout
    this.#routes = new SessionRoutes({
      upstream: name,
      maxSubscriptionsPerSession: 100,
      maxSubscriptions: 10_000,
      listChangedDebounce: 50,
      maxTasks: 10_000,
      sendSubscription: (method, uri) => this.#sendSubscription(method, uri),
      log: (line) => this.#log(line),
      onSessionClose: (session) => this.#sessions?.sessionClosed(session),
    })
    this.#slots = new Slots({
      name,
      connector,
      restart: this.#options.restart,
      random: this.#connect.random,
      connectTimeout: this.#connectTimeout,
      // per-session spares are started only: each lease initializes its own with the client's params.
      initialize:
        this.mode === 'per-session'
          ? undefined
          : defaultInitialize(this.mode, connector, this.#connect.clientInfo),
      handlers: (slot) => this.#handlersOf(slot),
      released: (slot, outcome) => this.#released(slot, outcome),
      up: (slot) => this.#up(slot),
      lost: (slot) => {
        // A leased per-session connection is its session's: the lease policy decides, not the supervisor.
        if (!slot.owner || !this.#sessions) return false
        this.#sessions.lost(slot)
        return true
      },
      reset: (slot) => this.#reset(slot),
      changed: () => this.#changed(),
      stopping: () => this.#stopping,
      log: (line) => this.#log(line),
    })
    this.#requests = this.#perRequest
      ? new RequestLeases({
          quarantine: this.#options.quarantine,
          wait: (signal, maxWait) => this.#wait(true, signal, maxWait),
          nextWaiter: () => this.#waiting.peek(),
          handOver: (slot, waiter) => this.#handOver(slot, waiter),
          counted: (delta) => this.#count(delta),
          closing: () => this.#stopping,
          retire: (slot) => this.#slots.retire(slot),
          retired: (slot) => this.#slots.retired(slot),
          log: (line) => this.#log(line),
        })
      : undefined
    this.#sessions =
      this.mode === 'per-session'
        ? new SessionLeases({
            name,
            onConnectionLost: this.#options.onConnectionLost,
            leaseIdleTimeout: this.#options.leaseIdleTimeout,
            connectTimeout: this.#connectTimeout,
            defaultInitialize: defaultInitialize(
              'per-session',
              connector,
              this.#connect.clientInfo,
            ),
            spare: (signal, maxWait) => this.#spare(signal, maxWait),
            counted: (delta) => this.#count(delta),
            closing: () => this.#stopping,
            ended: () => {
              this.#leasedCount--
              this.#replenish()
            },
            log: (line) => this.#log(line),
          })
        : undefined
    // First: it throws for a second pool of this name, and nothing is started yet.
    this.#unregister = this.#connect.statsRegistry?.add(poolStatsSource(this))
    this.#replenish()
    this.#startSweeper()
    this.#pings = createPingSweeper(
      this.#options.health,
      () => this.#pingTargets(),
      (slot, reason) => this.#slots.evict(slot, reason),
    )
    const { http } = this.#options.health
    this.#httpHealth = http && createHttpHealthCheck({ ...http, log: (line) => this.#log(line) })
    this.#httpHealth?.onChange(() => this.#reportHealth())
  }

  /**
   * A connection for one request: the ready one with the fewest in flight,
   * synchronously and allocation-free (the slot is the lease); else opens
   * another (up to `max`) and waits in the bounded queue.
   */
  lease(
    origin: Origin,
    signal: AbortSource,
    maxWait?: number,
  ): UpstreamLease | Promise<UpstreamLease> {
    if (origin.session) this.#routes.watch(origin.session)
    if (this.#sessions) return this.#sessions.lease(origin, signal, maxWait)
    if (this.#requests) return this.#requests.lease(origin, signal, maxWait)
    const ready = this.#slots.ready
    const n = ready.length
    if (n !== 0) {
      let i = this.#offset + 1
      if (i >= n) i = 0
      this.#offset = i
      let best = ready[i]!
      for (let k = 1; k < n; k++) {
        const s = ready[i + k < n ? i + k : i + k - n]!
        if (s.inFlight < best.inFlight) best = s
      }
      if (best.inFlight < this.#maxInFlight) {
        best.inFlight++
        this.#inFlight++
        return best
      }
    }
    return this.#wait(true, signal, maxWait)
  }

  /**
   * The client's `initialize`. per-session: the session's lease, a warm spare
   * initialized with `initialize` (the client's own). Otherwise a ready
   * connection's `initialize` result (opening one if need be), leasing nothing.
   */
  async handshake(
    session: Session | undefined,
    initialize: Record<string, unknown>,
    signal: AbortSource,
  ): Promise<Result> {
    if (session) this.#routes.watch(session)
    if (this.#sessions) return this.#sessions.handshake(session, initialize, signal)
    const slot = this.#slots.ready[0] ?? (await this.#wait(false, signal))
    return slot.connection.initializeResult
  }

  /** `resources/(un)subscribe` through the pool's table: one upstream subscription per URI, on the anchor connection. */
  subscription(session: Session, method: string, params: Params): Promise<Result> {
    return this.#routes.subscription(session, method, params)
  }

  taskCreated(session: Session, result: unknown): void {
    // A per-session connection's task statuses go to its one session anyway.
    if (!this.#sessions) this.#routes.taskCreated(session, result)
  }

  /** A snapshot of the pool's numbers (§3.6). */
  stats(): PoolStats {
    const c = this.#slots.counts()
    const idle = this.#slots.ready.filter((s) => s.inFlight === 0 && !s.quarantine).length
    // per-session: the pool's own slots are the spares; each lease is a connection in use.
    const leased = this.#leased
    return {
      upstream: this.name,
      state: this.state,
      connections: c.ready + c.starting + c.retiring + leased,
      ready: c.ready + leased,
      starting: c.starting,
      backingOff: c.backingOff,
      failed: c.failed,
      inUse: c.inUse + leased,
      idle,
      spares: this.#sessions ? idle : 0,
      pending: this.#waiting.size,
      inFlight: this.#inFlight,
      quarantined: c.quarantined,
      sessions: this.#routes.sessions.size,
      opened: this.#slots.opened,
      restarts: c.restarts,
      evictions: this.#slots.evictions,
      acquireTimeouts: this.#acquireTimeouts,
      rejected: this.#rejected,
    }
  }

  /**
   * Leave `failed` (an operator's restart, §3.5): every connection that
   * crash-looped starts again, its failures forgotten. A no-op after `close()`.
   */
  restart(): void {
    if (!this.#stopping) this.#slots.restart()
  }

  /** Derived from the slots' supervisors (§3.5). */
  get state(): PoolState {
    if (this.#stopping) return this.#slots.all.length === 0 ? 'closed' : 'draining'
    return this.#slots.state()
  }

  /**
   * Drain (§3.7): stop leasing, reject waiters, give in-flight requests
   * `drainTimeout` ms, then close every connection and supervisor. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      // No new lease from here on: the shared path reads the ready list, per-request its idle
      // stack, per-session asks closing(); nothing rebuilds the ready list while stopping.
      this.#stopping = true
      this.#slots.ready = []
      this.#requests?.clear()
      this.#closing = this.#drain()
    }
    return this.#closing
  }

  async #drain(): Promise<void> {
    this.#unregister?.()
    this.#pings.close()
    this.#httpHealth?.close()
    clearInterval(this.#sweeper)
    this.#sweeper = undefined
    this.#waiting.rejectAll(() => this.#error('is shutting down'))
    if (this.#inFlight > 0 && this.#options.drainTimeout > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined
      await new Promise<void>((resolve) => {
        this.#drained = resolve
        timer = setTimeout(resolve, this.#options.drainTimeout)
      })
      clearTimeout(timer)
      this.#drained = undefined
    }
    this.#anchor = undefined
    this.#routes.clear()
    await Promise.all([this.#sessions?.closeAll(), this.#slots.closeAll()])
  }

  #released(slot: Slot, outcome: LeaseOutcome): void {
    if (this.#sessions) {
      this.#sessions.released(slot, outcome)
      return
    }
    if (this.#requests) {
      this.#requests.released(slot, outcome)
      return
    }
    // A 'failed' lease whose connection closed needs nothing here: the close already went to the supervisor.
    slot.inFlight--
    slot.releases++
    this.#count(-1)
    if (slot.retiring) {
      if (slot.inFlight === 0) this.#slots.retired(slot)
      return
    }
    const next = this.#waiting.peek()
    if (next && slot.ready && slot.inFlight < this.#maxInFlight) this.#handOver(slot, next)
  }

  #count(delta: number): void {
    this.#inFlight += delta
    if (this.#drained && this.#inFlight === 0) this.#drained()
  }

  /**
   * per-session: a started spare for a session's lease, out of the pool's
   * supervision from now on (its death is the lease's, §3.3): a ready one at
   * once, else the first to start (one opens if `max` allows).
   */
  #spare(signal: AbortSource, maxWait?: number): Slot | Promise<Slot> {
    const spare = this.#slots.ready[0]
    if (!spare) return this.#wait(false, signal, maxWait)
    this.#lend(spare)
    return spare
  }

  #handOver(slot: Slot, waiter: Waiter<Slot>): void {
    if (waiter.lease) {
      slot.inFlight++
      this.#inFlight++
    }
    waiter.resolve(slot)
  }

  /**
   * Off the hot path: fail fast, open another connection, or queue (bounded,
   * `acquireTimeout`, and `maxWait`: the caller's deadline, then -32001).
   */
  #wait(lease: boolean, signal: AbortSource, maxWait = Number.POSITIVE_INFINITY): Promise<Slot> {
    if (this.#stopping) throw this.#error('is shutting down')
    const state = this.state
    if (state === 'failed') throw this.#failedError()
    const live = this.#slots.all.length
    const starting = this.#slots.starting
    // A starting shared connection will serve maxInFlight waiters; a per-request or per-session one, one.
    const serves = this.#sessions || this.#perRequest ? 1 : this.#maxInFlight
    let opening = starting * serves
    if (opening <= this.#waiting.size && live + this.#leased < this.#options.max) {
      this.#slots.add()
      opening += serves
    }
    // maxWaiting bounds the leases queued beyond those the connections opening now will take.
    if (this.#waiting.size >= opening + this.#options.maxWaiting) {
      this.#rejected++
      throw new McpxError(
        ErrorCode.Overloaded,
        `Upstream "${this.name}" has no free connection and ${this.#waiting.size} requests waiting`,
        { data: { upstream: this.name }, headers: { 'retry-after': '1' }, unsent: true },
      )
    }
    const { acquireTimeout } = this.#options
    if (maxWait < acquireTimeout) {
      return this.#waiting.wait(lease, Math.max(0, maxWait), signal, () => {
        return new McpxError(
          ErrorCode.RequestTimeout,
          `Request to upstream "${this.name}" timed out waiting for a connection`,
          { data: { upstream: this.name }, unsent: true },
        )
      })
    }
    return this.#waiting.wait(lease, acquireTimeout, signal, () => {
      this.#acquireTimeouts++
      return new McpxError(
        ErrorCode.Overloaded,
        `Upstream "${this.name}" timed out waiting for a connection`,
        { data: { upstream: this.name }, headers: { 'retry-after': '1' }, unsent: true },
      )
    })
  }

  /** The server-message handlers of a slot's connections (§3.2). */
  #handlersOf(slot: Slot): ServerMessageHandlers {
    if (this.mode === 'shared') return sharedHandlers(this.#routes)
    // per-session: everything to the one session, and a lease's server requests and notifications
    // are traffic too (leaseIdleTimeout). per-request: server requests to the request holding the
    // connection, notifications as on a shared one (list changes to every session, updates to
    // their subscribers), since the connection serves every session in turn.
    if (this.#sessions) {
      return active(
        slot,
        ownerHandlers(
          this.#routes,
          () => slot.owner,
          () => slot.connection,
        ),
      )
    }
    return ownerHandlers(
      this.#routes,
      () => slot.owner,
      () => slot.connection,
      { notifications: 'shared' },
    )
  }

  /** A slot's connection is ready: it takes the waiters, as its mode lends it. */
  #up(slot: Slot): void {
    if (this.#sessions) {
      const waiter = this.#waiting.peek()
      if (waiter) {
        // Resolved (and out of the queue) first: the detach may leave the pool failed, which refuses waiters.
        waiter.resolve(slot)
        this.#lend(slot)
      }
      return
    }
    if (this.#requests) {
      // A new connection owes nothing to the old one's owner; a request still held on the old
      // one (not yet released) keeps the slot until its release frees it.
      this.#requests.reset(slot)
      this.#requests.free(slot)
      return
    }
    // Ready slots take the waiters first, oldest first, up to maxInFlight each.
    for (let w = this.#waiting.peek(); w && slot.inFlight < this.#maxInFlight; ) {
      this.#handOver(slot, w)
      w = this.#waiting.peek()
    }
  }

  /**
   * The server forgot `slot`'s session and its channel re-initialized it
   * (Streamable HTTP 404): the subscriptions held on the anchor are sent
   * again; a per-session lease under `'end-session'` ends as if its
   * connection died, since the session's server state is gone (§3.3).
   */
  #reset(slot: Slot): void {
    if (slot.owner && this.#sessions) {
      if (this.#options.onConnectionLost !== 'end-session') return
      this.#log("the server forgot a session's state (HTTP 404): session ended")
      void slot.connection.close()
    } else if (slot === this.#anchor) {
      this.#routes.lostSubscriptions()
      this.#routes.renewSubscriptions((method, uri) => this.#subscriptionOn(slot, method, uri))
    }
  }

  /**
   * After any change of a slot: the subscription anchor, the waiters of a
   * failed pool, the health word, and slots opened up to what is wanted.
   */
  #changed(): void {
    const ready = this.#slots.ready
    if (this.#anchor && !this.#anchor.ready) {
      this.#anchor = undefined
      this.#routes.lostSubscriptions()
    }
    if (!this.#anchor && ready.length > 0) {
      const anchor = ready[0]!
      this.#anchor = anchor
      this.#routes.renewSubscriptions((method, uri) => this.#subscriptionOn(anchor, method, uri))
    }
    // Replenished first: a place freed (a detach, a retirement) may open a slot for the waiters.
    this.#replenish()
    if (this.state === 'failed') this.#waiting.rejectAll(() => this.#failedError())
    this.#reportHealth()
  }

  /**
   * One `unref`'d timer per pool for `idleTimeout` and `maxLifetime`
   * (§3.1), never a clock read on the lease path: a slot counts as idle for
   * a sweep interval when it had nothing in flight and no release since the
   * last sweep. Both are enforced within one interval (a quarter of the
   * shorter limit). Without a slot that could ever be closed for either, no timer.
   */
  #startSweeper(): void {
    const { idleTimeout, maxLifetime, min, max, leaseIdleTimeout } = this.#options
    const limits: number[] = []
    // per-session: the pool's own slots are the spares, kept whatever the traffic; leases may idle out.
    if (this.#sessions) {
      if (leaseIdleTimeout > 0) limits.push(leaseIdleTimeout)
    } else if (max > min) limits.push(idleTimeout)
    if (maxLifetime > 0) limits.push(maxLifetime)
    if (limits.length === 0) return
    this.#sweepEvery = Math.max(10, Math.floor(Math.min(...limits) / 4))
    this.#sweeper = unref(setInterval(() => this.#sweep(), this.#sweepEvery))
  }

  #sweep(): void {
    const { idleTimeout, maxLifetime, min } = this.#options
    const now = Date.now()
    // Only ready connections count: idling one out must leave min ready, not min starting.
    let live = this.#slots.ready.length
    for (const slot of [...this.#slots.all]) {
      if (!slot.ready) continue
      const quiet = slot.inFlight === 0 && slot.releases === slot.seenReleases
      slot.idleFor = quiet ? slot.idleFor + this.#sweepEvery : 0
      slot.seenReleases = slot.releases
      if (maxLifetime > 0 && now - slot.openedAt >= maxLifetime) {
        this.#slots.retire(slot)
        live--
      } else if (!this.#sessions && live > min && slot.idleFor >= idleTimeout) {
        this.#slots.retire(slot)
        live--
      }
    }
    this.#sessions?.sweep(this.#sweepEvery)
    this.#replenish()
  }

  /** The connections health pings watch: the ready ones, and per-session the leased ones. */
  *#pingTargets(): IterableIterator<Slot> {
    yield* this.#slots.ready
    if (this.#sessions) yield* this.#sessions.slots()
  }

  /**
   * Open slots while fewer than `min` can take leases (per-session: fewer
   * than `spares` spares, or than `min` with the leases counted) and fewer
   * than `max` are open.
   */
  #replenish(): void {
    if (this.#stopping) return
    const { min, max, spares } = this.#options
    const leased = this.#leased
    const wanted = this.#sessions ? Math.max(spares, min - leased) : min
    // A failed slot keeps its place (it counts towards min and max): replacing it would restart
    // a crash-looping child with a fresh supervisor, and `failed` would not last. restart() clears it.
    this.#slots.fill(wanted, max - leased)
  }

  /** per-session: connections lent to sessions (outside `#slots`, counted towards `max`). */
  get #leased(): number {
    return this.#leasedCount
  }

  /** per-session: `slot` leaves supervision for a lease; counted first, so the spare started in its place fits within max. */
  #lend(slot: Slot): void {
    this.#leasedCount++
    this.#slots.detach(slot)
  }

  #reportHealth(): void {
    const health = this.#connect.healthRegistry
    const state = this.state
    // As reportHealth() maps one supervisor: starting says nothing (a first start is no failover).
    // A failing HTTP health endpoint marks the upstream, whatever its connections say (§3.4).
    const status =
      this.#httpHealth?.healthy === false
        ? 'unhealthy'
        : state === 'ready'
          ? 'ready'
          : state === 'backing-off' || state === 'failed'
            ? 'unhealthy'
            : undefined
    if (!health || status === undefined || status === this.#lastHealth) return
    this.#lastHealth = status
    health.report(this.name, 'pool', status)
  }

  async #sendSubscription(method: string, uri: string): Promise<void> {
    if (method === SUBSCRIBE && !this.#anchor) {
      await this.#wait(false, neverAborted)
    }
    // No anchor for an unsubscribe: the subscription died with the last connection.
    const anchor = this.#anchor
    if (anchor) await this.#subscriptionOn(anchor, method, uri)
  }

  #subscriptionOn(slot: Slot, method: string, uri: string): Promise<Result> {
    const { timeout, maxTotalTimeout } = this
    return slot.connection
      .request(method, { uri }, { timeout, maxTotalTimeout })
      .catch((error: unknown) => {
        this.#log(`${method} ${uri} failed: ${(error as Error).message}`)
        throw error
      })
  }

  #failedError(): McpxError {
    const { failures, windowMs } = this.#options.restart.crashLoop
    return this.#error(
      `keeps crashing: it exited ${failures} times within ${windowMs / 1000} s; restarts stopped`,
      'failed',
    )
  }

  #error(what: string, state?: string): McpxError {
    return new McpxError(ErrorCode.UpstreamUnavailable, `Upstream "${this.name}" ${what}`, {
      data: state ? { upstream: this.name, state } : { upstream: this.name },
      unsent: true,
    })
  }

  #log(line: string): void {
    this.#connect.log(this.name, line)
  }
}

const neverAborted: AbortSource = { aborted: false, reason: undefined, onAbort: () => () => {} }

/** A lease's server requests and notifications are traffic too (per-session `leaseIdleTimeout`). */
function active(slot: Slot, handlers: ServerMessageHandlers): ServerMessageHandlers {
  return {
    request: (message, signal, related) => {
      slot.releases++
      return handlers.request(message, signal, related)
    },
    notification: (message, related) => {
      slot.releases++
      handlers.notification(message, related)
    },
  }
}

/**
 * A pool of supervised connections to one upstream, for `forward()`
 * (docs/pool-design.md §3): `mode` `'shared'` (default), `'per-session'` or
 * `'per-request'`; restarts with backoff and a crash-loop limit; MCP ping and
 * HTTP health checks; a bounded wait queue; drain on `close()`.
 *
 * @example
 * ```ts
 * const files = pool('files', stdio({ command: 'mcp-server-filesystem', args: ['/data'] }), {
 *   min: 2, max: 4, acquireTimeout: 2_000,
 * })
 * const proxy = createProxy({ terminal: forward([files]) })
 * ```
 */
export function pool(name: string, connector: Connector, options: PoolFactoryOptions = {}): Pool {
  return new Pool(name, connector, options)
}
