import type { McpxError, Message, RequestId, Response } from '@mcpx/core'
import type { HttpExchange, SseWriter } from './exchange.js'
import { httpAnswer } from './http-answer.js'

/** What a {@link PostStream} needs from the session it belongs to. */
export interface StreamOwner {
  /** Whether events are kept for replay (the front end has an event store). */
  readonly resumable: boolean
  /** Whether a new stream starts with a priming event (the client speaks MCP 2025-11-25 or later). */
  readonly priming: boolean
  /** Keep an event for replay. */
  keep(streamId: string, seq: number, data: string): void
  /** Write to a stream without letting a client that stopped reading grow memory. */
  write(writer: SseWriter, text: string): void
  /** The stream can never be written again and its events need not be kept. */
  done(stream: PostStream): void
}

/** One SSE event with its id; MCP's priming event (2025-11-25) has an id and empty data. */
export function sseEvent(id: string | undefined, data: string): string {
  return id === undefined
    ? `event: message\ndata: ${data}\n\n`
    : `id: ${id}\nevent: message\ndata: ${data}\n\n`
}

/** Event ids are `<stream>_<seq>`: unique across the session's streams, and they name the stream to resume. */
export function eventId(streamId: string, seq: number): string {
  return `${streamId}_${seq}`
}

/** The stream and place an event id names, or undefined when it is not one of ours. */
export function parseEventId(id: string): { streamId: string; seq: number } | undefined {
  const at = id.lastIndexOf('_')
  if (at <= 0) return undefined
  const seq = Number(id.slice(at + 1))
  return Number.isSafeInteger(seq) && seq >= 0 ? { streamId: id.slice(0, at), seq } : undefined
}

/**
 * The response to one POSTed request. It answers with plain JSON unless
 * something related to the request (progress, a log message, a sampling
 * request) must reach the client first; then it becomes an SSE stream
 * (Streamable HTTP §Sending Messages to the Server: JSON or SSE). Every SSE
 * event carries an id, so when the client's connection drops before the
 * answer, the request goes on and the client can resume the stream with a
 * GET and `Last-Event-ID` (§Resumability and Redelivery).
 */
export class PostStream {
  readonly requestId: RequestId
  readonly streamId: string
  /** Extra headers for the first write (the initialize answer's `Mcp-Session-Id`). */
  headers: Record<string, string> | undefined
  /** Sees the answer before it is written (the initialize POST uses it to drop a refused session). */
  beforeFinish: ((response: Response) => void) | undefined
  readonly #owner: StreamOwner
  /** Until the first write decides between JSON and SSE. */
  #exchange: HttpExchange | undefined
  #writer: SseWriter | undefined
  #seq = 0
  #answered = false
  #ended = false

  constructor(exchange: HttpExchange, owner: StreamOwner, requestId: RequestId, streamId: string) {
    this.#exchange = exchange
    this.#owner = owner
    this.requestId = requestId
    this.streamId = streamId
  }

  /** The answer was written or kept for replay: nothing more goes on this stream. */
  get answered(): boolean {
    return this.#answered
  }

  /** The last event id sent, 0 before any. */
  get seq(): number {
    return this.#seq
  }

  /** Whether the client can resume this stream: it became SSE and its events are kept. */
  get resumable(): boolean {
    return this.#seq > 0 && this.#owner.resumable
  }

  /** Whether a client connection is writing this stream now. */
  get attached(): boolean {
    return this.#writer?.open === true
  }

  event(message: Message): void {
    if (this.#answered) return
    this.#send(JSON.stringify(message))
  }

  finish(response: Response, error: McpxError | undefined): void {
    if (this.#answered) return
    // Answered first: a `beforeFinish` that ends the session must not answer this request again.
    this.#answered = true
    this.beforeFinish?.(response)
    const exchange = this.#exchange
    if (exchange && !this.#writer) {
      // Never became a stream: one JSON answer, whose status follows the error (401, 429, 503, …).
      this.#ended = true
      this.#exchange = undefined
      const answer =
        'error' in response ? httpAnswer(response.error, error?.headers, 200) : undefined
      exchange.json(answer?.status ?? 200, response, { ...answer?.headers, ...this.headers })
      this.#owner.done(this)
      return
    }
    this.#send(JSON.stringify(response))
    if (this.#writer?.open) this.#end()
  }

  /**
   * End the response without an answer: the request was cancelled, and MCP
   * cancellation §Behavior says a cancelled request gets no response.
   */
  abandon(): void {
    this.#answered = true
    this.#end()
    const exchange = this.#exchange
    this.#exchange = undefined
    exchange?.sse(this.headers).end()
  }

  /** The client's connection went away before the answer. */
  detach(): void {
    this.#writer = undefined
    this.#exchange = undefined
  }

  /** A GET with `Last-Event-ID` resumes the stream: replay what followed `afterSeq`, then go on. */
  resume(writer: SseWriter, replay: readonly { seq: number; data: string }[]): void {
    this.#writer = writer
    for (const event of replay)
      this.#owner.write(writer, sseEvent(eventId(this.streamId, event.seq), event.data))
    if (this.#answered) this.#end()
  }

  #send(data: string): void {
    if (!this.#writer && this.#exchange) {
      this.#writer = this.#exchange.sse(this.headers)
      this.#exchange = undefined
      // MCP 2025-11-25 §Resumability: an event id with empty data first, so that the client can resume at once.
      if (this.#owner.priming && this.#owner.resumable) {
        this.#owner.write(this.#writer, `id: ${eventId(this.streamId, 0)}\ndata:\n\n`)
      }
    }
    const seq = ++this.#seq
    let id: string | undefined
    if (this.#owner.resumable) {
      this.#owner.keep(this.streamId, seq, data)
      id = eventId(this.streamId, seq)
    }
    if (this.#writer?.open) this.#owner.write(this.#writer, sseEvent(id, data))
  }

  #end(): void {
    if (this.#ended) return
    this.#ended = true
    this.#writer?.end()
    this.#writer = undefined
    this.#owner.done(this)
  }
}
