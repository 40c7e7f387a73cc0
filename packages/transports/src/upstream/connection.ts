import {
  type AbortSource,
  ErrorCode,
  type ErrorCodeValue,
  McpxError,
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

/** Options for {@link UpstreamConnection.open}. */
export interface ConnectionOptions {
  /** The `initialize` params sent to the server. */
  initialize: Record<string, unknown>
  /** Milliseconds allowed for the handshake. */
  connectTimeout: number
  /** Diagnostics (stderr lines, invalid output). */
  log(line: string): void
}

/**
 * An initialized MCP client connection to one upstream server: a channel, a
 * peer that numbers and matches requests, and the server's `initialize`
 * result.
 */
export class UpstreamConnection {
  readonly upstream: string
  readonly transport: string
  /** The server's `initialize` result: protocol version, capabilities, serverInfo, instructions. */
  initializeResult: Result = {}
  readonly #peer: Peer
  readonly #channel: Channel
  readonly #closeListeners = new Set<(error: McpxError) => void>()
  #closeError: McpxError | undefined

  constructor(upstream: string, connector: Connector, handlers: ServerMessageHandlers) {
    this.upstream = upstream
    this.transport = connector.transport
    this.#channel = connector.open()
    this.#peer = new Peer(`upstream "${upstream}"`, (message) => this.#channel.send(message), {
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

  /** Requests in flight on this connection. */
  get pendingCount(): number {
    return this.#peer.pendingCount
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

  /** Start the channel and run the MCP handshake (`initialize`, then `notifications/initialized`). */
  async open(options: ConnectionOptions): Promise<this> {
    const { log } = options
    const timer = setTimeout(
      () => this.#end(this.#error(`did not finish initialize within ${options.connectTimeout} ms`)),
      options.connectTimeout,
    )
    try {
      await this.#channel.start({
        message: (raw, related) => {
          const message = validateMessage(raw)
          if (McpxError.is(message)) {
            log(`dropped an invalid message: ${message.message}`)
            return
          }
          this.#peer.receive(message, related)
        },
        fail: (id, reason, overloaded) => {
          const code = overloaded ? ErrorCode.Overloaded : ErrorCode.UpstreamUnavailable
          this.#peer.receive({ jsonrpc: '2.0', id, error: this.#error(reason, code).toJSON() })
        },
        close: (reason) => this.#end(this.#error(reason)),
        log,
      })
      this.initializeResult = await this.#peer.request('initialize', options.initialize)
      this.#peer.notify('notifications/initialized', undefined)
      return this
    } catch (error) {
      // The channel's own close reason (already in the gateway's words) says most.
      const failure = this.#closeError ?? this.#handshakeError(error, log)
      this.#end(failure)
      await this.#channel.close()
      throw failure
    } finally {
      clearTimeout(timer)
    }
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
    void this.#channel.close()
  }
}
