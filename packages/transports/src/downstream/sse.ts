import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCode, type McpProxy } from '@mcpx/core'
import { Session } from '../protocol/session.js'
import {
  fail,
  type HostOriginOptions,
  hostOriginGuard,
  readMessage,
  requireJson,
  SSE_HEADERS,
  sendJson,
  writeBounded,
} from './http.js'

/** Options for {@link createSseHandler}. */
export interface SseHandlerOptions extends HostOriginOptions {
  /** Path of the GET that opens a session's event stream. @defaultValue `'/sse'` */
  ssePath?: string
  /** Path clients POST their messages to, announced in the `endpoint` event. @defaultValue `'/messages'` */
  messagesPath?: string
  /** Largest POST body in bytes; larger ones get 413 before parsing. @defaultValue 4 MiB */
  maxBodyBytes?: number
  /** Most sessions (open streams) at once; more GETs get 503. @defaultValue 10000 */
  maxSessions?: number
  /** Milliseconds between keep-alive comments on each stream; 0 sends none. @defaultValue 25000 */
  keepAliveInterval?: number
  /**
   * Bytes a stream may hold unsent, for a client that stopped reading; when
   * more must be written, the stream and its session end.
   * @defaultValue 16 MiB
   */
  maxBufferedBytes?: number
  /** Non-`McpxError`s thrown while answering, and streams ended for not reading. @defaultValue `console.error` */
  onError?(error: unknown): void
}

/**
 * A `node:http` request handler serving the legacy HTTP+SSE transport. It
 * answers the two paths it owns and calls `next` (or answers 404) for
 * anything else, so it also works as Express/Connect middleware.
 */
export interface SseHandler {
  (req: IncomingMessage, res: ServerResponse, next?: () => void): void
  /** Sessions (open streams) now. */
  readonly sessionCount: number
  /** End every stream and session, and stop the keep-alive timer. */
  close(): void
}

interface Stream {
  readonly res: ServerResponse
  readonly session: Session
}

const PATH = /^\/[^?#\s]*$/

/**
 * Serve a proxy over the HTTP+SSE transport of protocol 2024-11-05, for
 * clients that predate Streamable HTTP. A GET on `ssePath` opens a session:
 * its stream first names the session's POST URL in an `endpoint` event,
 * then carries every message for the client. Each POST to that URL carries
 * one client message and gets 202. The session ends when its stream closes.
 *
 * @example
 * ```ts
 * const legacy = createSseHandler(createProxy({ terminal: forward(files) }))
 * http.createServer((req, res) => legacy(req, res)).listen(3001, '127.0.0.1')
 * ```
 */
export function createSseHandler(proxy: McpProxy, options: SseHandlerOptions = {}): SseHandler {
  const ssePath = options.ssePath ?? '/sse'
  const messagesPath = options.messagesPath ?? '/messages'
  const maxBody = options.maxBodyBytes ?? 4 * 1024 * 1024
  const maxSessions = options.maxSessions ?? 10_000
  const keepAlive = options.keepAliveInterval ?? 25_000
  const maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024
  if (!PATH.test(ssePath) || !PATH.test(messagesPath)) {
    throw new TypeError(
      '[@mcpx/transports] ssePath and messagesPath must be paths starting with "/", without query',
    )
  }
  if (!(maxBody > 0)) throw new TypeError('[@mcpx/transports] maxBodyBytes must be > 0')
  if (!(keepAlive >= 0)) throw new TypeError('[@mcpx/transports] keepAliveInterval must be >= 0')
  if (!(maxBuffered > 0)) throw new TypeError('[@mcpx/transports] maxBufferedBytes must be > 0')
  const onError =
    options.onError ?? ((error: unknown) => console.error('[@mcpx/transports]', error))
  const guard = hostOriginGuard(options)
  const streams = new Map<string, Stream>()

  const pinger = keepAlive > 0 ? setInterval(ping, keepAlive) : undefined
  pinger?.unref()

  function ping(): void {
    for (const [id, stream] of streams) write(id, stream.res, ': keep-alive\n\n')
  }

  function write(id: string, res: ServerResponse, text: string): void {
    writeBounded(res, text, maxBuffered, () =>
      onError(
        new Error(
          `session ${id.slice(0, 6)}…: the client stopped reading its SSE stream; closing it`,
        ),
      ),
    )
  }

  function open(req: IncomingMessage, res: ServerResponse): void {
    if (streams.size >= maxSessions) {
      fail(res, 503, ErrorCode.UpstreamUnavailable, 'Service Unavailable: too many sessions', {
        'retry-after': '5',
      })
      return
    }
    // The session id is the only thing that ties a POST to its stream: 144 random bits.
    const id = randomBytes(18).toString('base64url')
    const session = new Session({
      proxy,
      info: { id, transport: 'sse', remoteAddress: req.socket.remoteAddress },
      send: (message) => write(id, res, `event: message\ndata: ${JSON.stringify(message)}\n\n`),
      onError,
    })
    const stream: Stream = { res, session }
    streams.set(id, stream)
    res.on('close', () => {
      if (streams.get(id) === stream) streams.delete(id)
      session.close()
    })
    res.writeHead(200, SSE_HEADERS)
    res.write(`event: endpoint\ndata: ${messagesPath}?sessionId=${id}\n\n`)
  }

  function post(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const id = query.get('sessionId')
    if (!id) {
      fail(
        res,
        400,
        ErrorCode.InvalidRequest,
        'Bad Request: the sessionId query parameter is required',
      )
      return
    }
    if (!streams.has(id)) {
      fail(res, 404, ErrorCode.InvalidRequest, 'Session not found')
      return
    }
    if (!requireJson(req, res)) return
    readMessage(req, res, maxBody, (message) => {
      // The stream may have closed while the body arrived.
      const session = streams.get(id)?.session
      if (!session || session.closed) {
        fail(res, 404, ErrorCode.InvalidRequest, 'Session not found')
        return
      }
      session.receive(message, { headers: req.headers })
      sendJson(res, 202, undefined)
    })
  }

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: () => void) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    if (path !== ssePath && path !== messagesPath) {
      if (next) next()
      else fail(res, 404, ErrorCode.InvalidRequest, 'Not Found')
      return
    }
    const refusal = guard(req.headers)
    if (refusal) {
      fail(res, 403, ErrorCode.InvalidRequest, refusal)
      return
    }
    if (req.method === 'GET' && path === ssePath) return open(req, res)
    if (req.method === 'POST' && path === messagesPath) {
      return post(req, res, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)))
    }
    const allow = ssePath === messagesPath ? 'GET, POST' : path === ssePath ? 'GET' : 'POST'
    fail(res, 405, ErrorCode.InvalidRequest, 'Method Not Allowed', { allow })
  }) as SseHandler

  Object.defineProperty(handler, 'sessionCount', { get: () => streams.size })
  handler.close = () => {
    if (pinger) clearInterval(pinger)
    for (const [id, stream] of streams) {
      streams.delete(id)
      stream.session.close()
      stream.res.end()
    }
  }
  return handler
}
