import { ErrorCode, type McpxError, type Message, type RequestId } from '@mcpx/core'
import { IdTable } from '../protocol/id-table.js'
import { Session, type SessionOptions } from '../protocol/session.js'
import type { EventStore, StoredEvent } from './event-store.js'
import type { HttpExchange, SseWriter } from './exchange.js'
import { eventId, PostStream, type StreamOwner, sseEvent } from './post-stream.js'
import type { TableEntry } from './session-table.js'

/** Most unrelated server messages kept for a session while it has no GET stream open. */
const MAX_QUEUED = 256
/**
 * Most resumable POST streams a session keeps while no connection carries
 * them (in flight after a drop, or answered and within their resume
 * window). Past it the oldest is given up: a client cannot keep unbounded
 * work running upstream by dropping its connections.
 */
const MAX_RESUMABLE = 32

/** What a {@link StreamableHttpSession} is given by its front end. */
export interface StreamableHttpSessionOptions extends Omit<SessionOptions, 'send'> {
  identity: string
  /** Where SSE events are kept for replay; undefined: streams cannot be resumed. */
  store: EventStore | undefined
  /** Milliseconds a stream stays resumable after its connection dropped or its answer went out. */
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

/** A resumable POST stream, and the timer that gives it up when no client resumes it in time. */
interface Resumable {
  readonly stream: PostStream
  timer: ReturnType<typeof setTimeout> | undefined
}

/**
 * A Streamable HTTP session: the protocol session plus the HTTP streams
 * that carry its messages to the client, and what is needed to resume them.
 */
export class StreamableHttpSession implements TableEntry, StreamOwner {
  readonly session: Session
  readonly identity: string
  lastActive = Date.now()
  /** Requests in flight, by the client's request id: where their messages go. */
  readonly streams = new IdTable<PostStream>()
  /** POST streams a client may resume, by stream id, oldest first. */
  readonly #resumable = new Map<string, Resumable>()
  #standalone: Standalone | undefined
  #streamCount = 0
  #queue: string[] = []
  readonly #options: StreamableHttpSessionOptions

  constructor(options: StreamableHttpSessionOptions) {
    this.#options = options
    this.identity = options.identity
    this.session = new Session({
      ...options,
      send: (message, related, error?: McpxError, headers?: Readonly<Record<string, string>>) =>
        this.#send(message, related, error, headers),
      connected: () => !this.idle(),
    })
  }

  get priming(): boolean {
    const version = this.session.info.protocolVersion
    return version !== undefined && version >= '2025-11-25'
  }

  streamed(stream: PostStream): string | undefined {
    if (!this.#options.store) return undefined
    if (this.#resumable.size >= MAX_RESUMABLE && !this.#giveUpOldest()) return undefined
    const streamId = `p${++this.#streamCount}`
    this.#resumable.set(streamId, { stream, timer: undefined })
    return streamId
  }

  keep(streamId: string, seq: number, data: string): void {
    this.#options.store?.append(this.session.id!, { streamId, seq, data })
  }

  answered(stream: PostStream): void {
    if (this.streams.get(stream.requestId) === stream) this.streams.delete(stream.requestId)
    // The answer may not have reached the client: the stream stays resumable for a while.
    const kept = stream.streamId === undefined ? undefined : this.#resumable.get(stream.streamId)
    if (kept?.stream === stream) this.#expireLater(kept)
  }

  idle(): boolean {
    return this.streams.size === 0 && !this.listening
  }

  ping(): void {
    const writer = this.#standalone?.writer
    if (writer?.open) writer.write(': keep-alive\n\n')
  }

  /** A POSTed request: its response stream. */
  open(exchange: HttpExchange, requestId: RequestId): PostStream {
    const stream = new PostStream(exchange, this, requestId)
    this.streams.set(requestId, stream)
    exchange.onClose(() => this.#dropped(stream, exchange))
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
   * Resume the stream an event id names on `exchange` (Streamable HTTP
   * §Resumability and Redelivery: replay only what was sent on that stream,
   * after that event). False, with nothing written, when there is nothing to
   * resume: an unknown stream, or events no longer kept.
   */
  resume(streamId: string, afterSeq: number, exchange: HttpExchange): boolean {
    const kept = this.#resumable.get(streamId)
    const standalone = this.#standalone?.streamId === streamId ? this.#standalone : undefined
    const last = kept ? kept.stream.seq : standalone?.seq
    if (last === undefined || afterSeq > last) return false
    const replay = this.#options.store?.after(this.session.id!, streamId, afterSeq) ?? []
    if (!complete(replay, afterSeq, last)) return false
    if (kept) {
      clearTimeout(kept.timer)
      kept.timer = undefined
      kept.stream.resume(exchange, replay)
      exchange.onClose(() => this.#dropped(kept.stream, exchange))
      if (kept.stream.answered) this.#expireLater(kept)
      return true
    }
    const writer = exchange.sse()
    standalone!.writer?.end()
    standalone!.writer = writer
    // What waited for a GET stream was kept on this one too: the replay carries it.
    this.#queue = []
    for (const event of replay) writer.write(sseEvent(eventId(streamId, event.seq), event.data))
    return true
  }

  /** End the POST of a request the client cancelled, without an answer. */
  abandon(id: RequestId): void {
    this.streams.get(id)?.abandon()
  }

  /** End every stream: open requests get -32000 with `reason` ("Session closed" by default). */
  close(reason = 'Session closed'): void {
    this.session.close()
    for (const [id, stream] of this.streams) {
      const error = { code: ErrorCode.ConnectionClosed, message: reason }
      stream.finish({ jsonrpc: '2.0', id, error }, undefined)
    }
    this.streams.clear()
    for (const kept of this.#resumable.values()) clearTimeout(kept.timer)
    this.#resumable.clear()
    this.#standalone?.writer?.end()
    this.#standalone = undefined
    this.#queue = []
    if (this.session.id !== undefined) this.#options.store?.drop(this.session.id)
  }

  /** The connection `exchange` carried `stream` on went away. */
  #dropped(stream: PostStream, exchange: HttpExchange): void {
    // Another connection carries it now (a resume), or the stream is over: nothing to do.
    if (stream.carrier !== exchange) return
    stream.detach()
    if (stream.answered) return
    const kept = stream.streamId === undefined ? undefined : this.#resumable.get(stream.streamId)
    if (!kept) {
      // Nothing the client saw lets it resume: the answer could not be delivered, so stop the work.
      this.streams.delete(stream.requestId)
      this.#cancel(stream.requestId, 'client disconnected')
      return
    }
    // §Resumability: a disconnection is not a cancellation; the client may resume with Last-Event-ID.
    this.#expireLater(kept)
  }

  /** Give `kept` up after the resume window: its events are forgotten, an unfinished request cancelled. */
  #expireLater(kept: Resumable): void {
    clearTimeout(kept.timer)
    kept.timer = setTimeout(() => this.#giveUp(kept), this.#options.resumeTimeout)
    ;(kept.timer as { unref?: () => void }).unref?.()
  }

  #giveUp(kept: Resumable): void {
    const { stream } = kept
    clearTimeout(kept.timer)
    this.#resumable.delete(stream.streamId!)
    this.#options.store?.forget(this.session.id!, stream.streamId!)
    if (stream.answered) return
    this.#cancel(stream.requestId, 'client did not resume the stream')
    stream.abandon()
  }

  /** Make room for one more resumable stream: give up the oldest no connection carries. */
  #giveUpOldest(): boolean {
    for (const kept of this.#resumable.values()) {
      if (kept.stream.carrier !== undefined && !kept.stream.answered) continue
      this.#giveUp(kept)
      return true
    }
    return false
  }

  #cancel(requestId: RequestId, reason: string): void {
    this.session.receive({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId, reason },
    })
  }

  #send(
    message: Message,
    related: RequestId | undefined,
    error: McpxError | undefined,
    headers?: Readonly<Record<string, string>>,
  ): void {
    const stream = related === undefined ? undefined : this.streams.get(related)
    if (stream) {
      if (!('method' in message) && message.id === related) stream.finish(message, error, headers)
      else stream.event(message)
      return
    }
    // Streamable HTTP §Listening: a response never goes on the GET stream; its POST is gone.
    if (!('method' in message)) return
    const data = JSON.stringify(message)
    const standalone = this.#standalone
    if (standalone && (standalone.writer?.open || this.#options.store)) {
      this.#toStandalone(standalone, data)
    }
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
    if (this.#options.store) {
      const seq = ++standalone.seq
      this.keep(standalone.streamId, seq, data)
      id = eventId(standalone.streamId, seq)
    }
    if (standalone.writer?.open) standalone.writer.write(sseEvent(id, data))
  }
}

/** Whether `replay` holds every event after `afterSeq` up to `last`, none missing. */
function complete(replay: readonly StoredEvent[], afterSeq: number, last: number): boolean {
  if (replay.length !== last - afterSeq) return false
  return replay.every((event, i) => event.seq === afterSeq + 1 + i)
}
