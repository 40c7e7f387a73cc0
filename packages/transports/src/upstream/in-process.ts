import { ErrorCode, McpxError, type Message, type RequestId } from '@mcpx/core'
// Types only: this file ships in the runtime-neutral root entry, and the SDK is a peer dependency.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import type { Channel, ChannelEvents, Connector } from '../protocol/channel.js'

/** An MCP server made with the SDK: the low-level `Server` or the high-level `McpServer`. */
export type InProcessServer = Server | McpServer

/** Options for {@link inProcess}. */
export interface InProcessOptions {
  /** Names the server in logs. Clients never see it. @defaultValue `'in-process server'` */
  describe?: string
}

/**
 * Serve an SDK `Server` or `McpServer` living in this process: no child
 * process, no port. Each connection is a pair of in-memory pipes, the
 * server's end connected with `server.connect(transport)`; messages cross
 * as copies, so neither side can change the other's objects.
 *
 * An SDK server holds one transport at a time, so one instance serves one
 * connection: fine for mode `'shared'`. For mode `'per-session'` pass a
 * function that creates a server; each connection then gets its own. A
 * second connection to a single instance fails with an error saying so.
 *
 * What the server sends while handling a request (through `extra.sendRequest`,
 * `extra.sendNotification`, or `{ relatedRequestId: extra.requestId }`) goes to
 * the client that made the request, sampling included, even on a shared
 * connection. A request sent outside that context (a bare
 * `server.server.createMessage(params)`) belongs to no client: a shared
 * connection refuses it, a per-session one delivers it to its session.
 *
 * @example
 * ```ts
 * const server = new McpServer({ name: 'mine', version: '1.0.0' })
 * server.registerTool('hello', {}, async () => ({ content: [{ type: 'text', text: 'hi' }] }))
 * const proxy = createProxy({ terminal: forward(upstream('mine', inProcess(server))) })
 * ```
 */
export function inProcess(
  server: InProcessServer | (() => InProcessServer),
  options: InProcessOptions = {},
): Connector {
  if (typeof server !== 'function' && typeof server?.connect !== 'function') {
    throw new TypeError(
      '[@mcpx/transports] inProcess() needs an SDK Server or McpServer, or a function that creates one',
    )
  }
  const acquire = typeof server === 'function' ? fromFactory(server) : fromInstance(server)
  return {
    transport: 'in-process',
    describe: options.describe ?? 'in-process server',
    // The SDK sends what a handler initiates with `relatedRequestId`: the id of our request.
    relatesRequests: true,
    open: () => new InProcessChannel(acquire),
  }
}

/** A server for one connection, and how to give it back. Throws an {@link McpxError} saying why not. */
type Acquire = () => { server: InProcessServer; release(): void }

function fromInstance(server: InProcessServer): Acquire {
  let busy = false
  return () => {
    if (busy) {
      throw unavailable(
        'cannot connect: its in-process server already serves a connection (an SDK server serves one at a time): give inProcess() a function that creates a server, so that each connection gets its own',
      )
    }
    if (isConnected(server)) {
      throw unavailable(
        'cannot connect: its in-process server is connected to another transport: close that first, or give inProcess() a function that creates a server',
      )
    }
    busy = true
    return { server, release: () => (busy = false) }
  }
}

function fromFactory(create: () => InProcessServer): Acquire {
  return () => {
    let server: InProcessServer
    try {
      server = create()
    } catch (error) {
      throw unavailable('cannot connect: its in-process server factory threw', error)
    }
    if (typeof server?.connect !== 'function') {
      throw unavailable(
        'cannot connect: its in-process server factory returned no SDK Server or McpServer',
      )
    }
    if (isConnected(server)) {
      throw unavailable(
        'cannot connect: its in-process server factory returned a server that is already connected: return a new one each time',
      )
    }
    return { server, release: () => {} }
  }
}

function isConnected(server: InProcessServer): boolean {
  return ('server' in server ? server.server : server).transport !== undefined
}

function unavailable(message: string, cause?: unknown): McpxError {
  return new McpxError(ErrorCode.UpstreamUnavailable, message, { cause })
}

/*
 * Messages cross as JSON, as on a wire: an in-process server then behaves as
 * it would behind stdio (`undefined` fields vanish, a `Date` becomes a string,
 * a `BigInt` fails), and it is the cheaper copy. Node 20, best of 15 runs:
 * a 134-byte `tools/call` request 2.3 µs by JSON, 2.9 µs by structuredClone;
 * a 5.8 kB tool result 55 µs against 58 µs; an 8.3 kB `tools/list` result
 * 74 µs against 82 µs.
 */
function copy<T>(message: T): T {
  return JSON.parse(JSON.stringify(message)) as T
}

class InProcessChannel implements Channel {
  readonly #acquire: Acquire
  #end: ServerEnd | undefined

  constructor(acquire: Acquire) {
    this.#acquire = acquire
  }

  async start(events: ChannelEvents): Promise<void> {
    let lease: ReturnType<Acquire>
    try {
      lease = this.#acquire()
    } catch (error) {
      const reason = (error as McpxError).message
      events.log?.(withCause(reason, (error as McpxError).cause))
      events.close(reason)
      throw error
    }
    const end = new ServerEnd(events, lease.release)
    this.#end = end
    try {
      await lease.server.connect(end)
    } catch (error) {
      const failure = unavailable(
        'cannot connect: its in-process server could not be connected',
        error,
      )
      events.log?.(withCause(failure.message, error))
      await end.close()
      throw failure
    }
  }

  send(message: Message): void {
    const end = this.#end
    if (!end) return
    let copied: Message
    try {
      copied = copy(message)
    } catch (error) {
      end.log(`could not copy ${describeMessage(message)}: ${(error as Error).message}`)
      // Answer a request that cannot cross rather than leave it pending until its timeout.
      if ('method' in message && 'id' in message) end.reply(message.id)
      return
    }
    end.deliver(copied)
  }

  async close(): Promise<void> {
    await this.#end?.close()
  }
}

/**
 * The server's end of the pipe: an SDK `Transport` whose other end is the
 * channel. Delivery in both directions waits a microtask, as a wire would,
 * so neither side re-enters the other; the close is queued behind the
 * messages sent before it.
 */
class ServerEnd implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: <T extends JSONRPCMessage>(message: T) => void
  readonly #events: ChannelEvents
  readonly #release: () => void
  #open = true
  /** `events.close` went out: nothing more is delivered to the channel's owner. */
  #ended = false

  constructor(events: ChannelEvents, release: () => void) {
    this.#events = events
    this.#release = release
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (!this.#open) throw new Error('Not connected')
    let copied: JSONRPCMessage
    try {
      copied = copy(message)
    } catch (error) {
      this.log(`dropped ${describeMessage(message)} from the server: ${(error as Error).message}`)
      throw error
    }
    const related = options?.relatedRequestId
    this.#toOwner(() => this.#events.message(copied, related))
  }

  async close(): Promise<void> {
    if (!this.#open) return
    this.#open = false
    // The SDK's own handler: the server lets go of this transport and aborts its handlers.
    this.onclose?.()
    this.#release()
    this.#toOwner(() => {
      this.#ended = true
      this.#events.close('closed the connection')
    })
  }

  /** A message from the channel's owner to the server. */
  deliver(message: Message): void {
    queueMicrotask(() => {
      if (!this.#open) return
      try {
        this.onmessage?.(message as JSONRPCMessage)
      } catch (error) {
        this.onerror?.(error as Error)
      }
    })
  }

  /** Fail a request that never reached the server. */
  reply(id: RequestId): void {
    const error = { code: ErrorCode.InternalError, message: 'Internal error' }
    this.#toOwner(() => this.#events.message({ jsonrpc: '2.0', id, error }))
  }

  log(line: string): void {
    this.#events.log?.(line)
  }

  #toOwner(deliver: () => void): void {
    queueMicrotask(() => {
      if (this.#ended) return
      try {
        deliver()
      } catch (error) {
        this.log(`could not take a message from the server: ${(error as Error).message}`)
      }
    })
  }
}

/** The cause's own words go to the log only: they may hold anything. */
function withCause(reason: string, cause: unknown): string {
  return cause instanceof Error ? `${reason}: ${cause.message}` : reason
}

function describeMessage(message: { method?: unknown; id?: unknown }): string {
  if (typeof message.method === 'string') return `a ${message.method} message`
  return `the answer to request ${String(message.id)}`
}
