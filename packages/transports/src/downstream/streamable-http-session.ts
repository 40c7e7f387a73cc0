import { ErrorCode, type McpxError, type Message, type RequestId } from '@mcpx/core'
import { Session, type SessionOptions } from '../protocol/session.js'
import type { EventStore, StoredEvent } from './event-store.js'
import type { HttpExchange, SseWriter } from './exchange.js'
import { eventId, PostStream, type StreamOwner, sseEvent } from './post-stream.js'
import type { TableEntry } from './session-table.js'

/** Most unrelated server messages kept for a session while it has no GET stream open. */
const MAX_QUEUED = 256

/** What a {@link StreamableHttpSession} is given by its front end. */
export interface StreamableHttpSessionOptions extends Omit<SessionOptions, 'send'> {
  identity: string
  /** Where SSE events are kept for replay; undefined: streams cannot be resumed. */
  store: EventStore | undefined
  /** Milliseconds a request whose stream dropped waits for the client to resume it. */
  resumeTimeout: number
  /** Something was dropped, or a stream closed for not reading. */
  onDrop(reason: string): void
}

/** The standalone GET stream (Streamable HTTP §Listening for Messages from the Server). */
interface Standalone {
  readonly streamId: string
  seq: number
  writer: SseWriter | undefined
}

/**
 * A Streamable HTTP session: the protocol session plus the HTTP streams
 * that carry its messages to the client, and what is needed to resume them.
 */
export class StreamableHttpSession implements TableEntry, StreamOwner {
  readonly session: Session
  readonly identity: string
  lastActive = Date.now()
  /** Open POST responses, by the client's request id. */
  readonly streams = new Map<RequestId, PostStream>()
  /** POST streams whose connection dropped, waiting for a resume, by stream id. */
  readonly #waiting = new Map<
    string,
    { stream: PostStream; timer: ReturnType<typeof setTimeout> }
  >()
  #standalone: Standalone | undefined
  #streamCount = 0
  #queue: string[] = []
  readonly #options: StreamableHttpSessionOptions

  constructor(options: StreamableHttpSessionOptions) {
    this.#options = options
    this.identity = options.identity
    this.session = new Session({
      ...options,
      send: (message, related, error?: McpxError) => this.#send(message, related, error),
    })
  }

  get resumable(): boolean {
    return this.#options.store !== undefined
  }

  get priming(): boolean {
    const version = this.session.info.protocolVersion
    return version !== undefined && version >= '2025-11-25'
  }

  keep(streamId: string, seq: number, data: string): void {
    this.#options.store?.append(this.session.id!, { streamId, seq, data })
  }

  write(writer: SseWriter, text: string): void {
    writer.write(text)
  }

  done(stream: PostStream): void {
    if (this.streams.get(stream.requestId) === stream) this.streams.delete(stream.requestId)
    const waiting = this.#waiting.get(stream.streamId)
    if (waiting?.stream === stream) {
      clearTimeout(waiting.timer)
      this.#waiting.delete(stream.streamId)
    }
  }

  idle(): boolean {
    return this.streams.size === 0 && this.#waiting.size === 0 && !this.#standalone?.writer?.open
  }

  ping(): void {
    const writer = this.#standalone?.writer
    if (writer?.open) this.write(writer, ': keep-alive\n\n')
  }

  /** A POSTed request: its response stream. */
  open(exchange: HttpExchange, requestId: RequestId): PostStream {
    const stream = new PostStream(exchange, this, requestId, `p${++this.#streamCount}`)
    this.streams.set(requestId, stream)
    exchange.onClose(() => this.#dropped(stream))
    return stream
  }

  /** Whether the session has a standalone GET stream open now. */
  get listening(): boolean {
    return this.#standalone?.writer?.open === true
  }

  /** Open the standalone GET stream and flush what waited for it. */
  listen(writer: SseWriter): void {
    const standalone: Standalone = { streamId: `g${++this.#streamCount}`, seq: 0, writer }
    this.#standalone = standalone
    writer.write(': stream open\n\n')
    const queued = this.#queue
    this.#queue = []
    for (const data of queued) this.#toStandalone(standalone, data)
  }

  /**
   * Resume the stream an event id names (Streamable HTTP §Resumability and
   * Redelivery: replay only what was sent on that stream, after that event).
   * False when there is nothing to resume: an unknown stream, or events no
   * longer kept.
   */
  resume(streamId: string, afterSeq: number, writer: SseWriter): boolean {
    const waiting = this.#waiting.get(streamId)
    const standalone = this.#standalone?.streamId === streamId ? this.#standalone : undefined
    const last = waiting ? waiting.stream.seq : standalone?.seq
    if (last === undefined || afterSeq > last) return false
    const replay = this.#options.store?.after(this.session.id!, streamId, afterSeq) ?? []
    if (!complete(replay, afterSeq, last)) return false
    if (waiting) {
      clearTimeout(waiting.timer)
      this.#waiting.delete(streamId)
      waiting.stream.resume(writer, replay)
      return true
    }
    const resumed = standalone!
    resumed.writer?.end()
    resumed.writer = writer
    // What waited for a GET stream was kept on this one too: the replay carries it.
    this.#queue = []
    for (const event of replay)
      this.write(writer, sseEvent(eventId(streamId, event.seq), event.data))
    return true
  }

  /** End the POST of a request the client cancelled, without an answer. */
  abandon(id: RequestId): void {
    this.streams.get(id)?.abandon()
  }

  /** End every stream: open requests get -32000 "Session closed". */
  close(): void {
    this.session.close()
    for (const [id, stream] of this.streams) {
      stream.finish(
        {
          jsonrpc: '2.0',
          id,
          error: { code: ErrorCode.ConnectionClosed, message: 'Session closed' },
        },
        undefined,
      )
    }
    this.streams.clear()
    for (const { stream, timer } of this.#waiting.values()) {
      clearTimeout(timer)
      stream.abandon()
    }
    this.#waiting.clear()
    this.#standalone?.writer?.end()
    this.#standalone = undefined
    this.#queue = []
    if (this.session.id !== undefined) this.#options.store?.drop(this.session.id)
  }

  /** A POST's connection went away before its answer. */
  #dropped(stream: PostStream): void {
    if (stream.answered || this.streams.get(stream.requestId) !== stream) return
    stream.detach()
    if (!stream.resumable) {
      // Nothing the client saw lets it resume: the answer could not be delivered, so stop the work.
      this.streams.delete(stream.requestId)
      this.#cancel(stream.requestId, 'client disconnected')
      return
    }
    // §Resumability: a disconnection is not a cancellation; the client may resume with Last-Event-ID.
    const timer = setTimeout(() => {
      this.#waiting.delete(stream.streamId)
      if (!stream.answered) this.#cancel(stream.requestId, 'client did not resume the stream')
      stream.abandon()
    }, this.#options.resumeTimeout)
    ;(timer as { unref?: () => void }).unref?.()
    // Messages for it still arrive by request id (it stays in `streams`); they are kept for the replay.
    this.#waiting.set(stream.streamId, { stream, timer })
  }

  #cancel(requestId: RequestId, reason: string): void {
    this.session.receive({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId, reason },
    })
  }

  #send(message: Message, related: RequestId | undefined, error: McpxError | undefined): void {
    const stream = related === undefined ? undefined : this.streams.get(related)
    if (stream) {
      if (!('method' in message) && message.id === related) stream.finish(message, error)
      else stream.event(message)
      return
    }
    // Streamable HTTP §Listening: a response never goes on the GET stream; its POST is gone.
    if (!('method' in message)) return
    const data = JSON.stringify(message)
    const standalone = this.#standalone
    if (standalone && (standalone.writer?.open || this.resumable))
      this.#toStandalone(standalone, data)
    if (standalone?.writer?.open) return
    // §Listening for Messages: without a GET stream, unrelated messages wait (bounded) for one.
    if (this.#queue.length >= MAX_QUEUED) {
      this.#queue.shift()
      this.#options.onDrop('dropped a server message: no GET stream to carry it')
    }
    this.#queue.push(data)
  }

  #toStandalone(standalone: Standalone, data: string): void {
    let id: string | undefined
    if (this.resumable) {
      const seq = ++standalone.seq
      this.keep(standalone.streamId, seq, data)
      id = eventId(standalone.streamId, seq)
    }
    if (standalone.writer?.open) this.write(standalone.writer, sseEvent(id, data))
  }
}

/** Whether `replay` holds every event after `afterSeq` up to `last`, none missing. */
function complete(replay: readonly StoredEvent[], afterSeq: number, last: number): boolean {
  if (replay.length !== last - afterSeq) return false
  return replay.every((event, i) => event.seq === afterSeq + 1 + i)
}
