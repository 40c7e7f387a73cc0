import {
  type AbortSource,
  ErrorCode,
  type ErrorCodeValue,
  McpxError,
  type Message,
  type Notification,
  type Request,
  validateMessage,
} from '@mcpx/core'
import type { Channel, Connector } from '../protocol/channel.js'
import { type Params, Peer, type PeerRequestOptions, type Result } from '../protocol/peer.js'

/** Where a connection sends what its server initiates (requests and notifications). */
export interface ServerMessageHandlers {
  /** `related` is the `related` option of the pending request the server tied it to, if it did. */
  request(message: Request, cancel: AbortSource, related: unknown): Promise<Result>
  notification(message: Notification, related: unknown): void
}

/** Options for {@link UpstreamConnection.start}. */
export interface StartOptions {
  /** Milliseconds allowed for the channel to come up. */
  connectTimeout: number
  /** Diagnostics (stderr lines, invalid output). */
  log(line: string): void
}

/** Options for {@link UpstreamConnection.open}. */
export interface ConnectionOptions extends StartOptions {
  /** The `initialize` params sent to the server. */
  initialize: Record<string, unknown>
  /** Milliseconds allowed for the whole of it: the channel and the handshake. */
  connectTimeout: number
}

type Stage = 'new' | 'starting' | 'started' | 'initializing' | 'initialized'

/**
 * An MCP client connection to one upstream server: a channel, a peer that
 * numbers and matches requests, and the server's `initialize` result.
 * {@link open} starts the channel and initializes; a pool keeping warm
 * spares calls {@link start} ahead and {@link initialize} once a client's
 * own `initialize` arrives. Each step runs once, in that order.
 */
export class UpstreamConnection {
  readonly upstream: string
  readonly transport: string
  /** The server's `initialize` result: protocol version, capabilities, serverInfo, instructions. */
  initializeResult: Result = {}
  readonly #peer: Peer
  readonly #channel: Channel
  readonly #closeListeners = new Set<(error: McpxError) => void>()
  readonly #resetListeners = new Set<() => void>()
  #responses = 0
  #closeError: McpxError | undefined
  #stage: Stage = 'new'
  #log: (line: string) => void = () => {}

  constructor(upstream: string, connector: Connector, handlers: ServerMessageHandlers) {
    this.upstream = upstream
    this.transport = connector.transport
    this.#channel = connector.open()
    const send = (
      message: Message,
      _related?: unknown,
      _error?: unknown,
      headers?: Readonly<Record<string, string>>,
    ) => this.#channel.send(message, headers)
    this.#peer = new Peer(`upstream "${upstream}"`, send, {
      // MCP §Ping: either side may ping, and a server's ping checks the gateway's liveness, not a client's.
      request: (message, cancel, related) =>
        message.method === 'ping'
          ? Promise.resolve({})
          : handlers.request(message, cancel, related),
      // Progress for our own requests is consumed by the Peer; any other carries one of our
      // tokens for a request that already ended, which means nothing to a client.
      notification: (message, related) => {
        if (message.method !== 'notifications/progress') handlers.notification(message, related)
      },
    })
  }

  /** The server's capabilities, from its `initialize` result. */
  get capabilities(): Record<string, unknown> {
    return (this.initializeResult.capabilities as Record<string, unknown> | undefined) ?? {}
  }

  get closed(): boolean {
    return this.#closeError !== undefined
  }

  /**
   * Responses the server sent so far (results and its own errors, answers
   * to pings included; not the failures the channel makes up for requests
   * it could not deliver): a pool's proof that the server is alive.
   */
  get responses(): number {
    return this.#responses
  }

  /** Requests in flight on this connection. */
  get pendingCount(): number {
    return this.#peer.pendingCount
  }

  /**
   * Server-initiated requests (sampling, elicitation, roots, ping) not yet
   * answered. A per-request lease may pass the connection to another client
   * only at 0: an answer still owed belongs to the previous one.
   */
  get incomingCount(): number {
    return this.#peer.incomingCount
  }

  /** The `related` data of a pending request, by this connection's own id. */
  relatedTo(id: unknown): unknown {
    return this.#peer.relatedTo(id as number)
  }

  /** The `related` data of the one pending request, when exactly one is pending. */
  soleRelated(): unknown {
    return this.#peer.soleRelated()
  }

  request(method: string, params: Params, options?: PeerRequestOptions): Promise<Result> {
    return this.#peer.request(method, params, options)
  }

  notify(method: string, params: Params): void {
    this.#peer.notify(method, params)
  }

  /**
   * Called each time the server forgot the connection's session and the
   * channel re-initialized it on its own (Streamable HTTP 404): the
   * connection lives on, but what the server held for it (subscriptions, a
   * logging level) is gone. Returns a function that removes the listener.
   */
  onReset(listener: () => void): () => void {
    this.#resetListeners.add(listener)
    return () => this.#resetListeners.delete(listener)
  }

  /** Called once when the connection ends, with the error pending requests got. */
  onClose(listener: (error: McpxError) => void): () => void {
    if (this.#closeError) {
      listener(this.#closeError)
      return () => {}
    }
    this.#closeListeners.add(listener)
    return () => this.#closeListeners.delete(listener)
  }

  async close(): Promise<void> {
    this.#end(this.#error('connection closed'))
    await this.#channel.close()
  }

  /** Start the channel and run the MCP handshake (`initialize`, then `notifications/initialized`), all within one `connectTimeout`. */
  async open(options: ConnectionOptions): Promise<this> {
    this.#advance('new', 'starting', 'open')
    return this.#bounded(options.connectTimeout, 'finish initialize', async () => {
      await this.#start(options.log)
      this.#stage = 'initializing'
      await this.#initialize(options.initialize)
    })
  }

  /**
   * Bring the channel up without the MCP handshake (a stdio child spawned, a
   * socket open): a warm spare waits here until a client's own `initialize`
   * arrives for {@link initialize}. Until then, send it nothing but `ping`
   * (MCP Lifecycle: the only request allowed before initialization).
   */
  async start(options: StartOptions): Promise<this> {
    this.#advance('new', 'starting', 'start')
    return this.#bounded(options.connectTimeout, 'start', () => this.#start(options.log))
  }

  /** Run the MCP handshake on a {@link start}ed connection with `params` (a client's own or the gateway's). */
  async initialize(params: Record<string, unknown>, connectTimeout: number): Promise<this> {
    this.#advance('started', 'initializing', 'initialize')
    return this.#bounded(connectTimeout, 'finish initialize', () => this.#initialize(params))
  }

  #advance(from: Stage, to: Stage, method: string): void {
    // A spare that died while it waited: the caller gets why, naming the upstream.
    if (this.#closeError) throw this.#closeError
    if (this.#stage !== from) {
      throw new Error(
        `[@mcpx/transports] UpstreamConnection.${method}() called on a connection that is ${this.#stage}`,
      )
    }
    this.#stage = to
  }

  /** Run `step` under a `connectTimeout` timer; on any failure the connection ends and the error names the upstream. */
  async #bounded(connectTimeout: number, what: string, step: () => Promise<void>): Promise<this> {
    const timer = setTimeout(
      () => this.#end(this.#error(`did not ${what} within ${connectTimeout} ms`)),
      connectTimeout,
    )
    try {
      await step()
      return this
    } catch (error) {
      // The channel's own close reason (already in the gateway's words) says most.
      const failure = this.#closeError ?? this.#handshakeError(error, this.#log)
      this.#end(failure)
      await this.#channel.close()
      throw failure
    } finally {
      clearTimeout(timer)
    }
  }

  async #start(log: (line: string) => void): Promise<void> {
    this.#log = log
    await this.#channel.start({
      message: (raw, related) => {
        const message = validateMessage(raw)
        if (McpxError.is(message)) {
          log(`dropped an invalid message: ${message.message}`)
          return
        }
        // A response from the server itself (not one `fail` makes up): its health checks' proof of life.
        if (!('method' in message)) this.#responses++
        this.#peer.receive(message, related)
      },
      fail: (id, reason, overloaded) => {
        const code = overloaded ? ErrorCode.Overloaded : ErrorCode.UpstreamUnavailable
        this.#peer.receive({ jsonrpc: '2.0', id, error: this.#error(reason, code).toJSON() })
      },
      close: (reason) => this.#end(this.#error(reason)),
      log,
      reset: () => {
        for (const listener of this.#resetListeners) listener()
      },
    })
    this.#stage = 'started'
  }

  async #initialize(params: Record<string, unknown>): Promise<void> {
    this.initializeResult = await this.#peer.request('initialize', params)
    this.#peer.notify('notifications/initialized', undefined)
    this.#stage = 'initialized'
  }

  /** `Upstream "<name>" <reason>`: the upstream named by its configured name only, never its URL or command. */
  #error(reason: string, code: ErrorCodeValue = ErrorCode.UpstreamUnavailable): McpxError {
    return new McpxError(code, `Upstream "${this.upstream}" ${reason}`, {
      data: { upstream: this.upstream },
    })
  }

  /** Why `initialize` failed while the channel stayed up. */
  #handshakeError(error: unknown, log: (line: string) => void): McpxError {
    // Made by `fail` above: already names the upstream.
    if (McpxError.is(error) && (error.data as { upstream?: unknown })?.upstream === this.upstream) {
      return error
    }
    // The server answered initialize with an error: its text goes to the log, its code to the client.
    if (McpxError.is(error)) {
      log(`initialize failed: ${error.message}`)
      return this.#error(`refused initialize (error ${error.code})`)
    }
    log(`initialize failed: ${(error as Error)?.message ?? String(error)}`)
    return this.#error('failed to initialize')
  }

  #end(error: McpxError): void {
    if (this.#closeError) return
    this.#closeError = error
    this.#peer.close(error)
    for (const listener of this.#closeListeners) listener(error)
    this.#closeListeners.clear()
    this.#resetListeners.clear()
    void this.#channel.close()
  }
}
