import type { McpxError, Message, RequestId, Response } from '@mcpx/core'
import type { HttpExchange, SseWriter } from './exchange.js'
import { httpAnswer } from './http-answer.js'

/** What a {@link PostStream} needs from the session it belongs to. */
export interface StreamOwner {
  /** Whether a new stream starts with a priming event (the client speaks MCP 2025-11-25 or later). */
  readonly priming: boolean
  /**
   * The response became an SSE stream: a stream id when the client may
   * resume it (the session keeps its events), else undefined.
   */
  streamed(stream: PostStream): string | undefined
  /** Keep an event for replay. */
  keep(streamId: string, seq: number, data: string): void
  /** The answer is out (written, kept for replay, or abandoned): the request is over. */
  answered(stream: PostStream): void
}

/** One SSE event, with its id when the stream is resumable. */
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
 * (Streamable HTTP §Sending Messages to the Server: JSON or SSE). When the
 * session keeps events, every SSE event carries an id, and a client whose
 * connection dropped resumes the stream on a new one (§Resumability and
 * Redelivery): the stream outlives the connections that carry it.
 */
export class PostStream {
  readonly requestId: RequestId
  /** Set once the response became a resumable SSE stream. */
  streamId: string | undefined
  /** Extra headers for the first write (the initialize answer's `Mcp-Session-Id`). */
  headers: Record<string, string> | undefined
  /** Sees the answer before it is written (the initialize POST uses it to drop a refused session). */
  beforeFinish: ((response: Response) => void) | undefined
  readonly #owner: StreamOwner
  /** Until the first write decides between JSON and SSE. */
  #exchange: HttpExchange | undefined
  /** The connection carrying the stream now, if one does: the POST's, then a resuming GET's. */
  #carrier: HttpExchange | undefined
  #writer: SseWriter | undefined
  #seq = 0
  #answered = false

  constructor(exchange: HttpExchange, owner: StreamOwner, requestId: RequestId) {
    this.#exchange = exchange
    this.#carrier = exchange
    this.#owner = owner
    this.requestId = requestId
  }

  /** The answer is out: nothing more goes on this stream. */
  get answered(): boolean {
    return this.#answered
  }

  /** The last event sent, 0 before any. */
  get seq(): number {
    return this.#seq
  }

  /** The connection carrying the stream now, if one does. */
  get carrier(): HttpExchange | undefined {
    return this.#carrier
  }

  event(message: Message): void {
    if (!this.#answered) this.#send(JSON.stringify(message))
  }

  /**
   * Answer the request. `headers` (core's `answerHeadersKey`) go on a plain
   * JSON answer under the transport's own; once the answer became an SSE
   * stream its headers are gone, and so are these.
   */
  finish(
    response: Response,
    error: McpxError | undefined,
    headers?: Readonly<Record<string, string>>,
  ): void {
    if (this.#answered) return
    // Answered first: a `beforeFinish` that ends the session must not answer this request again.
    this.#answered = true
    this.beforeFinish?.(response)
    const exchange = this.#exchange
    if (exchange) {
      // Never became a stream: one JSON answer, whose status follows the error (401, 429, 503, …).
      this.#exchange = undefined
      // The message's own headers under the error's and the transport's.
      const own = headers && ownHeadersOut(headers)
      if ('error' in response) {
        const answer = httpAnswer(response.error, error?.headers, 200)
        exchange.json(answer.status, response, merge(merge(own, answer.headers), this.headers))
      } else exchange.json(200, response, merge(own, this.headers))
    } else {
      this.#send(JSON.stringify(response))
      this.#writer?.end()
    }
    this.#owner.answered(this)
  }

  /**
   * End the response without an answer: the request was cancelled, and MCP
   * cancellation §Behavior says a cancelled request gets no response.
   */
  abandon(): void {
    const exchange = this.#exchange
    this.#exchange = undefined
    this.#answered = true
    if (exchange) exchange.sse(this.headers).end()
    else this.#writer?.end()
    this.#owner.answered(this)
  }

  /** The connection carrying the stream went away; the stream goes on, kept for a resume. */
  detach(): void {
    this.#carrier = undefined
    this.#writer = undefined
    this.#exchange = undefined
  }

  /**
   * A GET with `Last-Event-ID` resumes the stream on its own connection:
   * replay what followed the client's last event, then go on (or end, if
   * the answer was among them). A connection still carrying it is ended.
   */
  resume(carrier: HttpExchange, replay: readonly { seq: number; data: string }[]): void {
    const writer = carrier.sse()
    this.#writer?.end()
    this.#carrier = carrier
    this.#writer = writer
    for (const event of replay)
      writer.write(sseEvent(eventId(this.streamId!, event.seq), event.data))
    if (this.#answered) writer.end()
  }

  #send(data: string): void {
    const exchange = this.#exchange
    if (exchange) {
      this.#exchange = undefined
      this.#writer = exchange.sse(this.headers)
      this.streamId = this.#owner.streamed(this)
      // MCP 2025-11-25 §Resumability: an event id with empty data first, so that the client can resume at once.
      if (this.streamId !== undefined && this.#owner.priming) {
        this.#writer.write(`id: ${eventId(this.streamId, 0)}\ndata:\n\n`)
      }
    }
    const seq = ++this.#seq
    let id: string | undefined
    if (this.streamId !== undefined) {
      this.#owner.keep(this.streamId, seq, data)
      id = eventId(this.streamId, seq)
    }
    if (this.#writer?.open) this.#writer.write(sseEvent(id, data))
  }
}

/** Set by the transport or the HTTP server itself: a message's headers never replace them. */
const TRANSPORT_HEADERS = new Set([
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'mcp-session-id',
  'mcp-protocol-version',
])

/** A message's answer headers, lower-cased, without the transport's own. */
function ownHeadersOut(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const name in headers) {
    const key = name.toLowerCase()
    if (!TRANSPORT_HEADERS.has(key)) kept[key] = headers[name]!
  }
  return kept
}

function merge(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  return a && b ? { ...a, ...b } : (a ?? b)
}
