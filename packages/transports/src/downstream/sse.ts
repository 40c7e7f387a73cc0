import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCode, errorResponse, type McpProxy, McpxError, type Principal } from '@mcpx/core'
import { Session } from '../protocol/session.js'
import { verdictOf } from './authenticate.js'
import { messageOf, SSE_HEADERS, TOO_LARGE } from './exchange.js'
import { checkPath, type FrontEndOptions, frontEnd, pathOf } from './front-end.js'
import { fail, type NodeHandler, nodeHandler, readBody, sendJson, writeBounded } from './node-io.js'
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
 * one client message and gets 202. The session ends when its stream closes.
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
  const ssePath = checkPath('ssePath', options.ssePath ?? '/sse')
  const messagesPath = checkPath('messagesPath', options.messagesPath ?? '/messages')
  const fe = frontEnd(options)
  const table = new SessionTable<Stream>({
    maxSessions: fe.maxSessions,
    idleTimeout: 0,
    keepAliveInterval: fe.keepAliveInterval,
  })

  function write(id: string, res: ServerResponse, text: string): void {
    writeBounded(res, text, fe.maxBufferedBytes, () =>
      fe.onError(
        new Error(
          `session ${id.slice(0, 6)}…: the client stopped reading its SSE stream; closing it`,
        ),
        { method: undefined },
      ),
    )
  }

  function open(req: IncomingMessage, res: ServerResponse, principal: Principal | undefined): void {
    const id = table.mint()
    if (McpxError.is(id)) {
      sendJson(res, 503, errorResponse(null, id), id.headers)
      return
    }
    const send = (text: string) => write(id, res, text)
    const session = new Session({
      proxy,
      info: { id, transport: 'sse', remoteAddress: req.socket.remoteAddress },
      send: (message) => send(`event: message\ndata: ${JSON.stringify(message)}\n\n`),
      onError: (error) => fe.onError(error, { method: undefined }),
    })
    const stream = new Stream(res, session, fe.identityOf(principal), send)
    // The session id is the only thing that ties a POST to its stream: 144 random bits.
    table.add(id, stream)
    res.on('close', () => {
      table.forget(id, stream)
      session.close()
    })
    res.writeHead(200, SSE_HEADERS)
    res.write(`event: endpoint\ndata: ${messagesPath}?sessionId=${id}\n\n`)
  }

  async function post(
    req: IncomingMessage,
    res: ServerResponse,
    id: string | undefined,
    principal: Principal | undefined,
  ) {
    if (!id) {
      const message = 'Bad Request: the sessionId query parameter is required'
      return fail(res, 400, ErrorCode.InvalidRequest, message)
    }
    const stream = table.get(id)
    if (!stream) return fail(res, 404, ErrorCode.InvalidRequest, 'Session not found')
    if (stream.identity !== fe.identityOf(principal)) {
      return fail(
        res,
        403,
        ErrorCode.Forbidden,
        'Forbidden: this session belongs to another identity',
      )
    }
    if (!req.headers['content-type']?.includes('application/json')) {
      const message = 'Unsupported Media Type: Content-Type must be application/json'
      return fail(res, 415, ErrorCode.InvalidRequest, message)
    }
    const body = await readBody(req, fe.maxMessageBytes).catch((error: unknown) => error)
    if (body === TOO_LARGE) {
      const message = `Payload Too Large: the limit is ${fe.maxMessageBytes} bytes`
      req.resume()
      return fail(res, 413, ErrorCode.InvalidRequest, message, { connection: 'close' })
    }
    if (
      typeof body !== 'string' &&
      !(typeof body === 'object' && body !== null && 'parsed' in body)
    ) {
      fe.onError(body, { method: undefined })
      return fail(res, 500, ErrorCode.InternalError, 'Internal error')
    }
    const message = messageOf(body)
    if (McpxError.is(message)) return sendJson(res, 400, errorResponse(null, message))
    // The stream may have closed while the body arrived.
    if (stream.session.closed) return fail(res, 404, ErrorCode.InvalidRequest, 'Session not found')
    stream.session.receive(message, { headers: req.headers, principal })
    sendJson(res, 202, undefined)
  }

  async function serve(req: IncomingMessage, res: ServerResponse, next?: () => void) {
    const path = pathOf(req.url ?? '/')
    if (path !== ssePath && path !== messagesPath) {
      if (next) next()
      else fail(res, 404, ErrorCode.InvalidRequest, 'Not Found')
      return
    }
    const refusal = fe.refuse(req.headers)
    if (refusal) return fail(res, 403, ErrorCode.InvalidRequest, refusal)
    const isOpen = req.method === 'GET' && path === ssePath
    const isPost = req.method === 'POST' && path === messagesPath
    if (!isOpen && !isPost) {
      const allow = ssePath === messagesPath ? 'GET, POST' : path === ssePath ? 'GET' : 'POST'
      return fail(res, 405, ErrorCode.InvalidRequest, 'Method Not Allowed', { allow })
    }
    const url = req.url ?? '/'
    const sessionId = isPost
      ? (new URLSearchParams(url.slice(path.length + 1)).get('sessionId') ?? undefined)
      : undefined
    const verdict = await verdictOf(fe, {
      method: req.method!,
      url,
      headers: req.headers,
      sessionId,
      remoteAddress: req.socket.remoteAddress,
    })
    if (verdict.refused) {
      req.resume()
      const { status, headers, error } = verdict.refused
      return sendJson(res, status, errorResponse(null, error), headers)
    }
    if (isOpen) open(req, res, verdict.principal)
    else await post(req, res, sessionId, verdict.principal)
  }

  return nodeHandler((req, res, next) => void serve(req, res, next), {
    sessionCount: () => table.size,
    close: () => table.close(),
  })
}
