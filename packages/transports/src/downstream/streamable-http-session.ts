import type { ServerResponse } from 'node:http'
import { ErrorCode, type Message, type RequestId, type Response } from '@mcpx/core'
import { Session, type SessionOptions } from '../protocol/session.js'
import { JSON_HEADERS, SSE_HEADERS, writeBounded } from './http.js'

/** Most unrelated server messages kept for a session while it has no GET stream open. */
const MAX_QUEUED = 256

function sseEvent(message: Message): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`
}

/**
 * HTTP status for a JSON-RPC error answer sent as JSON (DESIGN.md, "Errors a
 * client sees"); anything not listed is a normal 200 carrying the error.
 */
export function statusFor(response: Response): number {
  if (!('error' in response)) return 200
  switch (response.error.code) {
    case ErrorCode.RateLimited:
      return 429
    case ErrorCode.Unauthorized:
      return 401
    case ErrorCode.Forbidden:
      return 403
    case ErrorCode.UpstreamUnavailable:
      return 503
    default:
      return 200
  }
}

function retryAfter(response: Response): string | undefined {
  if (!('error' in response) || response.error.code !== ErrorCode.RateLimited) return undefined
  const seconds = (response.error.data as { retryAfter?: unknown } | undefined)?.retryAfter
  return typeof seconds === 'number' && seconds >= 0 ? String(Math.ceil(seconds)) : undefined
}

/**
 * The response to one POSTed request. It answers with plain JSON unless
 * something related to the request (progress, a log message, a sampling
 * request) must reach the client first; then it becomes an SSE stream
 * (Streamable HTTP §Sending Messages to the Server: JSON or SSE).
 */
export class PostStream {
  readonly res: ServerResponse
  readonly #owner: StreamableHttpSession
  #sse = false
  #done = false
  /** Sees the answer before it is written (the initialize POST uses it to drop a refused session). */
  beforeFinish: ((response: Response) => void) | undefined

  constructor(res: ServerResponse, owner: StreamableHttpSession) {
    this.res = res
    this.#owner = owner
  }

  /**
   * End the response without an answer: the request was cancelled, and
   * MCP cancellation §Behavior says a cancelled request gets no response.
   */
  abandon(): void {
    if (this.#done) return
    this.#done = true
    if (!this.#sse) this.res.writeHead(200, SSE_HEADERS)
    this.res.end()
  }

  get done(): boolean {
    return this.#done
  }

  event(message: Message): void {
    if (this.#done) return
    if (!this.#sse) {
      this.#sse = true
      this.res.writeHead(200, SSE_HEADERS)
    }
    this.#owner.write(this.res, sseEvent(message))
  }

  finish(response: Response): void {
    if (this.#done) return
    this.#done = true
    this.beforeFinish?.(response)
    if (this.#sse) {
      this.res.end(sseEvent(response))
      return
    }
    const after = retryAfter(response)
    this.res.writeHead(
      statusFor(response),
      after ? { ...JSON_HEADERS, 'retry-after': after } : JSON_HEADERS,
    )
    this.res.end(JSON.stringify(response))
  }
}

/** Bounds on what a session's streams may hold. */
export interface StreamLimits {
  /** Unsent bytes a stream may hold before it is closed. */
  maxBuffered: number
  /** Told whenever something is dropped or a stream closed for not reading. */
  onDrop(reason: string): void
}

/**
 * A Streamable HTTP session: the protocol session plus the HTTP streams
 * that carry its messages to the client.
 */
export class StreamableHttpSession {
  readonly session: Session
  /** Open POST responses, by the client's request id. */
  readonly streams = new Map<RequestId, PostStream>()
  /** The standalone GET stream, when the client has one open. */
  standalone: ServerResponse | undefined
  lastActive = Date.now()
  #queue: Message[] = []
  readonly #limits: StreamLimits

  constructor(options: Omit<SessionOptions, 'send'>, limits: StreamLimits) {
    this.#limits = limits
    this.session = new Session({
      ...options,
      send: (message, related) => this.#send(message, related),
    })
  }

  /** Write to one of this session's streams, closing it if the client stopped reading. */
  write(res: ServerResponse, text: string): void {
    writeBounded(res, text, this.#limits.maxBuffered, () =>
      this.#limits.onDrop('the client stopped reading a stream; closed it'),
    )
  }

  /** A keep-alive comment on the GET stream, so that idle intermediaries do not cut it. */
  ping(): void {
    if (this.standalone) this.write(this.standalone, ': keep-alive\n\n')
  }

  /** Attach the standalone GET stream and flush what waited for it. */
  attach(res: ServerResponse): void {
    this.standalone = res
    res.writeHead(200, SSE_HEADERS)
    res.write(': stream open\n\n')
    const queued = this.#queue
    this.#queue = []
    for (const message of queued) this.write(res, sseEvent(message))
    res.on('close', () => {
      if (this.standalone === res) this.standalone = undefined
    })
  }

  /** End the POST of a request the client cancelled, without an answer. */
  abandon(id: RequestId): void {
    const stream = this.streams.get(id)
    if (!stream) return
    this.streams.delete(id)
    stream.abandon()
  }

  /** End every stream: open requests get -32000 "Session closed". */
  close(): void {
    this.session.close()
    for (const [id, stream] of this.streams) {
      stream.finish({
        jsonrpc: '2.0',
        id,
        error: { code: ErrorCode.ConnectionClosed, message: 'Session closed' },
      })
    }
    this.streams.clear()
    this.standalone?.end()
    this.standalone = undefined
    this.#queue = []
  }

  #send(message: Message, related: RequestId | undefined): void {
    const stream = related === undefined ? undefined : this.streams.get(related)
    if (stream) {
      if (!('method' in message) && message.id === related) {
        this.streams.delete(related)
        stream.finish(message)
      } else stream.event(message)
      return
    }
    // Streamable HTTP §Listening: a response never goes on the GET stream; its POST is gone.
    if (!('method' in message)) return
    if (this.standalone) {
      this.write(this.standalone, sseEvent(message))
      return
    }
    // Streamable HTTP §Listening for Messages: without a GET stream, unrelated
    // messages wait (bounded) for the client to open one.
    if (this.#queue.length >= MAX_QUEUED) {
      const dropped = this.#queue.shift()!
      this.#limits.onDrop(
        `dropped ${'method' in dropped ? dropped.method : 'a message'}: no GET stream to carry it`,
      )
    }
    this.#queue.push(message)
  }
}
