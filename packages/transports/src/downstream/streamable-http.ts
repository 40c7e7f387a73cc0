import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  ErrorCode,
  errorResponse,
  type McpProxy,
  McpxError,
  type Message,
  type Request,
  type RequestId,
} from '@mcpx/core'
import { SUPPORTED_PROTOCOL_VERSIONS } from '../version.js'
import {
  fail,
  type HostOriginOptions,
  hostOriginGuard,
  readMessage,
  requireJson,
  sendJson,
} from './http.js'
import { PostStream, StreamableHttpSession } from './streamable-http-session.js'

/** Options for {@link createNodeHandler}. */
export interface NodeHandlerOptions extends HostOriginOptions {
  /** Largest POST body in bytes; larger ones get 413 before parsing. @defaultValue 4 MiB */
  maxBodyBytes?: number
  /** Milliseconds without traffic after which a session ends; 0 never. @defaultValue 30 minutes */
  sessionIdleTimeout?: number
  /** Most sessions at once; `initialize` beyond that gets 503. @defaultValue 10000 */
  maxSessions?: number
  /** Milliseconds between keep-alive comments on GET streams; 0 sends none. @defaultValue 25000 */
  keepAliveInterval?: number
  /**
   * Bytes a response stream may hold unsent, for a client that stopped
   * reading; past it the stream is closed.
   * @defaultValue 16 MiB
   */
  maxBufferedBytes?: number
  /** Non-`McpxError`s thrown while answering, and dropped messages. @defaultValue `console.error` */
  onError?(error: unknown): void
}

/** A `node:http` request handler serving MCP Streamable HTTP. */
export interface NodeHandler {
  (req: IncomingMessage, res: ServerResponse): void
  /** Sessions open now. */
  readonly sessionCount: number
  /** End every session and stop the idle timer. */
  close(): void
}

function accepts(req: IncomingMessage, type: string): boolean {
  const accept = req.headers.accept
  return accept !== undefined && (accept.includes(type) || accept.includes('*/*'))
}

/**
 * Serve a proxy as an MCP Streamable HTTP endpoint inside any `node:http`
 * server (Express, Fastify and Hono's node server take the same handler).
 * POST carries client messages, GET opens the stream for server messages,
 * DELETE ends the session.
 *
 * @example
 * ```ts
 * const mcp = createNodeHandler(createProxy({ terminal: forward(files) }))
 * http.createServer((req, res) => (req.url?.startsWith('/mcp') ? mcp(req, res) : app(req, res))).listen(3000, '127.0.0.1')
 * ```
 */
export function createNodeHandler(proxy: McpProxy, options: NodeHandlerOptions = {}): NodeHandler {
  const maxBody = options.maxBodyBytes ?? 4 * 1024 * 1024
  const idle = options.sessionIdleTimeout ?? 30 * 60_000
  const maxSessions = options.maxSessions ?? 10_000
  if (!(maxSessions > 0)) throw new TypeError('[@mcpx/transports] maxSessions must be > 0')
  if (!(maxBody > 0)) throw new TypeError('[@mcpx/transports] maxBodyBytes must be > 0')
  if (!(idle >= 0)) throw new TypeError('[@mcpx/transports] sessionIdleTimeout must be >= 0')
  const onError =
    options.onError ?? ((error: unknown) => console.error('[@mcpx/transports]', error))
  const keepAlive = options.keepAliveInterval ?? 25_000
  const maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024
  if (!(keepAlive >= 0)) throw new TypeError('[@mcpx/transports] keepAliveInterval must be >= 0')
  if (!(maxBuffered > 0)) throw new TypeError('[@mcpx/transports] maxBufferedBytes must be > 0')
  const hostOrigin = hostOriginGuard(options)
  const sessions = new Map<string, StreamableHttpSession>()

  // One unref'd timer for the whole handler: idle expiry and GET-stream keep-alives.
  const tick = Math.min(
    idle || Number.POSITIVE_INFINITY,
    keepAlive || Number.POSITIVE_INFINITY,
    60_000,
  )
  const timer = setInterval(sweep, tick)
  timer.unref()

  function sweep(): void {
    const cutoff = Date.now() - idle
    for (const [id, http] of sessions) {
      if (idle > 0 && http.lastActive < cutoff && http.streams.size === 0 && !http.standalone)
        end(id, http)
      else if (keepAlive > 0) http.ping()
    }
  }

  function end(id: string, http: StreamableHttpSession): void {
    sessions.delete(id)
    http.close()
  }

  /** Checks shared by every method; answers and returns false when the request may not proceed. */
  function guard(req: IncomingMessage, res: ServerResponse): boolean {
    const refusal = hostOrigin(req.headers)
    if (refusal) {
      fail(res, 403, ErrorCode.InvalidRequest, refusal)
      return false
    }
    const version = req.headers['mcp-protocol-version']
    if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      fail(
        res,
        400,
        ErrorCode.InvalidRequest,
        `Bad Request: unsupported MCP-Protocol-Version ${version}`,
      )
      return false
    }
    return true
  }

  /** The session the request names; answers 400/404 and returns undefined when there is none. */
  function sessionOf(req: IncomingMessage, res: ServerResponse): StreamableHttpSession | undefined {
    const id = req.headers['mcp-session-id']
    if (typeof id !== 'string' || id === '') {
      fail(res, 400, ErrorCode.InvalidRequest, 'Bad Request: Mcp-Session-Id header is required')
      return undefined
    }
    const http = sessions.get(id)
    // Streamable HTTP §Session Management: 404 tells the client to re-initialize.
    if (!http) fail(res, 404, ErrorCode.InvalidRequest, 'Session not found')
    else http.lastActive = Date.now()
    return http
  }

  function post(req: IncomingMessage, res: ServerResponse): void {
    if (!accepts(req, 'application/json') || !accepts(req, 'text/event-stream')) {
      fail(
        res,
        406,
        ErrorCode.InvalidRequest,
        'Not Acceptable: Accept must include application/json and text/event-stream',
      )
      return
    }
    if (!requireJson(req, res)) return
    readMessage(req, res, maxBody, (message) => {
      if ('method' in message && message.method === 'initialize')
        initialize(req, res, message as Request)
      else deliver(req, res, message)
    })
  }

  function initialize(req: IncomingMessage, res: ServerResponse, message: Request): void {
    if (!('id' in message)) {
      fail(res, 400, ErrorCode.InvalidRequest, 'Bad Request: initialize must be a request')
      return
    }
    if (req.headers['mcp-session-id'] !== undefined) {
      fail(
        res,
        400,
        ErrorCode.InvalidRequest,
        'Bad Request: initialize must not carry an Mcp-Session-Id',
      )
      return
    }
    if (sessions.size >= maxSessions) {
      fail(res, 503, ErrorCode.UpstreamUnavailable, 'Service Unavailable: too many sessions', {
        'retry-after': '5',
      })
      return
    }
    // Streamable HTTP §Session Management: globally unique, cryptographically secure (144 random bits).
    const id = randomBytes(18).toString('base64url')
    const http = new StreamableHttpSession(
      {
        proxy,
        info: { id, transport: 'streamable-http', remoteAddress: req.socket.remoteAddress },
        onError,
      },
      // Session ids are bearer secrets: logs get a prefix only.
      {
        maxBuffered,
        onDrop: (reason) => onError(new Error(`session ${id.slice(0, 6)}…: ${reason}`)),
      },
    )
    sessions.set(id, http)
    http.session.onClose(() => {
      if (sessions.get(id) === http) sessions.delete(id)
    })
    res.setHeader('mcp-session-id', id)
    const stream = open(req, res, http, message)
    // A refused or failed initialize (auth, upstream down) leaves no session behind.
    stream.beforeFinish = (response) => {
      if (!('error' in response)) return
      res.removeHeader('mcp-session-id')
      end(id, http)
    }
  }

  function deliver(req: IncomingMessage, res: ServerResponse, message: Message): void {
    const http = sessionOf(req, res)
    if (!http) return
    if (!('method' in message) || !('id' in message)) {
      // Notifications and responses: Streamable HTTP §Sending: 202 Accepted, no body.
      http.session.receive(message, { headers: req.headers })
      if ('method' in message && message.method === 'notifications/cancelled') {
        http.abandon(message.params?.requestId as RequestId)
      }
      sendJson(res, 202, undefined)
      return
    }
    if (http.streams.has(message.id)) {
      sendJson(
        res,
        400,
        errorResponse(
          message.id,
          new McpxError(ErrorCode.InvalidRequest, 'Request id is already in use'),
        ),
      )
      return
    }
    open(req, res, http, message)
  }

  function open(
    req: IncomingMessage,
    res: ServerResponse,
    http: StreamableHttpSession,
    message: Request,
  ): PostStream {
    const stream = new PostStream(res, http)
    http.streams.set(message.id, stream)
    res.on('close', () => {
      if (stream.done || http.streams.get(message.id) !== stream) return
      // No resumability: an answer to a closed stream would be lost, so stop the work.
      http.streams.delete(message.id)
      http.session.receive({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: message.id, reason: 'client disconnected' },
      })
    })
    http.session.receive(message, { headers: req.headers })
    return stream
  }

  function get(req: IncomingMessage, res: ServerResponse): void {
    if (!accepts(req, 'text/event-stream')) {
      fail(
        res,
        406,
        ErrorCode.InvalidRequest,
        'Not Acceptable: Accept must include text/event-stream',
      )
      return
    }
    const http = sessionOf(req, res)
    if (!http) return
    if (http.standalone) {
      fail(res, 409, ErrorCode.InvalidRequest, 'Conflict: this session already has a GET stream')
      return
    }
    http.attach(res)
  }

  function del(req: IncomingMessage, res: ServerResponse): void {
    const http = sessionOf(req, res)
    if (!http) return
    end(http.session.id!, http)
    sendJson(res, 200, undefined)
  }

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    if (!guard(req, res)) return
    switch (req.method) {
      case 'POST':
        return post(req, res)
      case 'GET':
        return get(req, res)
      case 'DELETE':
        return del(req, res)
      default:
        fail(res, 405, ErrorCode.InvalidRequest, 'Method Not Allowed', {
          allow: 'GET, POST, DELETE',
        })
    }
  }) as NodeHandler

  Object.defineProperty(handler, 'sessionCount', { get: () => sessions.size })
  handler.close = () => {
    clearInterval(timer)
    for (const [id, http] of sessions) end(id, http)
  }
  return handler
}

/** Options for {@link serveHttp}. */
export interface ServeHttpOptions extends NodeHandlerOptions {
  /** @defaultValue 3000 (0 picks a free port) */
  port?: number
  /** The address to bind. Loopback unless told otherwise. @defaultValue `'127.0.0.1'` */
  host?: string
  /** The endpoint path. @defaultValue `'/mcp'` */
  path?: string
}

/** A running Streamable HTTP server. */
export interface HttpServer {
  /** The endpoint URL, e.g. `http://127.0.0.1:3000/mcp`. */
  readonly url: string
  readonly server: Server
  readonly handler: NodeHandler
  /** End every session and stop listening. */
  close(): Promise<void>
}

/**
 * Start a `node:http` server that serves the proxy at `path` and answers 404
 * elsewhere.
 *
 * @example
 * ```ts
 * const { url } = await serveHttp(createProxy({ terminal: forward(files) }), { port: 3000 })
 * ```
 */
export async function serveHttp(
  proxy: McpProxy,
  options: ServeHttpOptions = {},
): Promise<HttpServer> {
  const path = options.path ?? '/mcp'
  const host = options.host ?? '127.0.0.1'
  const handler = createNodeHandler(proxy, options)
  const server = createServer((req, res) => {
    const url = req.url ?? '/'
    const end = url.indexOf('?')
    if ((end === -1 ? url : url.slice(0, end)) === path) handler(req, res)
    else fail(res, 404, ErrorCode.InvalidRequest, 'Not Found')
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 3000, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const shown = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shown}:${port}${path}`,
    server,
    handler,
    close: async () => {
      handler.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
