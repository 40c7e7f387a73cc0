import {
  type AbortHandle,
  type AbortSource,
  abortSource,
  ErrorCode,
  fromSignal,
  isAbortSignal,
  McpxError,
  type Message,
  type Notification,
  type Request,
  type RequestId,
  toMcpxError,
} from '@mcpx/core'
import { type Clock, deadlineOf, Sweeper } from './deadline.js'
import { IdTable, SlotTable } from './id-table.js'
import { progressTokenOf, withProgressToken } from './progress.js'

/** A JSON-RPC result object. */
export type Result = Record<string, unknown>
/** JSON-RPC params. */
export type Params = Record<string, unknown> | undefined

/**
 * A result with headers for the answer that carries it (lower-case names;
 * core's `answerHeadersKey`): a request handler resolves with one to have
 * an HTTP front end put them on a JSON answer.
 */
export class HeadedResult {
  readonly result: Result
  readonly headers: Readonly<Record<string, string>>

  constructor(result: Result, headers: Readonly<Record<string, string>>) {
    this.result = result
    this.headers = headers
  }
}

/** An error with headers for the answer that carries it: what a request handler rejects with for {@link HeadedResult}'s error case. */
export class HeadedError {
  readonly error: unknown
  readonly headers: Readonly<Record<string, string>>

  constructor(error: unknown, headers: Readonly<Record<string, string>>) {
    this.error = error
    this.headers = headers
  }
}

/** What a {@link Peer} does with the requests and notifications it receives. */
export interface PeerHandlers {
  /** Answer an incoming request; throw an `McpxError` to answer with an error. */
  request(
    message: Request,
    cancel: AbortSource,
    related: unknown,
    meta: unknown,
  ): Promise<Result | HeadedResult>
  /** Take an incoming notification (`notifications/cancelled` and routed progress never get here). */
  notification(message: Notification, related: unknown, meta: unknown): void
  /** Errors that are not `McpxError`s thrown by `request`, before -32603 goes out. */
  onError?(error: unknown): void
}

/** Options for one outgoing request. */
export interface PeerRequestOptions {
  /** Aborting sends `notifications/cancelled` to the other side and rejects (a `Context` is an `AbortSource`). */
  signal?: AbortSignal | AbortSource
  /** Milliseconds before the request is cancelled and rejected with -32001; 0 for none. Progress restarts it. */
  timeout?: number
  /**
   * Milliseconds from sending after which the request is cancelled and
   * rejected with -32001 however much progress arrives (the SDK's
   * `maxTotalTimeout`); 0 for none.
   */
  maxTotalTimeout?: number
  /** Called for each `notifications/progress` of this request (its token is the peer's own). */
  onProgress?(params: Record<string, unknown>): void
  /** Opaque data about who sent this request, handed back for messages related to it. */
  related?: unknown
  /** The incoming request this one is made while serving (front ends use it to pick a stream). */
  via?: RequestId
  /** Headers for the HTTP request that carries it, where there is one (lower-case names). */
  headers?: Readonly<Record<string, string>>
}

interface Pending {
  /** This side's id for the request. */
  readonly id: number
  resolve(result: Result): void
  reject(error: McpxError): void
  options: PeerRequestOptions
  clock: Clock
  /** `Date.now()` after which the request times out; 0 for never. */
  deadline: number
  off: (() => void) | undefined
}

const CANCELLED = 'notifications/cancelled'
const PROGRESS = 'notifications/progress'

/**
 * One side of a JSON-RPC connection: it numbers outgoing requests with its
 * own ids (so ids from different clients never collide on a shared
 * connection), matches responses, rewrites progress tokens to its ids, turns
 * an abort into `notifications/cancelled`, and answers incoming requests
 * through its handlers. It knows nothing of the wire: `send` writes, and the
 * owner feeds what arrives to `receive`.
 */
export class Peer {
  readonly name: string
  readonly #pending = new SlotTable<Pending>()
  readonly #incoming = new IdTable<AbortHandle>()
  readonly #sweeper = new Sweeper(() => this.#sweep())
  readonly #send: (
    message: Message,
    related?: RequestId,
    error?: McpxError,
    headers?: Readonly<Record<string, string>>,
  ) => void
  readonly #handlers: PeerHandlers
  #closed: McpxError | undefined

  /**
   * @param name names the other side in errors ("upstream files closed").
   * @param send writes one message; `related` is the incoming request a reply belongs to.
   */
  constructor(
    name: string,
    send: (
      message: Message,
      related?: RequestId,
      error?: McpxError,
      headers?: Readonly<Record<string, string>>,
    ) => void,
    handlers: PeerHandlers,
  ) {
    this.name = name
    this.#send = send
    this.#handlers = handlers
  }

  /** Requests sent and not yet answered. */
  get pendingCount(): number {
    return this.#pending.size
  }

  /** Requests received and not yet answered. */
  get incomingCount(): number {
    return this.#incoming.size
  }

  /** The `related` data of a pending outgoing request, by the peer's id. */
  relatedTo(id: RequestId | undefined): unknown {
    return typeof id === 'number' ? this.#pending.get(id)?.options.related : undefined
  }

  /** The `related` data of the one pending request, when exactly one is pending. */
  soleRelated(): unknown {
    if (this.#pending.size !== 1) return undefined
    for (const pending of this.#pending.values()) return pending.options.related
  }

  /** Send a request and wait for its result. Rejects with an `McpxError`. */
  request(method: string, params: Params, options: PeerRequestOptions = {}): Promise<Result> {
    if (this.#closed) return Promise.reject(this.#closed)
    const signal =
      options.signal &&
      (isAbortSignal(options.signal) ? fromSignal(options.signal) : options.signal)
    if (signal?.aborted) return Promise.reject(cancelled(signal.reason))
    const id = this.#pending.nextId()
    const token = options.onProgress ? progressTokenOf(params) : undefined
    const outParams = token === undefined ? params : withProgressToken(params, id)
    return new Promise<Result>((resolve, reject) => {
      const { timeout = 0, maxTotalTimeout: total = 0 } = options
      const clock = { timeout, limit: total ? Date.now() + total : 0 }
      const pending: Pending = { id, resolve, reject, options, clock, deadline: 0, off: undefined }
      this.#pending.set(pending)
      if (signal)
        pending.off = signal.onAbort((reason) => this.#cancel(id, cancelled(reason), reason))
      this.#arm(pending)
      const message: Request =
        outParams === undefined
          ? { jsonrpc: '2.0', id, method }
          : { jsonrpc: '2.0', id, method, params: outParams }
      this.#send(message, options.via, undefined, options.headers)
    })
  }

  /** Send a notification. Dropped once the peer is closed. */
  notify(method: string, params: Params, related?: RequestId): void {
    if (this.#closed) return
    this.#send(
      params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params },
      related,
    )
  }

  /**
   * Take one message from the other side. `related` is what the transport
   * knows about which of our requests it belongs to (a Streamable HTTP
   * response stream), if anything. `meta` goes to the handlers as it is
   * (per-message transport facts such as HTTP headers).
   */
  receive(message: Message, related?: RequestId, meta?: unknown): void {
    if ('method' in message) {
      if ('id' in message) this.#answer(message, related, meta)
      else this.#notification(message, related, meta)
      return
    }
    if (typeof message.id !== 'number') return
    const pending = this.#pending.get(message.id)
    if (!pending) return // late answer to a cancelled or timed-out request
    this.#settle(message.id, pending)
    if ('error' in message) {
      const { code, message: text, data } = message.error
      pending.reject(new McpxError(code, text, { data }))
    } else pending.resolve(message.result)
  }

  /** Fail everything in flight with `error` and refuse new requests. */
  close(error: McpxError): void {
    if (this.#closed) return
    this.#closed = error
    for (const pending of this.#pending.values()) {
      this.#settle(pending.id, pending)
      pending.reject(error)
    }
    for (const cancel of this.#incoming.values()) cancel.abort(error)
    this.#incoming.clear()
    this.#sweeper.stop()
  }

  get closed(): boolean {
    return this.#closed !== undefined
  }

  /** (Re)start a request's clock; progress calls this again, up to the total limit. */
  #arm(pending: Pending): void {
    const now = Date.now()
    pending.deadline = deadlineOf(pending.clock, now)
    if (pending.deadline) this.#sweeper.watch(pending.deadline - now)
  }

  /** Time out what is due; returns whether any request is still timed. */
  #sweep(): boolean {
    const now = Date.now()
    let timed = false
    for (const pending of this.#pending.values()) {
      const { id } = pending
      if (pending.deadline === 0) continue
      if (pending.deadline > now) {
        timed = true
        continue
      }
      const { timeout, maxTotalTimeout } = pending.options
      const total = pending.deadline === pending.clock.limit
      const text = total
        ? `exceeded its maximum total time of ${maxTotalTimeout} ms`
        : `timed out after ${timeout} ms`
      this.#cancel(
        id,
        new McpxError(ErrorCode.RequestTimeout, `Request to ${this.name} ${text}`),
        text,
      )
    }
    return timed
  }

  #settle(id: number, pending: Pending): void {
    this.#pending.delete(id)
    pending.off?.()
  }

  /** MCP cancellation: tell the other side, then forget the request (its late answer is ignored). */
  #cancel(id: number, error: McpxError, reason: unknown): void {
    const pending = this.#pending.get(id)
    if (!pending) return
    this.#settle(id, pending)
    this.notify(CANCELLED, {
      requestId: id,
      reason: typeof reason === 'string' ? reason : error.message,
    })
    pending.reject(error)
  }

  #notification(message: Notification, related: RequestId | undefined, meta: unknown): void {
    const params = message.params
    if (message.method === CANCELLED) {
      this.#incoming
        .get(params?.requestId as RequestId)
        ?.abort(new McpxError(ErrorCode.RequestCancelled, 'Request cancelled by the other side'))
      return
    }
    if (message.method === PROGRESS && typeof params?.progressToken === 'number') {
      const pending = this.#pending.get(params.progressToken)
      if (pending?.options.onProgress) {
        this.#arm(pending)
        pending.options.onProgress(params)
        return
      }
    }
    this.#handlers.notification(message, this.relatedTo(related), meta)
  }

  #answer(message: Request, related: RequestId | undefined, meta: unknown): void {
    const { id } = message
    if (this.#incoming.has(id)) {
      const error = new McpxError(
        ErrorCode.InvalidRequest,
        `Request id ${JSON.stringify(id)} is already in use`,
      )
      this.#send({ jsonrpc: '2.0', id, error: error.toJSON() }, id)
      return
    }
    const cancel = abortSource()
    this.#incoming.set(id, cancel)
    this.#handlers.request(message, cancel, this.relatedTo(related), meta).then(
      (result) =>
        result instanceof HeadedResult
          ? this.#reply(id, cancel, result.result, undefined, result.headers)
          : this.#reply(id, cancel, result, undefined),
      (error: unknown) =>
        error instanceof HeadedError
          ? this.#reply(
              id,
              cancel,
              undefined,
              toMcpxError(error.error, this.#handlers.onError),
              error.headers,
            )
          : this.#reply(id, cancel, undefined, toMcpxError(error, this.#handlers.onError)),
    )
  }

  #reply(
    id: RequestId,
    cancel: AbortHandle,
    result: Result | undefined,
    error: McpxError | undefined,
    headers?: Readonly<Record<string, string>>,
  ): void {
    if (this.#incoming.get(id) !== cancel) return
    this.#incoming.delete(id)
    // MCP cancellation §Behavior: no response is sent for a cancelled request.
    if (cancel.aborted) return
    // The error itself goes along: an HTTP front end takes its status and headers from it.
    if (error) this.#send({ jsonrpc: '2.0', id, error: error.toJSON() }, id, error, headers)
    else this.#send({ jsonrpc: '2.0', id, result: result ?? {} }, id, undefined, headers)
  }
}

function cancelled(reason: unknown): McpxError {
  return McpxError.is(reason)
    ? reason
    : new McpxError(ErrorCode.RequestCancelled, 'Request cancelled')
}
