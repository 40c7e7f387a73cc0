/**
 * The other side broke the framing or a size limit. Its `message` says what
 * happened in the gateway's words and never holds text from the wire.
 */
export class WireFault extends Error {}

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field; `message` when the event named none. */
  event: string
  data: string
  /** The last `id:` seen on the stream, if any. */
  id: string | undefined
}

const LF = 10
const CR = 13
const utf8 = new TextDecoder()

/**
 * The one `text/event-stream` decoder (HTML Living Standard §9.2.6
 * "Interpreting an event stream"), for every SSE stream mcpx reads: feed it
 * bytes in any chunking; it calls `onEvent` for each dispatched event. Lines
 * end in CRLF, LF or CR; `:` starts a comment; `data` lines join with `\n`.
 * Events without data, or with empty data (the priming event of MCP
 * 2025-11-25, which only carries an `id`), are not dispatched: they hold no
 * JSON-RPC message. It works on bytes, so `maxBytes` bounds real memory: a
 * line, or one event's data, longer than that throws {@link WireFault}.
 */
export class SseDecoder {
  /** The last `id` field seen: where a resumed stream continues (`Last-Event-ID`). */
  lastEventId: string | undefined
  /** The last valid `retry` field, in milliseconds. */
  retry: number | undefined
  /** Events dispatched and `id` fields seen, so the owner can tell a stream that carried anything. */
  progress = 0
  readonly #max: number
  readonly #onEvent: (event: SseEvent) => void
  /** The start of an unfinished line, in the chunks it arrived in (joined once, when it ends). */
  #parts: Uint8Array[] = []
  #partsLength = 0
  /** The last chunk ended in CR: a LF starting the next one belongs to it. */
  #skipLF = false
  #type = ''
  #data: string | undefined
  #dataBytes = 0

  constructor(onEvent: (event: SseEvent) => void, maxBytes = 64 * 1024 * 1024) {
    this.#onEvent = onEvent
    this.#max = maxBytes
  }

  /** Forget a half-read line or event (a new stream starts); keeps `lastEventId` and `retry`. */
  reset(): void {
    this.#parts = []
    this.#partsLength = 0
    this.#skipLF = false
    this.#type = ''
    this.#data = undefined
    this.#dataBytes = 0
  }

  push(chunk: Uint8Array): void {
    let start = 0
    if (this.#skipLF) {
      this.#skipLF = false
      if (chunk[0] === LF) start = 1
    }
    // CR and LF never occur inside a UTF-8 sequence, so every line decodes on its own.
    // Searching for each separately keeps the scan native (no per-byte loop).
    let lf = chunk.indexOf(LF, start)
    let cr = chunk.indexOf(CR, start)
    while (lf !== -1 || cr !== -1) {
      let end: number
      let next: number
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr
        next = cr + 1
        if (next === chunk.length) this.#skipLF = true
        else if (chunk[next] === LF) next++
      } else {
        end = lf
        next = lf + 1
      }
      this.#line(chunk, start, end)
      start = next
      if (lf !== -1 && lf < start) lf = chunk.indexOf(LF, start)
      if (cr !== -1 && cr < start) cr = chunk.indexOf(CR, start)
    }
    if (start === chunk.length) return
    this.#partsLength += chunk.length - start
    if (this.#partsLength > this.#max) {
      throw new WireFault(`sent an SSE line longer than ${this.#max} bytes`)
    }
    // Stream chunks are fresh buffers, so keeping a view of one is safe.
    this.#parts.push(start === 0 ? chunk : chunk.subarray(start))
  }

  #line(chunk: Uint8Array, start: number, end: number): void {
    let bytes = chunk.subarray(start, end)
    if (this.#partsLength > 0) {
      this.#parts.push(bytes)
      bytes = concat(this.#parts, this.#partsLength + bytes.length)
      this.#parts = []
      this.#partsLength = 0
    }
    if (bytes.length === 0) {
      this.#dispatch()
      return
    }
    if (bytes[0] === 58) return // ':' comment (keep-alives)
    const line = utf8.decode(bytes)
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value =
      colon === -1 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1)
    switch (field) {
      case 'data':
        this.#dataBytes += bytes.length
        if (this.#dataBytes > this.#max) {
          throw new WireFault(`sent an SSE event larger than ${this.#max} bytes`)
        }
        this.#data = this.#data === undefined ? value : `${this.#data}\n${value}`
        break
      case 'event':
        this.#type = value
        break
      case 'id':
        if (!value.includes('\0')) {
          this.lastEventId = value
          this.progress++
        }
        break
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value)
        break
    }
  }

  #dispatch(): void {
    const data = this.#data
    const type = this.#type
    this.#data = undefined
    this.#dataBytes = 0
    this.#type = ''
    if (data === undefined || data === '') return
    this.progress++
    this.#onEvent({ event: type === '' ? 'message' : type, data, id: this.lastEventId })
  }
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const all = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    all.set(part, offset)
    offset += part.length
  }
  return all
}
