import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { errorResponse, McpxError } from '@mcpx/core'
import {
  type HttpExchange,
  JSON_HEADERS,
  type ParsedBody,
  SSE_HEADERS,
  type SseWriter,
  TOO_LARGE,
} from './exchange.js'
import type { FrontEnd } from './front-end.js'

/**
 * A `node:http` request handler, the one shape of every mcpx front end
 * (Streamable HTTP, legacy SSE, WebSocket): a request listener that is also
 * Express/Connect middleware (requests it does not serve go to `next`, or
 * get 404), an `upgrade` listener, the number of sessions, and `close()`.
 *
 * @example
 * ```ts
 * const server = http.createServer(mcp)
 * server.on('upgrade', mcp.upgrade)
 * ```
 */
export interface NodeHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void
  /**
   * Take a `node:http` `upgrade` request (WebSocket). An upgrade this front
   * end does not serve goes to `next`, or is left to the server's other
   * `upgrade` listeners, or (when there are none) gets 404.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, next?: () => void): void
  /** Sessions open now. */
  readonly sessionCount: number
  /**
   * End every session and stop the front end's timers. `reason` is the
   * error message of the requests still open (Streamable HTTP; the other
   * front ends end their connections instead).
   */
  close(reason?: string): Promise<void>
}

/** Build a {@link NodeHandler} from its parts. */
export function nodeHandler(
  serve: (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void,
  parts: {
    upgrade?: NodeHandler['upgrade']
    sessionCount(): number
    close(reason?: string): void | Promise<void>
  },
): NodeHandler {
  const handler = serve as NodeHandler
  handler.upgrade = parts.upgrade ?? ((req, socket, _head, next) => notOurs(req, socket, next))
  Object.defineProperty(handler, 'sessionCount', { get: parts.sessionCount })
  handler.close = async (reason?: string) => parts.close(reason)
  return handler
}

/** An upgrade for another listener: hand it on, leave it to the others, or answer 404 when nobody else will. */
export function notOurs(req: IncomingMessage, socket: Duplex, next: (() => void) | undefined) {
  if (next) return next()
  const server = (req.socket as { server?: { listenerCount(event: string): number } }).server
  if ((server?.listenerCount('upgrade') ?? 1) > 1) return
  refuseUpgrade(socket, 404, -32600, 'Not Found')
}

/** Answer with a JSON body (or none). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): void {
  if (res.headersSent) {
    res.end()
    return
  }
  res.writeHead(status, headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS)
  res.end(body === undefined ? undefined : JSON.stringify(body))
}

/** Answer with a JSON-RPC error that has no request id (the request could not be read or was refused). */
export function fail(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers?: Record<string, string>,
): void {
  sendJson(res, status, errorResponse(null, new McpxError(code, message)), headers)
}

/** Answer an upgrade request with an HTTP error and a JSON-RPC error body, as the HTTP front ends do. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  code: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const body = JSON.stringify(errorResponse(null, new McpxError(code, message)))
  let extra = ''
  for (const [name, value] of Object.entries(headers)) extra += `${name}: ${value}\r\n`
  socket.on('error', () => {})
  socket.once('finish', () => socket.destroy())
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
  )
}

/**
 * Write to a long-lived stream unless the client stopped reading: past
 * `maxBuffered` unsent bytes the stream is destroyed (and `onOverflow`
 * told), so a slow client cannot grow the gateway's memory without bound.
 */
export function writeBounded(
  res: ServerResponse,
  text: string,
  maxBuffered: number,
  onOverflow: () => void,
): void {
  if (res.writableEnded || res.destroyed) return
  if (res.writableLength > maxBuffered) {
    onOverflow()
    res.destroy()
    return
  }
  res.write(text)
}

const CONSUMED =
  '[@mcpx/transports] the request body was read before the MCP handler and not left in req.body: mount the handler before body parsers, or keep the parsed body in req.body'

/**
 * Read a request body with a size bound, or take the one a body parser
 * already made (`express.json()` leaves it in `req.body`; Fastify's recipe
 * copies it there).
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
): Promise<string | ParsedBody | typeof TOO_LARGE> {
  const parsed = (req as { body?: unknown }).body
  if (parsed !== undefined) {
    if (typeof parsed === 'string') return Promise.resolve(parsed)
    if (Buffer.isBuffer(parsed)) return Promise.resolve(parsed.toString('utf8'))
    return Promise.resolve({ parsed })
  }
  // Waiting for a stream someone else consumed would hang the request forever.
  if (req.readableEnded) return Promise.reject(new TypeError(CONSUMED))
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.resolve(TOO_LARGE)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) {
        chunks.push(chunk)
        return
      }
      req.off('data', onData)
      resolve(TOO_LARGE)
    }
    req.on('data', onData)
    req.once('error', reject)
    req.once('end', () => {
      if (size > maxBytes) return
      resolve(
        chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      )
    })
  })
}

/** An {@link HttpExchange} over `node:http`. */
export class NodeExchange implements HttpExchange {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly #fe: FrontEnd
  /** The client's address when another replica forwarded the request (its secret checked). */
  readonly #forwardedFor: string | undefined

  constructor(req: IncomingMessage, res: ServerResponse, fe: FrontEnd, forwardedFor?: string) {
    this.req = req
    this.res = res
    this.#fe = fe
    this.#forwardedFor = forwardedFor
  }

  get method(): string {
    return this.req.method ?? 'GET'
  }

  get url(): string {
    return this.req.url ?? '/'
  }

  get headers(): IncomingMessage['headers'] {
    return this.req.headers
  }

  get remoteAddress(): string | undefined {
    return this.#forwardedFor ?? this.req.socket.remoteAddress
  }

  body(maxBytes: number): ReturnType<HttpExchange['body']> {
    return readBody(this.req, maxBytes)
  }

  json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): void {
    // An answer before the body was read (413, 401): let the rest of it drain.
    if (!this.req.readableEnded) this.req.resume()
    sendJson(this.res, status, body, headers)
  }

  sse(headers?: Readonly<Record<string, string>>): SseWriter {
    const { res } = this
    res.writeHead(200, headers ? { ...SSE_HEADERS, ...headers } : SSE_HEADERS)
    const { maxBufferedBytes, onError } = this.#fe
    const overflow = () =>
      onError(new Error('the client stopped reading a stream; closed it'), { method: undefined })
    return {
      write: (text) => writeBounded(res, text, maxBufferedBytes, overflow),
      end: (text) => {
        if (!res.writableEnded) res.end(text)
      },
      get open() {
        return !res.writableEnded && !res.destroyed
      },
    }
  }

  onClose(listener: () => void): void {
    // 'close' fires once; `on` spares the wrapper `once` would make per request.
    this.res.on('close', () => {
      if (!this.res.writableFinished) listener()
    })
  }
}
