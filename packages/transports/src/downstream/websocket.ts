import { randomBytes } from 'node:crypto'
import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import {
  ErrorCode,
  errorResponse,
  type McpProxy,
  McpxError,
  type Message,
  parseMessage,
} from '@mcpx/core'
import { WebSocket, WebSocketServer } from 'ws'
import { Session } from '../protocol/session.js'
import { WEBSOCKET_SUBPROTOCOL } from '../protocol/websocket.js'
import { type HostOriginOptions, hostOriginGuard } from './http.js'

/** Options for {@link createWebSocketHandler}. */
export interface WebSocketHandlerOptions extends HostOriginOptions {
  /**
   * A `node:http` (or `node:https`) server whose `upgrade` requests on `path`
   * the handler takes. Without one, call `handleUpgrade` from your own
   * `upgrade` listener.
   */
  server?: Server
  /** With `server`: the endpoint path. @defaultValue `'/mcp'` */
  path?: string
  /** Largest message a client may send, in bytes; a bigger one closes the socket (code 1009). @defaultValue 4 MiB */
  maxPayload?: number
  /** Most sessions (open sockets) at once; more upgrades get 503. @defaultValue 10000 */
  maxSessions?: number
  /**
   * Milliseconds between pings; a socket that has not answered the previous
   * ping by the next one is dropped. 0 sends none.
   * @defaultValue 25000
   */
  keepAliveInterval?: number
  /**
   * Bytes a socket may hold unsent, for a client that stopped reading; when
   * more must be written, the socket and its session end.
   * @defaultValue 16 MiB
   */
  maxBufferedBytes?: number
  /** Non-`McpxError`s thrown while answering, and sockets dropped for not reading. @defaultValue `console.error` */
  onError?(error: unknown): void
}

/** Serves MCP over WebSocket on upgrade requests. */
export interface WebSocketHandler {
  /** Take one `upgrade` request: check it, then upgrade it or answer it with an HTTP error. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Sessions (open sockets) now. */
  readonly sessionCount: number
  /** Close every socket and session, stop the keep-alive timer and detach from `server`. */
  close(): void
}

interface Socket {
  readonly ws: WebSocket
  readonly session: Session
  alive: boolean
}

const PATH = /^\/[^?#\s]*$/

/** Answer an upgrade request with an HTTP error and a JSON-RPC error body, as the HTTP front ends do. */
function refuse(socket: Duplex, status: number, code: number, message: string, headers = ''): void {
  const body = JSON.stringify(errorResponse(null, new McpxError(code, message)))
  socket.on('error', () => {})
  socket.once('finish', () => socket.destroy())
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`,
  )
}

/** One client frame as a message, or the error to answer it with (as stdio answers a bad line). */
function parseFrame(data: Buffer, isBinary: boolean): Message | McpxError {
  if (isBinary) {
    return new McpxError(ErrorCode.InvalidRequest, 'Invalid Request: MCP messages are text frames')
  }
  return parseMessage(data.toString('utf8'))
}

function offersMcp(req: IncomingMessage): boolean {
  const offered = req.headers['sec-websocket-protocol']
  return offered?.split(',').some((p) => p.trim() === WEBSOCKET_SUBPROTOCOL) === true
}

/**
 * Serve a proxy over WebSocket: subprotocol `mcp`, one JSON-RPC message per
 * text frame, one session per socket. The Host and Origin checks of the
 * HTTP front ends run before the upgrade (403). A frame that is not JSON, or
 * not JSON-RPC, is answered with -32700 or -32600 (id null); the socket stays
 * open. Closing the socket ends the session and cancels its requests.
 *
 * @example
 * ```ts
 * const server = http.createServer(app).listen(3000, '127.0.0.1')
 * createWebSocketHandler(createProxy({ terminal: forward(files) }), { server, path: '/mcp' })
 * ```
 */
export function createWebSocketHandler(
  proxy: McpProxy,
  options: WebSocketHandlerOptions = {},
): WebSocketHandler {
  const path = options.path ?? '/mcp'
  const maxPayload = options.maxPayload ?? 4 * 1024 * 1024
  const maxSessions = options.maxSessions ?? 10_000
  const keepAlive = options.keepAliveInterval ?? 25_000
  const maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024
  if (!PATH.test(path)) {
    throw new TypeError('[@mcpx/transports] path must start with "/" and have no query')
  }
  if (!(maxPayload > 0)) throw new TypeError('[@mcpx/transports] maxPayload must be > 0')
  if (!(keepAlive >= 0)) throw new TypeError('[@mcpx/transports] keepAliveInterval must be >= 0')
  if (!(maxBuffered > 0)) throw new TypeError('[@mcpx/transports] maxBufferedBytes must be > 0')
  const onError =
    options.onError ?? ((error: unknown) => console.error('[@mcpx/transports]', error))
  const guard = hostOriginGuard(options)
  const sockets = new Map<string, Socket>()
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    clientTracking: false,
    perMessageDeflate: false,
    handleProtocols: (offered) =>
      offered.has(WEBSOCKET_SUBPROTOCOL) ? WEBSOCKET_SUBPROTOCOL : false,
  })

  const pinger = keepAlive > 0 ? setInterval(ping, keepAlive) : undefined
  pinger?.unref()

  function ping(): void {
    for (const socket of sockets.values()) {
      if (!socket.alive) {
        socket.ws.terminate()
        continue
      }
      socket.alive = false
      socket.ws.ping()
    }
  }

  function write(id: string, ws: WebSocket, text: string): void {
    if (ws.readyState !== WebSocket.OPEN) return
    if (ws.bufferedAmount > maxBuffered) {
      onError(
        new Error(
          `session ${id.slice(0, 6)}…: the client stopped reading its WebSocket; closing it`,
        ),
      )
      ws.terminate()
      return
    }
    ws.send(text)
  }

  function attach(ws: WebSocket, req: IncomingMessage): void {
    const id = randomBytes(18).toString('base64url')
    const session = new Session({
      proxy,
      info: {
        id,
        transport: 'websocket',
        remoteAddress: req.socket.remoteAddress,
        headers: req.headers,
      },
      send: (message) => write(id, ws, JSON.stringify(message)),
      onError,
    })
    const socket: Socket = { ws, session, alive: true }
    sockets.set(id, socket)
    ws.on('pong', () => {
      socket.alive = true
    })
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      socket.alive = true
      const message = parseFrame(data, isBinary)
      if (McpxError.is(message)) write(id, ws, JSON.stringify(errorResponse(null, message)))
      else session.receive(message)
    })
    // Protocol errors (an oversized frame) close the socket; 'close' follows and ends the session.
    ws.on('error', () => {})
    ws.once('close', () => {
      if (sockets.get(id) === socket) sockets.delete(id)
      session.close()
    })
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refusal = guard(req.headers)
    if (refusal) refuse(socket, 403, ErrorCode.InvalidRequest, refusal)
    else if (!offersMcp(req)) {
      const message = `Bad Request: the WebSocket subprotocol must be ${WEBSOCKET_SUBPROTOCOL}`
      refuse(socket, 400, ErrorCode.InvalidRequest, message)
    } else if (sockets.size >= maxSessions) {
      const message = 'Service Unavailable: too many sessions'
      refuse(socket, 503, ErrorCode.UpstreamUnavailable, message, 'retry-after: 5\r\n')
    } else wss.handleUpgrade(req, socket, head, (ws) => attach(ws, req))
  }

  const server = options.server
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const alone = server?.listenerCount('upgrade') === 1
    if ((q === -1 ? url : url.slice(0, q)) === path) handleUpgrade(req, socket, head)
    // Another listener may own that path; with none, answer rather than leave the socket hanging.
    else if (alone) refuse(socket, 404, ErrorCode.InvalidRequest, 'Not Found')
  }
  server?.on('upgrade', onUpgrade)

  return {
    handleUpgrade,
    get sessionCount() {
      return sockets.size
    },
    close() {
      if (pinger) clearInterval(pinger)
      server?.off('upgrade', onUpgrade)
      for (const [id, socket] of sockets) {
        sockets.delete(id)
        socket.session.close()
        socket.ws.close(1001, 'server shutting down')
      }
      wss.close()
    },
  }
}
