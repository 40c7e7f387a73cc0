import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import {
  ErrorCode,
  errorResponse,
  type McpProxy,
  McpxError,
  type Message,
  type Principal,
  parseMessage,
} from '@mcpx/core'
import { WebSocket, WebSocketServer } from 'ws'
import { Session } from '../protocol/session.js'
import { WEBSOCKET_SUBPROTOCOL } from '../protocol/websocket.js'
import { verdictOf } from './authenticate.js'
import { checkPath, type FrontEnd, type FrontEndOptions, frontEnd, pathOf } from './front-end.js'
import { type NodeHandler, nodeHandler, notOurs, refuseUpgrade, sendJson } from './node-io.js'
import { SessionTable, type TableEntry } from './session-table.js'

/** Options for {@link createWebSocketHandler}. */
export interface WebSocketHandlerOptions extends FrontEndOptions {
  /** The endpoint path: upgrades to other paths get 404. @defaultValue `'/mcp'` */
  path?: string
}

/** One WebSocket session: the socket is the session. */
class Socket implements TableEntry {
  readonly ws: WebSocket
  readonly session: Session
  readonly identity = ''
  lastActive = Date.now()
  alive = true

  constructor(ws: WebSocket, session: Session) {
    this.ws = ws
    this.session = session
  }

  idle(): boolean {
    return false // it lives as long as its socket
  }

  /** A ping; a socket that has not answered the previous one by now is dropped. */
  ping(): void {
    if (!this.alive) {
      this.ws.terminate()
      return
    }
    this.alive = false
    this.ws.ping()
  }

  close(): void {
    this.session.close()
    this.ws.close(1001, 'server shutting down')
  }
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
 * HTTP front ends and the `authenticate` hook run on the upgrade request
 * (403, 401, … before the upgrade); a principal with `expiresAt` has its
 * socket closed (1008) then. A frame that is not JSON, or not
 * JSON-RPC, is answered with -32700 or -32600 (id null); the socket stays
 * open. Closing the socket ends the session and cancels its requests; a
 * session ended from below (a pool whose connection for it died) closes its
 * socket with 1001 `Session ended`, and `close()` closes every socket with
 * 1001 `server shutting down`. Plain HTTP requests get 426. Needs the `ws`
 * package.
 *
 * @example
 * ```ts
 * const ws = createWebSocketHandler(createProxy({ terminal: forward(files) }), { path: '/mcp' })
 * http.createServer(app).on('upgrade', ws.upgrade).listen(3000, '127.0.0.1')
 * ```
 */
export function createWebSocketHandler(
  proxy: McpProxy,
  options: WebSocketHandlerOptions = {},
): NodeHandler {
  const front = new WebSocketFrontEnd(proxy, options)
  const upgradeRequired = new McpxError(
    ErrorCode.InvalidRequest,
    'Upgrade Required: this endpoint speaks MCP over WebSocket',
  )
  return nodeHandler(
    (req, res, next) => {
      if (next && pathOf(req.url ?? '/') !== front.path) return next()
      sendJson(res, 426, errorResponse(null, upgradeRequired), { upgrade: 'websocket' })
    },
    {
      upgrade: (req, socket, head, next) => void front.upgrade(req, socket, head, next),
      sessionCount: () => front.table.size,
      close: () => front.close(),
    },
  )
}

class WebSocketFrontEnd {
  readonly path: string
  readonly table: SessionTable<Socket>
  readonly #proxy: McpProxy
  readonly #fe: FrontEnd
  readonly #wss: WebSocketServer

  constructor(proxy: McpProxy, options: WebSocketHandlerOptions) {
    this.#proxy = proxy
    this.path = checkPath('path', options.path ?? '/mcp')
    this.#fe = frontEnd(options)
    this.table = new SessionTable<Socket>({
      maxSessions: this.#fe.maxSessions,
      idleTimeout: 0,
      keepAliveInterval: this.#fe.keepAliveInterval,
    })
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#fe.maxMessageBytes,
      clientTracking: false,
      perMessageDeflate: false,
      handleProtocols: (offered) =>
        offered.has(WEBSOCKET_SUBPROTOCOL) ? WEBSOCKET_SUBPROTOCOL : false,
    })
  }

  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, next?: () => void) {
    if (pathOf(req.url ?? '/') !== this.path) return notOurs(req, socket, next)
    const refusal = this.#fe.refuse(req.headers)
    if (refusal) return refuseUpgrade(socket, 403, ErrorCode.InvalidRequest, refusal)
    if (!offersMcp(req)) {
      const message = `Bad Request: the WebSocket subprotocol must be ${WEBSOCKET_SUBPROTOCOL}`
      return refuseUpgrade(socket, 400, ErrorCode.InvalidRequest, message)
    }
    const verdict = await verdictOf(this.#fe, {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      sessionId: undefined,
      remoteAddress: req.socket.remoteAddress,
    })
    if (verdict.refused) {
      const { status, headers, error } = verdict.refused
      return refuseUpgrade(socket, status, error.code, error.message, headers)
    }
    const id = this.table.mint()
    if (McpxError.is(id)) return refuseUpgrade(socket, 503, id.code, id.message, id.headers)
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#attach(ws, req, id, verdict.principal))
  }

  close(): void {
    this.table.close()
    this.#wss.close()
  }

  #write(id: string, ws: WebSocket, text: string): void {
    if (ws.readyState !== WebSocket.OPEN) return
    if (ws.bufferedAmount > this.#fe.maxBufferedBytes) {
      const reason = `session ${id.slice(0, 6)}…: the client stopped reading its WebSocket; closing it`
      this.#fe.onError(new Error(reason), { method: undefined })
      ws.terminate()
      return
    }
    ws.send(text)
  }

  #attach(ws: WebSocket, req: IncomingMessage, id: string, principal: Principal | undefined) {
    const session = new Session({
      proxy: this.#proxy,
      info: {
        id,
        transport: 'websocket',
        remoteAddress: req.socket.remoteAddress,
        headers: req.headers,
      },
      send: (message) => this.#write(id, ws, JSON.stringify(message)),
      onError: (error) => this.#fe.onError(error, { method: undefined }),
    })
    const socket = new Socket(ws, session)
    this.table.add(id, socket)
    // The socket is authenticated once, at the upgrade: every message on it is that principal's.
    const meta = principal ? { principal } : undefined
    ws.on('pong', () => {
      socket.alive = true
    })
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      socket.alive = true
      const message = parseFrame(data, isBinary)
      if (McpxError.is(message)) this.#write(id, ws, JSON.stringify(errorResponse(null, message)))
      else session.receive(message, meta)
    })
    // Protocol errors (an oversized frame) close the socket; 'close' follows and ends the session.
    ws.on('error', () => {})
    const expiry = expiryTimer(ws, principal)
    // A session ended from below (a pool whose connection for it died) closes its socket, with
    // 1001 as on shutdown: the session is gone and the client must reconnect and initialize
    // anew. After the socket closed or close() the table has already let go of it.
    session.onClose(() => {
      if (this.table.get(id) !== socket) return
      this.table.forget(id, socket)
      ws.close(1001, 'Session ended')
    })
    ws.once('close', () => {
      if (expiry) clearTimeout(expiry)
      this.table.forget(id, socket)
      session.close()
    })
  }
}

/** Longest delay `setTimeout` keeps (about 24.8 days); a later expiry is not timed. */
const MAX_DELAY = 2 ** 31 - 1

/**
 * The socket is authenticated once, at the upgrade, so it must not outlive
 * the credential: at the principal's `expiresAt` it is closed with 1008
 * (policy violation), and the client reconnects with a fresh token.
 */
function expiryTimer(ws: WebSocket, principal: Principal | undefined) {
  const at = principal?.expiresAt
  if (typeof at !== 'number' || !Number.isFinite(at)) return undefined
  const delay = Math.max(0, at - Date.now())
  if (delay > MAX_DELAY) return undefined
  const timer = setTimeout(() => ws.close(1008, 'Credentials expired'), delay)
  timer.unref()
  return timer
}
