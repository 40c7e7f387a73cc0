import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ErrorCode, type McpProxy } from '@mcpx/core'
import { checkPath, pathOf } from './front-end.js'
import { fail, NodeExchange, type NodeHandler, nodeHandler } from './node-io.js'
import type { SessionDirectory, SessionRegistryOptions } from './session-directory.js'
import { SessionRegistry } from './session-registry.js'
import { type StreamableHttpFrontEndOptions, StreamableHttpServer } from './streamable-http.js'

/** Options for {@link createStreamableHttpHandler}. */
export interface StreamableHttpHandlerOptions extends StreamableHttpFrontEndOptions {
  /**
   * The endpoint path. Requests to other paths go to `next` (Express,
   * Connect) or get 404. Without it every request is served, for mounting
   * under a router that already matched the path.
   * @defaultValue every path
   */
  path?: string
  /**
   * Take part in a set of replicas behind a load balancer that does not
   * stick sessions: each replica records the sessions it opens in a shared
   * {@link SessionDirectory}, and a request whose `Mcp-Session-Id` this
   * replica does not hold is forwarded to the replica that does (one extra
   * HTTP hop, SSE streams included) instead of being answered 404. Requests
   * without a session id, and those for sessions held here, are served here.
   * The owner authenticates the forwarded request itself (its headers
   * travel), so a session stays bound to its principal. When the directory
   * is down, sessions keep working on their replica and a misrouted request
   * gets 404 (unless this replica remembers the session's owner); when the owner cannot be reached, its entry is dropped and the
   * request gets 404 (the client initializes a new session).
   * @defaultValue none: one replica, nothing shared
   */
  registry?: SessionRegistryOptions
}

/**
 * Serve a proxy as an MCP Streamable HTTP endpoint inside any `node:http`
 * server: Express (`app.all('/mcp', mcp)`, before or after `express.json()`),
 * Fastify (see the README recipe), Koa, Hono's node server. POST carries
 * client messages, GET opens or resumes the stream for server messages,
 * DELETE ends the session.
 *
 * @example
 * ```ts
 * const mcp = createStreamableHttpHandler(createProxy({ terminal: forward(files) }), { path: '/mcp' })
 * http.createServer((req, res) => mcp(req, res, () => app(req, res))).listen(3000, '127.0.0.1')
 * ```
 */
export function createStreamableHttpHandler(
  proxy: McpProxy,
  options: StreamableHttpHandlerOptions = {},
): NodeHandler {
  const path = options.path === undefined ? undefined : checkPath('path', options.path)
  const registry =
    options.registry &&
    new SessionRegistry(options.registry, (error, info) => server.frontEnd.onError(error, info))
  const server = new StreamableHttpServer(proxy, options, registry?.hooks)
  const fe = server.frontEnd
  registry?.bind(server.sessions)
  const close = async (reason?: string) => {
    // Ending the sessions starts their releases; the registry waits for them (bounded).
    server.close(reason)
    await registry?.close()
  }
  // Two serve functions: without a registry, nothing on the path looks for one.
  const serve = registry
    ? (req: IncomingMessage, res: ServerResponse) =>
        registry.route(req, res, (address) =>
          server.handle(new NodeExchange(req, res, fe, address)),
        )
    : (req: IncomingMessage, res: ServerResponse) => server.handle(new NodeExchange(req, res, fe))
  return nodeHandler(
    (req, res, next) => {
      if (path !== undefined && pathOf(req.url ?? '/') !== path) {
        if (next) next()
        else fail(res, 404, ErrorCode.InvalidRequest, 'Not Found')
        return
      }
      serve(req, res)
    },
    { sessionCount: () => server.sessions.size, close },
  )
}

/** Options for {@link listen}. */
export interface ListenOptions {
  /** @defaultValue 3000 (0 picks a free port) */
  port?: number
  /** The address to bind. Loopback unless told otherwise. @defaultValue `'127.0.0.1'` */
  host?: string
}

/** A running `node:http` server around a front end. */
export interface Listening {
  /** `http://host:port`, without a path. */
  readonly origin: string
  readonly server: Server
  /** Stop listening, end every session of the handler and drop open connections. */
  close(): Promise<void>
  /**
   * Close gracefully: stop accepting connections, answer every new request
   * 503 with `reason`, wait up to `timeout` ms for the requests in flight
   * (every request but a GET: a GET is a stream, not a call) to be
   * answered, then end the sessions (what is still open gets a JSON-RPC
   * error with `reason`, and its upstream `notifications/cancelled`), let
   * those answers reach their sockets, and drop the connections.
   */
  shutdown(options: ShutdownOptions): Promise<ShutdownResult>
}

/** Options for {@link Listening.shutdown}. */
export interface ShutdownOptions {
  /** Milliseconds to wait for the requests in flight; 0 ends them at once. */
  timeout: number
  /** The error message of refused and ended requests. @defaultValue `'Server shutting down'` */
  reason?: string
}

/** What {@link Listening.shutdown} did. */
export interface ShutdownResult {
  /** Requests still in flight at the deadline, ended with `reason`. */
  readonly aborted: number
}

/** Milliseconds between two looks at what is still in flight while draining. */
const DRAIN_TICK = 20
/** Milliseconds the last answers have to leave before their connections are dropped. */
const FLUSH_GRACE = 1_000

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Start a `node:http` server for one front end: its requests and its
 * upgrades. Closing it closes the handler too (the proxy and its upstreams
 * are closed with `proxy.close()`).
 *
 * @example
 * ```ts
 * const { origin, close } = await listen(createWebSocketHandler(proxy), { port: 3000 })
 * ```
 */
export async function listen(
  handler: NodeHandler,
  options: ListenOptions = {},
): Promise<Listening> {
  const host = options.host ?? '127.0.0.1'
  let inFlight = 0
  let refusing: string | undefined
  const server = createServer((req, res) => {
    if (refusing !== undefined) {
      return fail(res, 503, ErrorCode.ConnectionClosed, refusing, { connection: 'close' })
    }
    if (req.method !== 'GET') {
      inFlight++
      res.once('close', () => inFlight--)
    }
    handler(req, res)
  })
  server.on('upgrade', handler.upgrade)
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 3000, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const shown = host.includes(':') ? `[${host}]` : host
  return {
    origin: `http://${shown}:${port}`,
    server,
    close: async () => {
      await handler.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
    shutdown: async ({ timeout, reason = 'Server shutting down' }) => {
      refusing = reason
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // A keep-alive connection that has answered its request is closed as soon as it is idle.
      const deadline = Date.now() + timeout
      while (inFlight > 0 && Date.now() < deadline) {
        server.closeIdleConnections()
        await sleep(Math.min(DRAIN_TICK, deadline - Date.now()))
      }
      const aborted = inFlight
      await handler.close(reason)
      const flushed = Date.now() + FLUSH_GRACE
      while (inFlight > 0 && Date.now() < flushed) await sleep(DRAIN_TICK)
      server.closeAllConnections()
      await closed
      return { aborted }
    },
  }
}

/** Options for {@link serveHttp}. */
export interface ServeHttpOptions
  extends StreamableHttpFrontEndOptions,
    ListenOptions,
    Pick<StreamableHttpHandlerOptions, 'registry'> {
  /** The endpoint path; other paths get 404. @defaultValue `'/mcp'` */
  path?: string
}

/** A running Streamable HTTP server. */
export interface HttpServer {
  /** The endpoint URL, e.g. `http://127.0.0.1:3000/mcp`. */
  readonly url: string
  readonly server: Server
  readonly handler: NodeHandler
  /** Stop listening, end every session, then `proxy.close()` (its upstreams): one call shuts everything down. */
  close(): Promise<void>
}

/**
 * Start a `node:http` server that serves the proxy over Streamable HTTP at
 * `path` and answers 404 elsewhere. `close()` ends the sessions, stops the
 * server and closes the proxy with its upstreams.
 *
 * @example
 * ```ts
 * const { url, close } = await serveHttp(createProxy({ terminal: forward(files) }), { port: 3000 })
 * process.once('SIGTERM', close)
 * ```
 */
export async function serveHttp(
  proxy: McpProxy,
  options: ServeHttpOptions = {},
): Promise<HttpServer> {
  const path = options.path ?? '/mcp'
  const handler = createStreamableHttpHandler(proxy, { ...options, path })
  const listening = await listen(handler, options)
  return {
    url: `${listening.origin}${path}`,
    server: listening.server,
    handler,
    close: async () => {
      await listening.close()
      await proxy.close()
    },
  }
}
