import {
  type AbortSource,
  answerHeadersKey,
  Context,
  ErrorCode,
  type Key,
  type McpProxy,
  McpxError,
  type Message,
  type Notification,
  type Principal,
  principalKey,
  type Request,
  type RequestId,
  type SessionInfo,
  sessionKey as sharedSessionKey,
  sourceKey,
  type Terminal,
} from '@mcpx/core'
import { HeadedError, HeadedResult, type Params, Peer, type Result } from './peer.js'

/** Mutable session facts; middleware sees them read-only as `ctx.session`. */
export interface SessionState {
  id: string | undefined
  transport: string
  protocolVersion?: string
  clientInfo?: SessionInfo['clientInfo']
  clientCapabilities?: SessionInfo['clientCapabilities']
  remoteAddress?: string
  headers?: SessionInfo['headers']
}

/** Milliseconds a client has to answer a server-initiated request (sampling may wait on a human). */
const CLIENT_TIMEOUT = 10 * 60_000

/** Facts about one message that only its transport knows. */
export interface MessageMeta {
  /** The HTTP request's headers (lower-case names). */
  headers?: SessionInfo['headers']
  /** Who sent it, as the front end's `authenticate` hook said: set as `principalKey` on its context. */
  principal?: Principal
}

/** A per-message view of the session with this message's headers; it follows later session changes. */
function withHeaders(info: SessionState, headers: SessionInfo['headers']): SessionInfo {
  const view = Object.create(info) as SessionState
  view.headers = headers
  return view
}

/** Options for {@link Session}. */
export interface SessionOptions {
  proxy: McpProxy
  info: SessionState
  /**
   * Write one message to the client. `related` is the client request it
   * belongs to (its reply, its progress, a server request made while serving
   * it), so that HTTP front ends can put it on that request's stream.
   */
  send(
    message: Message,
    related?: RequestId,
    error?: McpxError,
    headers?: Readonly<Record<string, string>>,
  ): void
  /** Non-`McpxError`s thrown while answering, before -32603 goes to the client. */
  onError?(error: unknown): void
  /**
   * Whether the client holds a connection to the session open now. Front
   * ends whose session is its connection (stdio, SSE, WebSocket) leave it
   * out: always. Streamable HTTP: a GET or POST stream is open.
   */
  connected?(): boolean
}

/**
 * The downstream session a context belongs to, read by `forward`: core's
 * `sessionKey` (middleware sees the `ClientSession` interface), typed as the
 * {@link Session} that transports put there.
 */
export const sessionKey: Key<Session> = sharedSessionKey as Key<Session>

/**
 * One downstream client session, whatever the front end. It runs each
 * client message through the proxy (direction `toServer`) and each
 * server-initiated message bound for this client through the same proxy
 * (direction `toClient`). Front ends create one per client and feed it
 * messages; everything protocol-level (ids, cancellation, progress) is here,
 * so every front end behaves the same.
 */
export class Session {
  readonly info: SessionState
  readonly #proxy: McpProxy
  readonly #peer: Peer
  readonly #closeListeners = new Set<() => void>()
  readonly #connected: (() => boolean) | undefined
  #closed = false

  constructor(options: SessionOptions) {
    this.info = options.info
    this.#proxy = options.proxy
    this.#connected = options.connected
    this.#peer = new Peer('client', options.send, {
      request: (message, cancel, _related, meta) =>
        this.#fromClient(message, cancel, meta as MessageMeta),
      notification: (message, _related, meta) =>
        void this.#fromClient(message, undefined, meta as MessageMeta),
      onError: options.onError,
    })
  }

  get id(): string | undefined {
    return this.info.id
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Whether the client holds a connection to this session open (a Streamable
   * HTTP client between requests, with no GET stream, holds none): a pool
   * ends a silent lease only when it is not.
   */
  get connected(): boolean {
    return !this.#closed && (this.#connected?.() ?? true)
  }

  /**
   * Feed one message from the client (request, notification or a response
   * to a server request). `meta.headers` are this HTTP request's headers:
   * the message's `ctx.session.headers`.
   */
  receive(message: Message, meta?: MessageMeta): void {
    this.#peer.receive(message, undefined, meta)
  }

  /**
   * Deliver a server-initiated request or notification to this client,
   * through the proxy stack (direction `toClient`). `related` is the client
   * request it was made while serving, when known; `source` the upstream it
   * came from (core's `sourceKey` on its context).
   */
  async toClient(
    message: Request | Notification,
    related?: RequestId,
    signal?: AbortSignal | AbortSource,
    source?: string,
  ): Promise<Result | undefined> {
    const ctx = Context.from(message, { direction: 'toClient', session: this.info, signal })
    ctx.set(sessionKey, this)
    if (source !== undefined) ctx.set(sourceKey, source)
    await this.#proxy.dispatch(ctx, this.#deliver(related))
    if (ctx.error) throw ctx.error
    return ctx.result
  }

  /** Send a notification to the client without the stack (progress of a forwarded request). */
  notify(method: string, params: Params, related?: RequestId): void {
    this.#peer.notify(method, params, related)
  }

  /** Called once when the session ends (client gone, DELETE, expiry, shutdown). */
  onClose(listener: () => void): () => void {
    if (this.#closed) {
      listener()
      return () => {}
    }
    this.#closeListeners.add(listener)
    return () => this.#closeListeners.delete(listener)
  }

  /** End the session: in-flight requests are aborted (their upstreams get `notifications/cancelled`). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#peer.close(new McpxError(ErrorCode.ConnectionClosed, 'Session closed'))
    for (const listener of this.#closeListeners) listener()
    this.#closeListeners.clear()
  }

  #deliver(related: RequestId | undefined): Terminal {
    return async (ctx) => {
      if (ctx.kind === 'notification') {
        this.#peer.notify(ctx.method, ctx.params, related)
        return
      }
      // A client that never answers must not hold the upstream's request (and this entry) forever.
      ctx.result = await this.#peer.request(ctx.method, ctx.params, {
        signal: ctx,
        via: related,
        timeout: CLIENT_TIMEOUT,
      })
    }
  }

  async #fromClient(
    message: Request | Notification,
    signal: AbortSource | undefined,
    meta: MessageMeta | undefined,
  ): Promise<Result | HeadedResult> {
    const session = meta?.headers ? withHeaders(this.info, meta.headers) : this.info
    const ctx = Context.from(message, { session, signal })
    ctx.set(sessionKey, this)
    if (meta?.principal) ctx.set(principalKey, meta.principal)
    await this.#proxy.dispatch(ctx)
    // Headers a middleware wants on the answer (core's answerHeadersKey): for an HTTP front end.
    const headers = ctx.get(answerHeadersKey)
    if (ctx.error) throw headers === undefined ? ctx.error : new HeadedError(ctx.error, headers)
    return headers === undefined
      ? (ctx.result as Result)
      : new HeadedResult(ctx.result as Result, headers)
  }
}
