import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/sdk/types.js'
import { type AbortSource, fromSignal, isAbortSignal } from './abort.js'
import type { McpxError } from './errors.js'
import type { Notification, Request, RequestId } from './jsonrpc.js'
import type { Key } from './key.js'
import type { ParamsOf, ResultOf } from './methods.js'

/** Whether a message expects an answer. */
export type MessageKind = 'request' | 'notification'
/** `toServer`: from a client to an upstream; `toClient`: server-initiated, from an upstream to a client. */
export type Direction = 'toServer' | 'toClient'

/** The downstream session a message belongs to. Transports fill it; middleware reads it. */
export interface SessionInfo {
  /** The session id (`Mcp-Session-Id` on Streamable HTTP), or undefined where the transport has none. */
  readonly id: string | undefined
  /** The front end the client came through: `streamable-http`, `sse`, `stdio`, `websocket`, `in-process`, … */
  readonly transport: string
  /** The negotiated protocol version, once known. */
  readonly protocolVersion?: string
  /** The client's `clientInfo` from `initialize`, once known. */
  readonly clientInfo?: Implementation
  /** The client's capabilities from `initialize`, once known. */
  readonly clientCapabilities?: ClientCapabilities
  /** The peer's address, where the transport has one. */
  readonly remoteAddress?: string
  /** The request headers of the current HTTP request (lower-case names), where the transport is HTTP. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>
}

/** What a transport (or a test) knows about one message when it creates its {@link Context}. */
export interface ContextInit<
  M extends string = string,
  S extends object = Record<string, unknown>,
> {
  kind: MessageKind
  method: M
  id?: RequestId
  params?: ParamsOf<M>
  direction?: Direction
  session?: SessionInfo
  /**
   * Aborted when the client cancels or disconnects, on timeout and on
   * shutdown. Transports pass an `abortSource()`: cheaper than an
   * `AbortController` when nothing reads `ctx.signal`.
   */
  signal?: AbortSignal | AbortSource
  state?: S
}

/** What a {@link Context.fork} changes; everything else is the parent's. */
export interface ForkInit {
  /** The sub-request's method. @defaultValue the parent's */
  method?: string
  /** The sub-request's params. @defaultValue the parent's */
  params?: unknown
  /** @defaultValue the parent's */
  kind?: MessageKind
  /**
   * Cancels the fork instead of the parent: for work that outlives the
   * message it was forked from (a background refresh).
   * @defaultValue the parent (the fork is cancelled when it is)
   */
  signal?: AbortSignal | AbortSource
}

/** What {@link Context.from} takes besides the message. */
export type MessageContextInit = Pick<ContextInit, 'direction' | 'session' | 'signal'>

const IN_PROCESS: SessionInfo = Object.freeze({ id: undefined, transport: 'in-process' })

/**
 * One JSON-RPC message on its way through the stack. Identity (`kind`,
 * `direction`, `id`, `method`, `session`) is read-only; the message
 * (`params`, `result`, `error`) is writable. Setting `result` or `error`
 * without calling `next()` short-circuits the rest of the stack.
 */
export class Context<M extends string = string, S extends object = Record<string, unknown>> {
  readonly kind: MessageKind
  readonly direction: Direction
  /** The request id as the client sent it; undefined for notifications. */
  readonly id: RequestId | undefined
  readonly method: M
  params: ParamsOf<M>
  result: ResultOf<M> | undefined = undefined
  error: McpxError | undefined = undefined
  readonly session: SessionInfo
  #signal: AbortSignal | undefined = undefined
  #source: AbortSource | undefined = undefined
  #state: S | undefined
  #values: Map<Key<unknown>, unknown> | undefined = undefined

  /**
   * The context of one parsed request or notification: its kind, id, method
   * and params, plus what the transport knows (`init`).
   *
   * @example
   * ```ts
   * const ctx = Context.from(message, { session, signal: abortSource(), direction: 'toClient' })
   * ```
   */
  static from(message: Request | Notification, init: MessageContextInit = {}): Context {
    const isRequest = 'id' in message
    return new Context({
      kind: isRequest ? 'request' : 'notification',
      id: isRequest ? message.id : undefined,
      method: message.method,
      params: message.params,
      direction: init.direction,
      session: init.session,
      signal: init.signal,
    })
  }

  constructor(init: ContextInit<M, S>) {
    this.kind = init.kind
    this.direction = init.direction ?? 'toServer'
    this.id = init.id
    this.method = init.method
    this.params = init.params as ParamsOf<M>
    this.session = init.session ?? IN_PROCESS
    const signal = init.signal
    if (signal !== undefined) {
      if (isAbortSignal(signal)) this.#signal = signal
      else this.#source = signal
    }
    this.#state = init.state
  }

  /**
   * Aborted on client cancel or disconnect, timeout and shutdown. Always
   * present; made on first use. In hot paths prefer {@link Context.onAbort}.
   */
  get signal(): AbortSignal {
    if (this.#signal) return this.#signal
    const controller = new AbortController()
    this.#signal = controller.signal
    const source = this.#source
    if (source?.aborted) controller.abort(source.reason)
    else source?.onAbort((reason) => controller.abort(reason))
    return this.#signal
  }

  /** Whether the message was cancelled (client cancel or disconnect, timeout, shutdown). */
  get aborted(): boolean {
    return this.#source?.aborted ?? this.#signal?.aborted ?? false
  }

  /** Why it was cancelled, once it is. */
  get reason(): unknown {
    return this.#source ? this.#source.reason : this.#signal?.reason
  }

  /**
   * Call `listener` once when the message is cancelled; returns a function
   * that removes it. The cheap alternative to `ctx.signal`, and what makes a
   * `Context` itself an `AbortSource` (pass `ctx` where one is expected).
   */
  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.#source) return this.#source.onAbort(listener)
    return fromSignal(this.signal).onAbort(listener)
  }

  /**
   * A sub-request of this message, for `next(fork)`: the same session, id
   * (so that server requests made while serving it reach this client
   * request's stream) and typed values (principal, session, …), copied so
   * that the fork's changes stay its own; cancelled when this message is.
   * `result`, `error` and `state` start empty.
   *
   * @example
   * ```ts
   * const child = ctx.fork({ method: 'tools/list', params: {} })
   * child.set(targetKey, { upstream: 'math', method: 'tools/list', params: {} })
   * await next(child) // the rest of the stack, for the child
   * ```
   */
  fork(init: ForkInit = {}): Context {
    const child = new Context({
      kind: init.kind ?? this.kind,
      id: this.id,
      method: init.method ?? this.method,
      params: ('params' in init ? init.params : this.params) as ParamsOf<string>,
      direction: this.direction,
      session: this.session,
      signal: init.signal ?? this,
    })
    if (this.#values) child.#values = new Map(this.#values)
    return child
  }

  /** Free-form per-message state for the application's own middleware. */
  get state(): S {
    this.#state ??= {} as S
    return this.#state
  }

  /** Read a typed value; see `createKey`. */
  get<T>(key: Key<T>): T | undefined {
    return this.#values?.get(key) as T | undefined
  }

  /** Store a typed value; see `createKey`. */
  set<T>(key: Key<T>, value: T): void {
    this.#values ??= new Map()
    this.#values.set(key, value)
  }
}
