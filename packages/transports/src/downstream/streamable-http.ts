import {
  ErrorCode,
  errorResponse,
  type McpProxy,
  McpxError,
  type Message,
  type Principal,
  type Request,
} from '@mcpx/core'
import { SUPPORTED_PROTOCOL_VERSIONS } from '../version.js'
import { verdictOf } from './authenticate.js'
import { type EventStore, memoryEventStore } from './event-store.js'
import type { HttpExchange } from './exchange.js'
import {
  atLeastZero,
  type FrontEnd,
  type FrontEndOptions,
  frontEnd,
  positive,
} from './front-end.js'
import { type HttpAnswer, httpAnswerForThrown } from './http-answer.js'
import { parseEventId } from './post-stream.js'
import { readPostedMessage } from './read-message.js'
import { SessionTable } from './session-table.js'
import { StreamableHttpSession } from './streamable-http-session.js'

/** Options of the Streamable HTTP front end, on `node:http` and on `fetch` alike. */
export interface StreamableHttpFrontEndOptions extends FrontEndOptions {
  /** Milliseconds without a request after which a session ends; 0 never. @defaultValue 30 minutes */
  sessionIdleTimeout?: number
  /**
   * Where SSE events are kept so that a client whose stream dropped can
   * resume it with `Last-Event-ID`; `false` keeps none (a dropped POST stream
   * then cancels its request).
   * @defaultValue `memoryEventStore()` (bounded per session and in total)
   */
  eventStore?: EventStore | false
  /**
   * Milliseconds a request whose SSE stream dropped keeps running while it
   * waits for the client to resume the stream; then it is cancelled.
   * @defaultValue 30000
   */
  resumeTimeout?: number
}

/** What a server tells whoever keeps track of its sessions (the session registry). */
export interface SessionHooks {
  /** A session was created under `id` (its initialize may still fail). */
  opened(id: string): void
  /** The session `id` ended, for whatever reason. */
  closed(id: string): void
}

const ALLOW = { allow: 'GET, POST, DELETE' }

function accepts(ex: HttpExchange, type: string): boolean {
  const accept = ex.headers.accept
  return typeof accept === 'string' && (accept.includes(type) || accept.includes('*/*'))
}

function header(ex: HttpExchange, name: string): string | undefined {
  const value = ex.headers[name]
  return typeof value === 'string' ? value : undefined
}

/**
 * Streamable HTTP (MCP 2025-03-26 to 2025-11-25), written once against
 * {@link HttpExchange}: POST carries client messages, GET opens (or
 * resumes) the stream for server messages, DELETE ends the session. The
 * `node:http` handler and the `fetch` handler are thin adapters around it.
 */
export class StreamableHttpServer {
  readonly #proxy: McpProxy
  readonly #fe: FrontEnd
  readonly #store: EventStore | undefined
  readonly #resumeTimeout: number
  readonly #hooks: SessionHooks | undefined
  readonly sessions: SessionTable<StreamableHttpSession>

  constructor(proxy: McpProxy, options: StreamableHttpFrontEndOptions, hooks?: SessionHooks) {
    this.#proxy = proxy
    this.#hooks = hooks
    this.#fe = frontEnd(options)
    const idle = options.sessionIdleTimeout ?? 30 * 60_000
    atLeastZero('sessionIdleTimeout', idle)
    this.#resumeTimeout = options.resumeTimeout ?? 30_000
    positive('resumeTimeout', this.#resumeTimeout)
    this.#store =
      options.eventStore === false ? undefined : (options.eventStore ?? memoryEventStore())
    this.sessions = new SessionTable({
      maxSessions: this.#fe.maxSessions,
      idleTimeout: idle,
      keepAliveInterval: this.#fe.keepAliveInterval,
    })
  }

  get frontEnd(): FrontEnd {
    return this.#fe
  }

  /**
   * Serve one HTTP request. Never throws or rejects: every failure is an
   * HTTP answer, and one nobody expected (a hook of the user's that threw)
   * goes to `onError` and is answered 500.
   */
  handle(ex: HttpExchange): void {
    let done: void | Promise<void>
    try {
      done = this.#handle(ex)
    } catch (error) {
      this.#crashed(ex, error)
      return
    }
    done?.catch((error: unknown) => this.#crashed(ex, error))
  }

  /** End every session; `reason` is the error message its open requests get. */
  close(reason?: string): void {
    this.sessions.close(reason)
  }

  #crashed(ex: HttpExchange, error: unknown): void {
    this.#fe.onError(error, { method: undefined })
    fail(ex, 500, ErrorCode.InternalError, 'Internal error')
  }

  #handle(ex: HttpExchange): void | Promise<void> {
    const refusal = this.#fe.refuse(ex.headers)
    if (refusal) return fail(ex, 403, ErrorCode.InvalidRequest, refusal)
    const version = header(ex, 'mcp-protocol-version')
    if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      const message = `Bad Request: unsupported MCP-Protocol-Version ${version}`
      return fail(ex, 400, ErrorCode.InvalidRequest, message)
    }
    const { method } = ex
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      return fail(ex, 405, ErrorCode.InvalidRequest, 'Method Not Allowed', ALLOW)
    }
    // Without a hook nothing is awaited: the common case stays synchronous up to the body.
    if (this.#fe.authenticate) return this.#authenticated(ex)
    return this.#route(ex, undefined)
  }

  async #authenticated(ex: HttpExchange): Promise<void> {
    const verdict = await verdictOf(this.#fe, {
      method: ex.method,
      url: ex.url,
      headers: ex.headers,
      sessionId: header(ex, 'mcp-session-id'),
      remoteAddress: ex.remoteAddress,
    })
    if (verdict.refused) return refuse(ex, verdict.refused)
    return this.#route(ex, verdict.principal)
  }

  #route(ex: HttpExchange, principal: Principal | undefined): void | Promise<void> {
    const { method } = ex
    if (method === 'POST') return this.#post(ex, principal)
    if (method === 'GET') return this.#get(ex, principal)
    const http = this.#sessionOf(ex, principal)
    if (http) this.sessions.end(http.session.id!)
    if (http) ex.json(200, undefined)
  }

  #post(ex: HttpExchange, principal: Principal | undefined) {
    if (!accepts(ex, 'application/json') || !accepts(ex, 'text/event-stream')) {
      const message = 'Not Acceptable: Accept must include application/json and text/event-stream'
      return fail(ex, 406, ErrorCode.InvalidRequest, message)
    }
    readPostedMessage(ex, this.#fe, (message) => {
      if ('method' in message && message.method === 'initialize') {
        return this.#initialize(ex, message as Request, principal)
      }
      this.#deliver(ex, message, principal)
    })
  }

  #initialize(ex: HttpExchange, message: Request, principal: Principal | undefined) {
    if (!('id' in message)) {
      return fail(ex, 400, ErrorCode.InvalidRequest, 'Bad Request: initialize must be a request')
    }
    if (ex.headers['mcp-session-id'] !== undefined) {
      const text = 'Bad Request: initialize must not carry an Mcp-Session-Id'
      return fail(ex, 400, ErrorCode.InvalidRequest, text)
    }
    const id = this.sessions.mint()
    if (McpxError.is(id)) return refuse(ex, httpAnswerForThrown(id))
    const fe = this.#fe
    const http = new StreamableHttpSession({
      proxy: this.#proxy,
      info: { id, transport: 'streamable-http', remoteAddress: ex.remoteAddress },
      onError: (error) => fe.onError(error, { method: undefined }),
      identity: fe.identityOf(principal),
      store: this.#store,
      resumeTimeout: this.#resumeTimeout,
      // Session ids are bearer secrets: logs get a prefix only.
      onDrop: (reason) =>
        fe.onError(new Error(`session ${id.slice(0, 6)}…: ${reason}`), { method: undefined }),
    })
    this.sessions.add(id, http)
    const hooks = this.#hooks
    if (hooks) {
      hooks.opened(id)
      http.session.onClose(() => hooks.closed(id))
    }
    // A session ended from below (a pool whose connection for it died) ends over HTTP too: its
    // streams finish and its id is gone, so the next request gets 404 and the client
    // re-initializes (Streamable HTTP §Session Management). After DELETE or expiry the table
    // has already let go of it, and this does nothing.
    http.session.onClose(() => {
      if (this.sessions.get(id) === http) this.sessions.end(id)
    })
    const stream = http.open(ex, message.id)
    stream.headers = { 'mcp-session-id': id }
    // A refused or failed initialize (auth, upstream down) leaves no session behind.
    stream.beforeFinish = (response) => {
      if (!('error' in response)) return
      stream.headers = undefined
      this.sessions.end(id)
    }
    http.session.receive(message, { headers: ex.headers, principal })
  }

  #deliver(ex: HttpExchange, message: Message, principal: Principal | undefined) {
    const http = this.#sessionOf(ex, principal)
    if (!http) return
    if (!('method' in message) || !('id' in message)) {
      // Notifications and responses: Streamable HTTP §Sending: 202 Accepted, no body.
      http.session.receive(message, { headers: ex.headers, principal })
      if ('method' in message && message.method === 'notifications/cancelled') {
        http.abandon(message.params?.requestId as Request['id'])
      }
      return ex.json(202, undefined)
    }
    if (http.streams.has(message.id)) {
      const error = new McpxError(ErrorCode.InvalidRequest, 'Request id is already in use')
      return ex.json(400, errorResponse(message.id, error))
    }
    http.open(ex, message.id)
    http.session.receive(message, { headers: ex.headers, principal })
  }

  #get(ex: HttpExchange, principal: Principal | undefined) {
    if (!accepts(ex, 'text/event-stream')) {
      const message = 'Not Acceptable: Accept must include text/event-stream'
      return fail(ex, 406, ErrorCode.InvalidRequest, message)
    }
    const http = this.#sessionOf(ex, principal)
    if (!http) return
    const last = header(ex, 'last-event-id')
    if (last !== undefined) return this.#resume(ex, http, last)
    if (http.listening) {
      const message = 'Conflict: this session already has a GET stream'
      return fail(ex, 409, ErrorCode.InvalidRequest, message)
    }
    http.listen(ex.sse())
  }

  /** Streamable HTTP §Resumability and Redelivery: GET with `Last-Event-ID` continues a dropped stream. */
  #resume(ex: HttpExchange, http: StreamableHttpSession, last: string) {
    const place = parseEventId(last)
    if (place && http.resume(place.streamId, place.seq, ex)) return
    // Answered before any stream opens, so that a client does not take it for a drop and retry.
    const message =
      'Bad Request: cannot resume from that Last-Event-ID (unknown, or no longer kept)'
    fail(ex, 400, ErrorCode.InvalidRequest, message)
  }

  /** The session the request names: 400, 404 or 403 (another identity) when it may not be used. */
  #sessionOf(
    ex: HttpExchange,
    principal: Principal | undefined,
  ): StreamableHttpSession | undefined {
    const id = header(ex, 'mcp-session-id')
    if (id === undefined || id === '') {
      fail(ex, 400, ErrorCode.InvalidRequest, 'Bad Request: Mcp-Session-Id header is required')
      return undefined
    }
    const http = this.sessions.get(id)
    // Streamable HTTP §Session Management: 404 tells the client to re-initialize.
    if (!http) {
      fail(ex, 404, ErrorCode.InvalidRequest, 'Session not found')
      return undefined
    }
    // MCP Security Best Practices §Session Hijacking: a session is used only by whoever opened it.
    if (http.identity !== this.#fe.identityOf(principal)) {
      fail(ex, 403, ErrorCode.Forbidden, 'Forbidden: this session belongs to another identity')
      return undefined
    }
    http.lastActive = Date.now()
    return http
  }
}

/** Answer a request refused before anything was dispatched, with the error's own HTTP answer. */
function refuse(ex: HttpExchange, refused: HttpAnswer & { error: McpxError }): void {
  ex.json(refused.status, errorResponse(null, refused.error), refused.headers)
}

/** Answer with a JSON-RPC error that has no request id (the request could not be read or was refused). */
export function fail(
  ex: HttpExchange,
  status: number,
  code: number,
  message: string,
  headers?: Record<string, string>,
): void {
  ex.json(status, errorResponse(null, new McpxError(code, message)), headers)
}
