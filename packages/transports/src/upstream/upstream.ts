import { type AbortSource, ErrorCode, McpxError } from '@mcpx/core'
import type { Connector } from '../protocol/channel.js'
import type { Params, Result } from '../protocol/peer.js'
import type { Session } from '../protocol/session.js'
import type { ServerMessageHandlers, UpstreamConnection } from './connection.js'
import { defaultInitialize, openConnection } from './open.js'
import { type Origin, ownerHandlers, sharedHandlers } from './routing.js'
import { SessionRoutes } from './session-routes.js'
import type { UpstreamLease, UpstreamSource } from './source.js'
import type { SendSubscription } from './subscriptions.js'
import {
  type ResolvedUpstreamOptions,
  resolveUpstreamOptions,
  type UpstreamMode,
  type UpstreamOptions,
  type UpstreamStats,
} from './upstream-options.js'

export type { Origin } from './routing.js'
export type { UpstreamMode, UpstreamOptions, UpstreamStats } from './upstream-options.js'

const SUBSCRIBE = 'resources/subscribe'
/** Tasks on the shared connection whose statuses are routed to their creators (oldest forgotten first). */
const MAX_TASKS = 10_000

/** Close a connection once it is open; one that failed to open needs nothing. */
const closeOnceOpen = (opening: Promise<UpstreamConnection>): Promise<void> =>
  opening.then(
    (conn) => conn.close(),
    () => {},
  )

/** Nothing to give back: a connection's lifetime is the upstream's (shared) or the session's. */
const keep = (): void => {}

interface Lease {
  readonly opening: Promise<UpstreamConnection>
  readonly ready: UpstreamConnection | undefined
  /** Made once when the connection is ready: what every request of the session leases. */
  readonly slot: UpstreamLease | undefined
}

/**
 * One upstream MCP server and the connections to it: one shared connection,
 * or one per session. Leasing hands out the connection itself (nothing is
 * released), so the hot path allocates nothing.
 */
export class Upstream implements UpstreamSource {
  readonly name: string
  readonly mode: UpstreamMode
  readonly connector: Connector
  /** Request timeout in ms (0: none). */
  readonly timeout: number
  /** Most total time of a request in ms, whatever its progress (0: none). */
  readonly maxTotalTimeout: number
  readonly #options: ResolvedUpstreamOptions
  #shared: Promise<UpstreamConnection> | undefined
  #sharedReady: UpstreamConnection | undefined
  /** The lease of the ready shared connection, made once: shared requests all lease it. */
  #sharedLease: UpstreamLease | undefined
  readonly #leases = new Map<Session, Lease>()
  readonly #handshakes = new Map<Session, Record<string, unknown>>()
  /** Per-session connections whose session ended and that are still closing: `close()` waits for them. */
  readonly #closing = new Set<Promise<void>>()
  readonly #routes: SessionRoutes

  /** Checks its arguments like {@link upstream}; throws `TypeError`. */
  constructor(name: string, connector: Connector, options: UpstreamOptions = {}) {
    const resolved = resolveUpstreamOptions(name, connector, options)
    this.name = name
    this.connector = connector
    this.mode = resolved.mode
    this.timeout = resolved.timeout
    this.maxTotalTimeout = resolved.maxTotalTimeout
    this.#options = resolved
    this.#routes = new SessionRoutes({
      upstream: name,
      maxSubscriptionsPerSession: resolved.maxSubscriptionsPerSession,
      maxSubscriptions: resolved.maxSubscriptions,
      listChangedDebounce: resolved.listChangedDebounce,
      maxTasks: MAX_TASKS,
      sendSubscription: this.#sendSubscription,
      log: (line) => this.#log(line),
      onSessionClose: (session) => this.#handshakes.delete(session),
    })
  }

  /** Open connections (shared plus leased). */
  get connectionCount(): number {
    return (this.#sharedReady ? 1 : 0) + this.#leases.size
  }

  /** A snapshot of what this upstream holds; see {@link UpstreamStats}. */
  get stats(): UpstreamStats {
    let pendingRequests = this.#sharedReady?.pendingCount ?? 0
    for (const lease of this.#leases.values()) pendingRequests += lease.ready?.pendingCount ?? 0
    return {
      connections: this.connectionCount,
      leases: this.#leases.size,
      handshakes: this.#handshakes.size,
      ...this.#routes.stats,
      pendingRequests,
    }
  }

  /**
   * The client's `initialize`: the shared connection's `initialize` result
   * (opening it), or the session's own lease's, opened with `initialize`,
   * the client's own handshake params (kept to reopen the lease).
   */
  async handshake(
    session: Session | undefined,
    initialize: Record<string, unknown>,
    _signal?: AbortSource,
  ): Promise<Result> {
    if (this.mode === 'shared') {
      if (session) this.#routes.watch(session)
      return (await this.#acquireShared()).initializeResult
    }
    const lease = this.#leases.get(this.#needSession(session))
    if (lease) return (await lease.opening).initializeResult
    this.#handshakes.set(session!, initialize)
    this.#routes.watch(session!)
    return (await this.#lease(session!, initialize)).initializeResult
  }

  /**
   * The connection for a request from `origin`: the shared one, or the
   * session's own lease. Synchronous once it is open; `release` is a no-op.
   */
  lease(origin: Origin, _signal?: AbortSource): UpstreamLease | Promise<UpstreamLease> {
    const { session } = origin
    if (this.mode === 'shared') {
      if (session) this.#routes.watch(session)
      const ready = this.#sharedLease
      if (ready && !ready.connection.closed) return ready
      return Promise.resolve(this.#acquireShared()).then((conn) => this.#sharedLeaseOf(conn))
    }
    const lease = this.#leases.get(this.#needSession(session))
    if (lease?.slot && !lease.slot.connection.closed) return lease.slot
    if (lease)
      return lease.opening.then((conn) => lease.slot ?? { connection: conn, release: keep })
    // A replacement lease (the first one died) is opened with the client's own handshake again.
    this.#routes.watch(session!)
    return this.#lease(session!, this.#handshakes.get(session!)).then((conn) => {
      const opened = this.#leases.get(session!)
      return opened?.slot?.connection === conn ? opened.slot : { connection: conn, release: keep }
    })
  }

  /**
   * Answer `resources/subscribe` or `resources/unsubscribe` from `session`
   * on the shared connection (MCP Resources §Subscriptions): the upstream
   * sees one subscription per URI whatever the number of sessions holding
   * it, and each `resources/updated` reaches only those sessions. A
   * per-session connection forwards both as they are (its server tracks).
   */
  subscription(session: Session, method: string, params: Params): Promise<Result> {
    return this.#routes.subscription(session, method, params)
  }

  /**
   * A request from `session` on the shared connection created a task (its
   * result is a CreateTaskResult): the task's status notifications go to
   * `session`. A per-session connection needs no table.
   */
  taskCreated(session: Session, result: unknown): void {
    if (this.mode === 'shared') this.#routes.taskCreated(session, result)
  }

  #needSession(session: Session | undefined): Session {
    if (session) return session
    throw new McpxError(
      ErrorCode.InternalError,
      `Upstream "${this.name}" is per-session and needs a session`,
    )
  }

  #sharedLeaseOf(conn: UpstreamConnection): UpstreamLease {
    const ready = this.#sharedLease
    return ready?.connection === conn ? ready : { connection: conn, release: keep }
  }

  /** Close every connection and forget every session. */
  async close(): Promise<void> {
    const all = [...this.#leases.values()].map((lease) => lease.opening)
    if (this.#shared) all.push(this.#shared)
    this.#leases.clear()
    this.#shared = undefined
    this.#sharedReady = undefined
    this.#sharedLease = undefined
    this.#handshakes.clear()
    this.#routes.clear()
    // A session that ended just before (a front end closing its sessions first) left its
    // connection closing: a stdio child has not exited until that ends.
    await Promise.all([...all.map(closeOnceOpen), ...this.#closing])
  }

  #acquireShared(): Promise<UpstreamConnection> | UpstreamConnection {
    if (this.#sharedReady && !this.#sharedReady.closed) return this.#sharedReady
    if (this.#shared) return this.#shared
    const opening = this.#open(this.#defaultInitialize('shared'), sharedHandlers(this.#routes))
    this.#shared = opening
    opening.then(
      (conn) => {
        if (this.#shared !== opening) return
        this.#sharedReady = conn
        this.#sharedLease = { connection: conn, release: keep }
        // A replacement connection takes over the subscriptions its predecessor lost,
        // and so does this one when the server forgot its session (Streamable HTTP 404).
        const renew = () =>
          this.#routes.renewSubscriptions((method, uri) => this.#subscriptionOn(conn, method, uri))
        renew()
        conn.onReset(() => {
          this.#routes.lostSubscriptions()
          renew()
        })
        conn.onClose(() => {
          if (this.#shared !== opening) return
          this.#shared = undefined
          this.#sharedReady = undefined
          this.#sharedLease = undefined
          this.#routes.lostSubscriptions()
        })
      },
      () => {
        if (this.#shared === opening) this.#shared = undefined
      },
    )
    return opening
  }

  /** Subscribe on the shared connection (opening it); unsubscribe only where a connection exists. */
  readonly #sendSubscription: SendSubscription = async (method, uri) => {
    const ready = this.#sharedReady && !this.#sharedReady.closed ? this.#sharedReady : undefined
    const conn =
      method === SUBSCRIBE ? await this.#acquireShared() : (ready ?? (await this.#shared))
    // No connection: the subscription died with the last one, so there is nothing to undo.
    if (conn) await this.#subscriptionOn(conn, method, uri)
  }

  #subscriptionOn(conn: UpstreamConnection, method: string, uri: string): Promise<Result> {
    const { timeout, maxTotalTimeout } = this
    return conn.request(method, { uri }, { timeout, maxTotalTimeout }).catch((error: unknown) => {
      this.#log(`${method} ${uri} failed: ${(error as Error).message}`)
      throw error
    })
  }

  #lease(
    session: Session,
    initialize: Record<string, unknown> | undefined,
  ): Promise<UpstreamConnection> {
    if (this.#leases.size >= this.#options.maxConnections) {
      // The gateway's own limit, not the upstream failing: -32011, retry later.
      throw new McpxError(ErrorCode.Overloaded, `Upstream "${this.name}" has no free connection`, {
        data: { upstream: this.name },
        headers: { 'retry-after': '5' },
      })
    }
    let ready: UpstreamConnection | undefined
    let slot: UpstreamLease | undefined
    const owner: Origin = { session, id: undefined }
    const opening = this.#open(
      initialize ?? this.#defaultInitialize('per-session'),
      ownerHandlers(
        this.#routes,
        () => owner,
        () => ready,
      ),
    )
    const lease: Lease = {
      opening,
      get ready() {
        return ready
      },
      get slot() {
        return slot
      },
    }
    this.#leases.set(session, lease)
    let stopWatching = () => {}
    const forget = () => {
      if (this.#leases.get(session) === lease) this.#leases.delete(session)
      stopWatching()
    }
    opening.then((conn) => {
      ready = conn
      slot = { connection: conn, release: keep }
      conn.onClose(forget)
    }, forget)
    stopWatching = session.onClose(() => {
      forget()
      const closing = closeOnceOpen(opening)
      this.#closing.add(closing)
      void closing.finally(() => this.#closing.delete(closing))
    })
    return opening
  }

  #open(
    initialize: Record<string, unknown>,
    handlers: ServerMessageHandlers,
  ): Promise<UpstreamConnection> {
    return openConnection(this.name, this.connector, handlers, {
      initialize,
      connectTimeout: this.#options.connectTimeout,
      log: (line) => this.#log(line),
    })
  }

  #defaultInitialize(mode: UpstreamMode): Record<string, unknown> {
    return defaultInitialize(mode, this.connector, this.#options.clientInfo)
  }

  #log(line: string): void {
    this.#options.log(this.name, line)
  }
}

/**
 * Declare an upstream MCP server.
 *
 * @example
 * ```ts
 * const files = upstream('files', stdio({ command: 'mcp-server-filesystem', args: ['/data'] }), {
 *   mode: 'per-session',
 * })
 * const proxy = createProxy({ terminal: forward(files) })
 * ```
 */
export function upstream(
  name: string,
  connector: Connector,
  options: UpstreamOptions = {},
): Upstream {
  return new Upstream(name, connector, { ...options })
}
