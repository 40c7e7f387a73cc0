import { ErrorCode, McpxError, type Notification, type Request, type RequestId } from '@mcpx/core'
import type { Connector } from '../protocol/channel.js'
import type { Session } from '../protocol/session.js'
import { GATEWAY_INFO, LATEST_PROTOCOL_VERSION } from '../version.js'
import { type ServerMessageHandlers, UpstreamConnection } from './connection.js'

/**
 * `shared`: one connection carries every session's requests (stateless
 * tools; cheapest). `per-session`: each downstream session leases its own
 * connection for its lifetime, opened with the client's own `initialize`
 * (stateful servers, subscriptions, logging level, roots, and
 * server-initiated requests on transports that cannot relate them).
 */
export type UpstreamMode = 'shared' | 'per-session'

/** Options for {@link upstream}. */
export interface UpstreamOptions {
  /** @defaultValue `'shared'` */
  mode?: UpstreamMode
  /**
   * Milliseconds a request may take before it is cancelled upstream and
   * fails with -32001; progress notifications restart the clock. 0 disables.
   * @defaultValue 60000
   */
  timeout?: number
  /** Milliseconds allowed to connect and finish `initialize`. @defaultValue 30000 */
  connectTimeout?: number
  /** `clientInfo` sent upstream by shared connections. @defaultValue `{ name: 'mcpx', version }` */
  clientInfo?: { name: string; version: string }
  /** Most per-session connections open at once; more sessions get -32010. @defaultValue 1000 */
  maxConnections?: number
  /** Diagnostics from the upstream (stderr lines, dropped messages). @defaultValue writes to stderr */
  log?: (upstream: string, line: string) => void
}

/** Who a forwarded request came from: the `related` data of upstream requests. */
export interface Origin {
  session: Session | undefined
  id: RequestId | undefined
}

/** Server notifications every session using a shared connection gets. */
const BROADCAST = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
  'notifications/resources/updated',
])

const defaultLog = (upstream: string, line: string) => {
  console.error(`[mcpx upstream ${upstream}] ${line}`)
}

/**
 * One upstream MCP server and the connections to it.
 */
export class Upstream {
  readonly name: string
  readonly mode: UpstreamMode
  readonly connector: Connector
  /** Request timeout in ms (0: none). */
  readonly timeout: number
  readonly #options: UpstreamOptions
  #shared: Promise<UpstreamConnection> | undefined
  #sharedReady: UpstreamConnection | undefined
  readonly #sharedSessions = new Set<Session>()
  readonly #leases = new Map<Session, Promise<UpstreamConnection>>()
  readonly #handshakes = new WeakMap<Session, Record<string, unknown>>()

  constructor(name: string, connector: Connector, options: UpstreamOptions) {
    this.name = name
    this.connector = connector
    this.mode = options.mode ?? 'shared'
    this.timeout = options.timeout ?? 60_000
    this.#options = options
  }

  /** Open connections (shared plus leased). */
  get connectionCount(): number {
    return (this.#sharedReady ? 1 : 0) + this.#leases.size
  }

  /**
   * The connection that serves `session`: the shared one, or the session's
   * own lease (opened with `initialize`, the client's own handshake params).
   */
  acquire(
    session: Session | undefined,
    initialize?: Record<string, unknown>,
  ): Promise<UpstreamConnection> | UpstreamConnection {
    if (this.mode === 'shared') return this.#acquireShared(session)
    if (!session) {
      throw new McpxError(
        ErrorCode.InternalError,
        `Upstream "${this.name}" is per-session and needs a session`,
      )
    }
    const lease = this.#leases.get(session)
    if (lease) return lease
    // A replacement lease (the first one died) is opened with the client's own handshake again.
    if (initialize) this.#handshakes.set(session, initialize)
    return this.#lease(session, this.#handshakes.get(session))
  }

  /** Close every connection. */
  async close(): Promise<void> {
    const all = [...this.#leases.values()]
    if (this.#shared) all.push(this.#shared)
    this.#leases.clear()
    this.#shared = undefined
    this.#sharedReady = undefined
    await Promise.all(
      all.map((p) =>
        p.then(
          (c) => c.close(),
          () => {},
        ),
      ),
    )
  }

  #acquireShared(session: Session | undefined): Promise<UpstreamConnection> | UpstreamConnection {
    if (session && !this.#sharedSessions.has(session)) {
      this.#sharedSessions.add(session)
      session.onClose(() => this.#sharedSessions.delete(session))
    }
    if (this.#sharedReady && !this.#sharedReady.closed) return this.#sharedReady
    if (!this.#shared) {
      const opening = this.#open(this.#defaultInitialize(), this.#sharedHandlers())
      this.#shared = opening
      opening.then(
        (conn) => {
          if (this.#shared !== opening) return
          this.#sharedReady = conn
          conn.onClose(() => {
            if (this.#shared !== opening) return
            this.#shared = undefined
            this.#sharedReady = undefined
          })
        },
        () => {
          if (this.#shared === opening) this.#shared = undefined
        },
      )
    }
    return this.#shared
  }

  #lease(
    session: Session,
    initialize: Record<string, unknown> | undefined,
  ): Promise<UpstreamConnection> {
    const max = this.#options.maxConnections ?? 1000
    if (this.#leases.size >= max) {
      throw new McpxError(
        ErrorCode.UpstreamUnavailable,
        `Upstream "${this.name}" has no free connection`,
        {
          data: { upstream: this.name },
        },
      )
    }
    let ready: UpstreamConnection | undefined
    const opening = this.#open(
      initialize ?? this.#defaultInitialize(),
      this.#ownerHandlers(session, () => ready),
    )
    this.#leases.set(session, opening)
    let stopWatching = () => {}
    const forget = () => {
      if (this.#leases.get(session) === opening) this.#leases.delete(session)
      stopWatching()
    }
    opening.then((conn) => {
      ready = conn
      conn.onClose(forget)
    }, forget)
    stopWatching = session.onClose(() => {
      forget()
      opening.then(
        (conn) => conn.close(),
        () => {},
      )
    })
    return opening
  }

  #open(
    initialize: Record<string, unknown>,
    handlers: ServerMessageHandlers,
  ): Promise<UpstreamConnection> {
    const log = this.#options.log ?? defaultLog
    return new UpstreamConnection(this.name, this.connector, handlers).open({
      initialize,
      connectTimeout: this.#options.connectTimeout ?? 30_000,
      log: (line) => log(this.name, line),
    })
  }

  #defaultInitialize(): Record<string, unknown> {
    return {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
      clientInfo: this.#options.clientInfo ?? GATEWAY_INFO,
    }
  }

  /** Shared connection: deliver by relation, broadcast list changes, refuse what cannot be placed. */
  #sharedHandlers(): ServerMessageHandlers {
    return {
      request: async (message, signal, related) => {
        const origin = related as Origin | undefined
        if (!origin?.session) throw this.#unroutable(message)
        return (await origin.session.toClient(message, origin.id, signal)) ?? {}
      },
      notification: (message, related) => {
        const origin = related as Origin | undefined
        // A list change concerns everyone on the connection, even when the server sent it while serving one of them.
        if (BROADCAST.has(message.method)) {
          for (const session of this.#sharedSessions) {
            this.#notify(session, message, session === origin?.session ? origin.id : undefined)
          }
        } else if (origin?.session) this.#notify(origin.session, message, origin.id)
      },
    }
  }

  /** Leased connection: everything goes to its one session; the relation only picks the stream. */
  #ownerHandlers(
    session: Session,
    connection: () => UpstreamConnection | undefined,
  ): ServerMessageHandlers {
    // stdio cannot say which request a server message belongs to; with one
    // request in flight on the session's own connection, it is that one.
    const relatedId = (related: unknown): RequestId | undefined =>
      ((related ?? connection()?.soleRelated()) as Origin | undefined)?.id
    return {
      request: async (message, signal, related) =>
        (await session.toClient(message, relatedId(related), signal)) ?? {},
      notification: (message, related) => this.#notify(session, message, relatedId(related)),
    }
  }

  #notify(session: Session, message: Notification, related: RequestId | undefined): void {
    session.toClient(message, related).catch((error: unknown) => {
      const log = this.#options.log ?? defaultLog
      log(this.name, `could not deliver ${message.method}: ${(error as Error).message}`)
    })
  }

  #unroutable(message: Request): McpxError {
    return new McpxError(
      ErrorCode.MethodNotFound,
      `mcpx cannot deliver ${message.method} from shared upstream "${this.name}": it is not tied to a client request (use mode 'per-session')`,
    )
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
  if (typeof name !== 'string' || name === '')
    throw new TypeError('[@mcpx/transports] upstream needs a name')
  if (!connector || typeof connector.open !== 'function') {
    throw new TypeError(
      `[@mcpx/transports] upstream "${name}" needs a connector (stdio(), streamableHttp(), …)`,
    )
  }
  if (options.mode !== undefined && options.mode !== 'shared' && options.mode !== 'per-session') {
    throw new TypeError(
      `[@mcpx/transports] upstream "${name}": mode must be 'shared' or 'per-session'`,
    )
  }
  if (options.timeout !== undefined && !(options.timeout >= 0)) {
    throw new TypeError(`[@mcpx/transports] upstream "${name}": timeout must be >= 0`)
  }
  for (const key of ['connectTimeout', 'maxConnections'] as const) {
    const value = options[key]
    if (value !== undefined && !(value > 0)) {
      throw new TypeError(`[@mcpx/transports] upstream "${name}": ${key} must be > 0`)
    }
  }
  return new Upstream(name, connector, { ...options })
}
