import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCode, errorResponse, type McpProxy, McpxError, type Principal } from '@mcpx/core'
import { Session } from '../protocol/session.js'
import { verdictOf } from './authenticate.js'
import { SSE_HEADERS } from './exchange.js'
import { checkPath, type FrontEnd, type FrontEndOptions, frontEnd, pathOf } from './front-end.js'
import {
  fail,
  NodeExchange,
  type NodeHandler,
  nodeHandler,
  sendJson,
  writeBounded,
} from './node-io.js'
import { readPostedMessage } from './read-message.js'
import { SessionTable, type TableEntry } from './session-table.js'

/** Options for {@link createSseHandler}. */
export interface SseHandlerOptions extends FrontEndOptions {
  /** Path of the GET that opens a session's event stream. @defaultValue `'/sse'` */
  ssePath?: string
  /** Path clients POST their messages to, announced in the `endpoint` event. @defaultValue `'/messages'` */
  messagesPath?: string
}

/** One legacy SSE session: its event stream is the session. */
class Stream implements TableEntry {
  readonly res: ServerResponse
  readonly session: Session
  readonly identity: string
  readonly write: (text: string) => void
  lastActive = Date.now()

  constructor(
    res: ServerResponse,
    session: Session,
    identity: string,
    write: (text: string) => void,
  ) {
    this.res = res
    this.session = session
    this.identity = identity
    this.write = write
  }

  idle(): boolean {
    return false // it lives as long as its stream
  }

  ping(): void {
    this.write(': keep-alive\n\n')
  }

  close(): void {
    this.session.close()
    this.res.end()
  }
}

/**
 * Serve a proxy over the HTTP+SSE transport of protocol 2024-11-05, for
 * clients that predate Streamable HTTP. A GET on `ssePath` opens a session:
 * its stream first names the session's POST URL in an `endpoint` event,
 * then carries every message for the client. Each POST to that URL carries
 * one client message and gets 202. The session ends when its stream closes;
 * a session ended from below (a pool whose connection for it died) ends its
 * stream, and a POST for it then gets 404 as for an unknown session.
 * The `authenticate` hook runs on the GET and on every POST; a POST from
 * another identity than the GET's gets 403.
 *
 * @example
 * ```ts
 * const legacy = createSseHandler(createProxy({ terminal: forward(files) }))
 * http.createServer(legacy).listen(3001, '127.0.0.1')
 * ```
 */
export function createSseHandler(proxy: McpProxy, options: SseHandlerOptions = {}): NodeHandler {
  const front = new SseFrontEnd(proxy, options)
  return nodeHandler((req, res, next) => void front.serve(req, res, next), {
    sessionCount: () => front.table.size,
    close: () => front.table.close(),
  })
}

class SseFrontEnd {
  readonly table: SessionTable<Stream>
  readonly #proxy: McpProxy
  readonly #fe: FrontEnd
  readonly #ssePath: string
  readonly #messagesPath: string

  constructor(proxy: McpProxy, options: SseHandlerOptions) {
    this.#proxy = proxy
    this.#ssePath = checkPath('ssePath', options.ssePath ?? '/sse')
    this.#messagesPath = checkPath('messagesPath', options.messagesPath ?? '/messages')
    this.#fe = frontEnd(options)
    this.table = new SessionTable<Stream>({
      maxSessions: this.#fe.maxSessions,
      idleTimeout: 0,
      keepAliveInterval: this.#fe.keepAliveInterval,
    })
  }

  async serve(req: IncomingMessage, res: ServerResponse, next?: () => void): Promise<void> {
    const url = req.url ?? '/'
    const path = pathOf(url)
    const ssePath = this.#ssePath
    if (path !== ssePath && path !== this.#messagesPath) {
      if (next) next()
      else fail(res, 404, ErrorCode.InvalidRequest, 'Not Found')
      return
    }
    const refusal = this.#fe.refuse(req.headers)
    if (refusal) return fail(res, 403, ErrorCode.InvalidRequest, refusal)
    const isOpen = req.method === 'GET' && path === ssePath
    const isPost = req.method === 'POST' && path === this.#messagesPath
    if (!isOpen && !isPost) {
      const allow = ssePath === this.#messagesPath ? 'GET, POST' : path === ssePath ? 'GET' : 'POST'
      return fail(res, 405, ErrorCode.InvalidRequest, 'Method Not Allowed', { allow })
    }
    const sessionId = isPost
      ? (new URLSearchParams(url.slice(path.length + 1)).get('sessionId') ?? undefined)
      : undefined
    const verdict = await verdictOf(this.#fe, {
      method: req.method!,
      url,
      headers: req.headers,
      sessionId,
      remoteAddress: req.socket.remoteAddress,
    })
    if (verdict.refused) {
      const { status, headers, error } = verdict.refused
      req.resume()
      return sendJson(res, status, errorResponse(null, error), headers)
    }
    if (isOpen) this.#open(req, res, verdict.principal)
    else this.#post(req, res, sessionId, verdict.principal)
  }

  #open(req: IncomingMessage, res: ServerResponse, principal: Principal | undefined) {
    const id = this.table.mint()
    if (McpxError.is(id)) return sendJson(res, 503, errorResponse(null, id), id.headers)
    const fe = this.#fe
    const overflow = () => {
      const reason = `session ${id.slice(0, 6)}…: the client stopped reading its SSE stream; closing it`
      fe.onError(new Error(reason), { method: undefined })
    }
    const send = (text: string) => writeBounded(res, text, fe.maxBufferedBytes, overflow)
    const session = new Session({
      proxy: this.#proxy,
      info: { id, transport: 'sse', remoteAddress: req.socket.remoteAddress },
      send: (message) => send(`event: message\ndata: ${JSON.stringify(message)}\n\n`),
      onError: (error) => fe.onError(error, { method: undefined }),
    })
    const stream = new Stream(res, session, fe.identityOf(principal), send)
    // The session id is the only thing that ties a POST to its stream: 144 random bits.
    this.table.add(id, stream)
    // A session ended from below (a pool whose connection for it died) ends its stream: the
    // client's next POST gets 404 as for an unknown id, and it opens a new session. After the
    // stream closed or close() the table has already let go of it, and this does nothing.
    session.onClose(() => {
      if (this.table.get(id) === stream) this.table.end(id)
    })
    res.on('close', () => {
      this.table.forget(id, stream)
      session.close()
    })
    res.writeHead(200, SSE_HEADERS)
    res.write(`event: endpoint\ndata: ${this.#messagesPath}?sessionId=${id}\n\n`)
  }

  #post(
    req: IncomingMessage,
    res: ServerResponse,
    id: string | undefined,
    principal: Principal | undefined,
  ) {
    if (!id) {
      const message = 'Bad Request: the sessionId query parameter is required'
      return fail(res, 400, ErrorCode.InvalidRequest, message)
    }
    const stream = this.table.get(id)
    if (!stream) return fail(res, 404, ErrorCode.InvalidRequest, 'Session not found')
    if (stream.identity !== this.#fe.identityOf(principal)) {
      const message = 'Forbidden: this session belongs to another identity'
      return fail(res, 403, ErrorCode.Forbidden, message)
    }
    readPostedMessage(new NodeExchange(req, res, this.#fe), this.#fe, (message) => {
      // The stream may have closed while the body arrived.
      if (stream.session.closed)
        return fail(res, 404, ErrorCode.InvalidRequest, 'Session not found')
      stream.session.receive(message, { headers: req.headers, principal })
      sendJson(res, 202, undefined)
    })
  }
}
