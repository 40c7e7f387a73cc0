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
  openConnection,
  ownerHandlers,
  type Params,
  type Result,
  type ServerMessageHandlers,
  type Session,
  SessionRoutes,
  sharedHandlers,
  UpstreamConnection,
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
import { Slot } from './slot.js'
import type { PoolState, PoolStats } from './stats.js'
import { poolStatsSource } from './stats-source.js'
import { createSupervisor } from './supervisor.js'
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
  readonly #connector: Connector
  readonly #options: ResolvedPoolOptions
  readonly #connect: ResolvedConnectionOptions
  readonly #maxInFlight: number
  readonly #connectTimeout: number
  readonly #routes: SessionRoutes
  readonly #slots: Slot[] = []
  /** Ready slots, dense, rebuilt on state changes only (§3.8). */
  #ready: Slot[] = []
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
  #drained: (() => void) | undefined
  #lastHealth: 'ready' | 'unhealthy' | undefined
  #opened = 0
  #acquireTimeouts = 0
  #rejected = 0
  #evictions = 0
  /** Restarts of slots no longer in `#slots` (leased, retired), so the counter only grows. */
  #pastRestarts = 0
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
    this.#connector = connector
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
    this.#requests = this.#perRequest
      ? new RequestLeases({
          quarantine: this.#options.quarantine,
          wait: (signal) => this.#wait(true, signal),
          nextWaiter: () => this.#waiting.peek(),
          handOver: (slot, waiter) => this.#handOver(slot, waiter),
          counted: (delta) => this.#count(delta),
          closing: () => this.#stopping,
          retire: (slot) => this.#retire(slot),
          retired: (slot) => this.#retired(slot),
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
            spare: (signal) => this.#spare(signal),
            counted: (delta) => this.#count(delta),
            closing: () => this.#stopping,
            ended: () => this.#replenish(),
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
      (slot, reason) => this.#evict(slot, reason),
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
  lease(origin: Origin, signal: AbortSource): UpstreamLease | Promise<UpstreamLease> {
    if (origin.session) this.#routes.watch(origin.session)
    if (this.#sessions) return this.#sessions.lease(origin, signal)
    if (this.#requests) return this.#requests.lease(origin, signal)
    const ready = this.#ready
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
    return this.#wait(true, signal)
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
    if (this.#sessions) {
      if (this.#stopping) throw this.#error('is shutting down')
      return this.#sessions.handshake(session, initialize, signal)
    }
    const slot = this.#ready[0] ?? (await this.#wait(false, signal))
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
    let ready = 0
    let starting = 0
    let backingOff = 0
    let failed = 0
    let inUse = 0
    let restarts = this.#pastRestarts
    let retiring = 0
    for (const slot of this.#slots) {
      const kind = slot.supervisor.state.kind
      if (slot.retiring) retiring++
      else if (kind === 'ready') ready++
      else if (kind === 'starting') starting++
      else if (kind === 'backing-off') backingOff++
      else failed++
      if (slot.inFlight > 0) inUse++
      restarts += slot.supervisor.restarts
    }
    const idle = this.#ready.filter((s) => s.inFlight === 0 && !s.quarantine).length
    // per-session: the pool's own slots are the spares; each lease is a connection in use.
    const leased = this.#leased
    return {
      upstream: this.name,
      state: this.state,
      connections: ready + starting + retiring + leased,
      ready: ready + leased,
      starting,
      backingOff,
      failed,
      inUse: inUse + leased,
      idle,
      spares: this.#sessions ? idle : 0,
      pending: this.#waiting.size,
      inFlight: this.#inFlight,
      quarantined: this.#slots.filter((s) => s.quarantine !== undefined).length,
      sessions: this.#routes.sessions.size,
      opened: this.#opened,
      restarts,
      evictions: this.#evictions,
      acquireTimeouts: this.#acquireTimeouts,
      rejected: this.#rejected,
    }
  }

  /**
   * Leave `failed` (an operator's restart, §3.5): every connection that
   * crash-looped starts again, its failures forgotten. A no-op after `close()`.
   */
  restart(): void {
    if (this.#stopping) return
    for (const slot of this.#slots) {
      if (slot.supervisor.state.kind === 'failed') slot.supervisor.restart()
    }
  }

  /** Derived from the slots' supervisors (§3.5). */
  get state(): PoolState {
    if (this.#stopping) return this.#slots.length === 0 ? 'closed' : 'draining'
    if (this.#ready.length > 0 || this.#slots.length === 0) return 'ready'
    const kinds = this.#slots.map((s) => s.supervisor.state.kind)
    if (kinds.includes('starting')) return 'starting'
    return kinds.includes('backing-off') ? 'backing-off' : 'failed'
  }

  /**
   * Drain (§3.7): stop leasing, reject waiters, give in-flight requests
   * `drainTimeout` ms, then close every connection and supervisor. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      // No new lease from here on: the shared path reads #ready, per-request its idle stack,
      // per-session asks closing(); #changed() rebuilds nothing while stopping.
      this.#stopping = true
      this.#ready = []
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
    const slots = this.#slots.splice(0)
    for (const slot of slots) clearInterval(slot.quarantine)
    this.#requests?.clear()
    this.#ready = []
    this.#anchor = undefined
    this.#routes.clear()
    await Promise.all([
      this.#sessions?.closeAll(),
      ...slots.map((slot) => {
        slot.closing = true
        slot.supervisor.close()
        return slot.opening?.then(
          (conn) => conn.close(),
          () => {},
        )
      }),
    ])
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
    slot.ended(outcome)
    this.#count(-1)
    if (slot.retiring) {
      if (slot.inFlight === 0) this.#retired(slot)
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
  #spare(signal: AbortSource): Slot | Promise<Slot> {
    const spare = this.#ready[0]
    if (!spare) return this.#wait(false, signal)
    this.#detach(spare)
    return spare
  }

  #detach(slot: Slot): void {
    this.#slots.splice(this.#slots.indexOf(slot), 1)
    this.#pastRestarts += slot.supervisor.restarts
    slot.supervisor.close()
    this.#changed()
    this.#replenish()
  }

  #handOver(slot: Slot, waiter: Waiter<Slot>): void {
    if (waiter.lease) {
      slot.inFlight++
      this.#inFlight++
    }
    waiter.resolve(slot)
  }

  /** Off the hot path: fail fast, open another connection, or queue (bounded, `acquireTimeout`). */
  #wait(lease: boolean, signal: AbortSource): Promise<Slot> {
    if (this.#stopping) throw this.#error('is shutting down')
    const state = this.state
    if (state === 'failed') throw this.#failedError()
    const live = this.#slots.length
    const starting = this.#slots.filter((s) => s.supervisor.state.kind === 'starting').length
    // A starting shared connection will serve maxInFlight waiters; a per-request or per-session one, one.
    const serves = this.#sessions || this.#perRequest ? 1 : this.#maxInFlight
    let opening = starting * serves
    if (opening <= this.#waiting.size && live + this.#leased < this.#options.max) {
      this.#addSlot()
      opening += serves
    }
    // maxWaiting bounds the leases queued beyond those the connections opening now will take.
    if (this.#waiting.size >= opening + this.#options.maxWaiting) {
      this.#rejected++
      throw new McpxError(
        ErrorCode.Overloaded,
        `Upstream "${this.name}" has no free connection and ${this.#waiting.size} requests waiting`,
        { data: { upstream: this.name }, headers: { 'retry-after': '1' } },
      )
    }
    return this.#waiting.wait(lease, this.#options.acquireTimeout, signal, () => {
      this.#acquireTimeouts++
      return new McpxError(
        ErrorCode.Overloaded,
        `Upstream "${this.name}" timed out waiting for a connection`,
        { data: { upstream: this.name }, headers: { 'retry-after': '1' } },
      )
    })
  }

  #addSlot(): void {
    const supervisor = createSupervisor({ ...this.#options.restart, random: this.#connect.random })
    const slot = new Slot(supervisor, (s, outcome) => this.#released(s, outcome))
    this.#slots.push(slot)
    supervisor.onChange((state, previous) => {
      if (state.kind === 'starting' && previous.kind !== 'starting') this.#open(slot)
      this.#changed()
    })
    this.#open(slot)
  }

  #open(slot: Slot): void {
    if (this.#stopping) return
    slot.supervisor.started()
    this.#opened++
    const log = (line: string) => this.#log(line)
    const connectTimeout = this.#connectTimeout
    let opening: Promise<UpstreamConnection>
    if (this.#sessions) {
      // A warm spare: started (the spawn and the runtime's boot paid ahead); the lease's client initializes it.
      const handlers = active(
        slot,
        ownerHandlers(
          this.#routes,
          () => slot.owner,
          () => slot.connection,
        ),
      )
      opening = new UpstreamConnection(this.name, this.#connector, handlers).start({
        connectTimeout,
        log,
      })
    } else {
      const handlers = this.#perRequest
        ? ownerHandlers(
            this.#routes,
            () => slot.owner,
            () => slot.connection,
          )
        : sharedHandlers(this.#routes)
      opening = openConnection(this.name, this.#connector, handlers, {
        initialize: defaultInitialize(this.mode, this.#connector, this.#connect.clientInfo),
        connectTimeout,
        log,
      })
    }
    slot.opening = opening
    opening.then(
      (conn) => this.#up(slot, conn),
      (error: Error) => {
        if (slot.closing || this.#stopping) return
        this.#log(`open failed: ${error.message}`)
        this.#down(slot)
      },
    )
  }

  #up(slot: Slot, conn: UpstreamConnection): void {
    if (slot.closing || this.#stopping) {
      void conn.close()
      return
    }
    slot.connection = conn
    slot.openedAt = Date.now()
    slot.idleFor = 0
    slot.seenReleases = slot.releases
    conn.onClose(() => {
      if (slot.closing || slot.connection !== conn) return
      // A leased per-session connection is its session's: the lease policy decides, not the supervisor.
      if (slot.owner && this.#sessions) this.#sessions.lost(slot)
      // A retiring connection that dies has nothing left to finish: no crash to restart.
      else if (slot.retiring) this.#retired(slot)
      else this.#down(slot)
    })
    conn.onReset(() => this.#reset(slot))
    slot.supervisor.ready()
    if (this.#sessions) {
      const waiter = this.#waiting.peek()
      if (waiter) {
        this.#detach(slot)
        waiter.resolve(slot)
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

  /** The slot's connection failed to open or closed by itself: the supervisor decides. */
  #down(slot: Slot): void {
    // Its requests fail with the connection's -32010 and release as usual: inFlight drains by itself.
    const decision = slot.supervisor.exited()
    if (decision.action === 'stop' && this.state === 'failed') {
      this.#waiting.rejectAll(() => this.#failedError())
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

  /** After any supervisor change: the ready list, the subscription anchor, the health word. */
  #changed(): void {
    this.#ready = this.#stopping ? [] : this.#slots.filter((s) => s.ready)
    if (this.#anchor && !this.#anchor.ready) {
      this.#anchor = undefined
      this.#routes.lostSubscriptions()
    }
    if (!this.#anchor && this.#ready.length > 0) {
      const anchor = this.#ready[0]!
      this.#anchor = anchor
      this.#routes.renewSubscriptions((method, uri) => this.#subscriptionOn(anchor, method, uri))
    }
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
    let live = this.#ready.length
    for (const slot of [...this.#slots]) {
      if (!slot.ready) continue
      const quiet = slot.inFlight === 0 && slot.releases === slot.seenReleases
      slot.idleFor = quiet ? slot.idleFor + this.#sweepEvery : 0
      slot.seenReleases = slot.releases
      if (maxLifetime > 0 && now - slot.openedAt >= maxLifetime) {
        this.#retire(slot)
        live--
      } else if (!this.#sessions && live > min && slot.idleFor >= idleTimeout) {
        this.#retire(slot)
        live--
      }
    }
    this.#sessions?.sweep(this.#sweepEvery)
    this.#replenish()
  }

  /** The connections health pings watch: the ready ones, and per-session the leased ones. */
  *#pingTargets(): IterableIterator<Slot> {
    yield* this.#ready
    if (this.#sessions) yield* this.#sessions.slots()
  }

  /**
   * A connection that missed its pings: closed now (its requests fail with
   * -32010 naming the upstream) and counted in `evictions`. A pool slot is
   * replaced; a leased per-session one is lost as if it died, so the lease
   * policy decides (§3.3).
   */
  #evict(slot: Slot, reason: string): void {
    this.#log(`a connection ${reason}: closed`)
    this.#evictions++
    // As if it died: the supervisor restarts it with backoff and counts it towards the crash-loop
    // limit (a server that always hangs ends up failed), a leased one follows the lease policy.
    void slot.connection.close()
  }

  /** Take no new lease on `slot`; close it once its in-flight requests end (never cutting one off). */
  #retire(slot: Slot): void {
    slot.retiring = true
    this.#changed()
    if (slot.inFlight === 0) this.#retired(slot)
  }

  /** A retiring slot with nothing in flight: close its connection, count the eviction, replace it up to `min`. */
  #retired(slot: Slot): void {
    const i = this.#slots.indexOf(slot)
    if (i === -1) return
    this.#slots.splice(i, 1)
    slot.closing = true
    this.#pastRestarts += slot.supervisor.restarts
    slot.supervisor.close()
    this.#evictions++
    void slot.connection.close()
    this.#changed()
    this.#replenish()
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
    const kept = () => this.#slots.filter((s) => !s.retiring).length
    while (kept() < wanted && this.#slots.length + leased < max) this.#addSlot()
  }

  /** per-session: connections leased to sessions (outside `#slots`, counted towards `max`). */
  get #leased(): number {
    return this.#sessions?.size ?? 0
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
