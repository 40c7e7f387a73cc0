/**
 * Wire helpers for the Streamable HTTP connector: an incremental
 * `text/event-stream` decoder, bounded body reading and an abortable delay.
 * Web APIs only (no `node:` imports): this code ships in the root entry.
 */

/** A response the upstream got wrong; `message` completes "Upstream <url> …" and holds no upstream text. */
export class UpstreamFault extends Error {}

/**
 * Incremental `text/event-stream` decoder (WHATWG HTML §9.2 "Server-sent
 * events", parsing rules): lines end in CRLF, LF or CR; `:` starts a
 * comment; `data` lines join with `\n`. Events without data, or with empty
 * data (the priming event of MCP 2025-11-25, which only carries an `id`),
 * are not dispatched: they hold no JSON-RPC message. One line or one event's
 * data longer than `maxLength` characters throws {@link UpstreamFault}, so
 * memory stays bounded whatever the server sends.
 */
export class SseDecoder {
  /** The last `id` field seen: where a resumed stream continues (`Last-Event-ID`). */
  lastEventId: string | undefined
  /** The last valid `retry` field, in milliseconds. */
  retry: number | undefined
  /** Events dispatched and `id` fields seen, so the owner can tell a stream that carried anything. */
  progress = 0
  readonly #maxLength: number
  readonly #onEvent: (type: string, data: string) => void
  #text = new TextDecoder()
  /** The start of an unfinished line, in the pieces it arrived in (joined once, when it ends). */
  #parts: string[] = []
  #partsLength = 0
  /** The last chunk ended in CR: a LF starting the next one belongs to it. */
  #skipLF = false
  #type = ''
  #data: string | undefined

  constructor(maxLength: number, onEvent: (type: string, data: string) => void) {
    this.#maxLength = maxLength
    this.#onEvent = onEvent
  }

  /** Forget a half-read line or event (a new stream starts); keeps `lastEventId` and `retry`. */
  reset(): void {
    this.#text = new TextDecoder()
    this.#parts = []
    this.#partsLength = 0
    this.#skipLF = false
    this.#type = ''
    this.#data = undefined
  }

  push(chunk: Uint8Array): void {
    const text = this.#text.decode(chunk, { stream: true })
    let start = 0
    if (this.#skipLF) {
      this.#skipLF = false
      if (text.charCodeAt(0) === 10) start = 1
    }
    // Searching for LF and CR separately keeps the scan native (no per-character loop).
    let lf = text.indexOf('\n', start)
    let cr = text.indexOf('\r', start)
    while (lf !== -1 || cr !== -1) {
      let end: number
      let next: number
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr
        next = cr + 1
        if (next === text.length) this.#skipLF = true
        else if (text.charCodeAt(next) === 10) next++
      } else {
        end = lf
        next = lf + 1
      }
      let line = text.slice(start, end)
      if (this.#partsLength > 0) {
        this.#parts.push(line)
        line = this.#parts.join('')
        this.#parts = []
        this.#partsLength = 0
      }
      this.#line(line)
      start = next
      if (lf !== -1 && lf < start) lf = text.indexOf('\n', start)
      if (cr !== -1 && cr < start) cr = text.indexOf('\r', start)
    }
    if (start === text.length) return
    this.#partsLength += text.length - start
    if (this.#partsLength > this.#maxLength) {
      throw new UpstreamFault(`sent an SSE line longer than ${this.#maxLength} bytes`)
    }
    this.#parts.push(start === 0 ? text : text.slice(start))
  }

  #line(line: string): void {
    if (line === '') {
      this.#dispatch()
      return
    }
    if (line.charCodeAt(0) === 58) return // ':' comment (keep-alives)
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value =
      colon === -1 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1)
    switch (field) {
      case 'data':
        this.#data = this.#data === undefined ? value : `${this.#data}\n${value}`
        if (this.#data.length > this.#maxLength) {
          throw new UpstreamFault(`sent an SSE event larger than ${this.#maxLength} bytes`)
        }
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
    this.#type = ''
    if (data === undefined || data === '') return
    this.progress++
    this.#onEvent(type === '' ? 'message' : type, data)
  }
}

/** Feed a response body to `decoder` until it ends. Cancels the body if the decoder throws. */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  decoder: SseDecoder,
): Promise<void> {
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      decoder.push(value)
    }
  } catch (error) {
    reader.cancel().catch(() => {})
    throw error
  } finally {
    reader.releaseLock()
  }
}

const utf8 = new TextDecoder()

/** The body as text, refusing more than `max` bytes without reading them all. */
export async function readText(response: Response, max: number): Promise<string> {
  const tooLarge = () => new UpstreamFault(`answered with a body larger than ${max} bytes`)
  const length = response.headers.get('content-length')
  if (length !== null) {
    // undici holds the body to its declared length, so the header is a safe bound.
    if (Number(length) > max) {
      discard(response)
      throw tooLarge()
    }
    return response.text()
  }
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return utf8.decode(chunks[0])
  const all = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.byteLength
  }
  return utf8.decode(all)
}

/** Release a body we do not read (a 202's empty one, an error page). */
export function discard(response: Response): void {
  response.body?.cancel().catch(() => {})
}

/** Wait `ms`, or reject as soon as `signal` aborts; leaves no timer behind either way. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
