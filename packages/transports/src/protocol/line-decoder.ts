/**
 * Newline-delimited JSON framing (MCP stdio transport: one message per
 * line, no embedded newlines). Feed it chunks; it calls `onLine` with each
 * complete line's parsed value, or `onInvalid` with a line that is not JSON.
 * A line longer than `maxLineBytes` is a protocol violation: `onInvalid` is
 * called and the buffer dropped, so memory stays bounded.
 */
export class LineDecoder {
  /** The start of an unfinished line, in the chunks it arrived in (joined once, when it ends). */
  #parts: Buffer[] = []
  #partsLength = 0
  readonly #maxLineBytes: number
  readonly #onLine: (value: unknown) => void
  readonly #onInvalid: (reason: string) => void

  constructor(
    onLine: (value: unknown) => void,
    onInvalid: (reason: string) => void,
    maxLineBytes = 64 * 1024 * 1024,
  ) {
    this.#onLine = onLine
    this.#onInvalid = onInvalid
    this.#maxLineBytes = maxLineBytes
  }

  push(chunk: Buffer): void {
    let start = 0
    let end = chunk.indexOf(10)
    if (this.#partsLength > 0 && end !== -1) {
      this.#parts.push(chunk.subarray(0, end))
      const line = Buffer.concat(this.#parts)
      this.#parts = []
      this.#partsLength = 0
      this.#line(line, 0, line.length)
      start = end + 1
      end = chunk.indexOf(10, start)
    }
    while (end !== -1) {
      this.#line(chunk, start, end)
      start = end + 1
      end = chunk.indexOf(10, start)
    }
    if (start === chunk.length) return
    this.#partsLength += chunk.length - start
    if (this.#partsLength > this.#maxLineBytes) {
      this.#parts = []
      this.#partsLength = 0
      this.#onInvalid(`a line exceeded ${this.#maxLineBytes} bytes`)
      return
    }
    // Stream chunks are fresh buffers, so keeping a view of one is safe.
    this.#parts.push(start === 0 ? chunk : chunk.subarray(start))
  }

  #line(data: Buffer, start: number, end: number): void {
    if (end > start && data[end - 1] === 13) end-- // tolerate CRLF
    if (end === start) return
    const text = data.toString('utf8', start, end)
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      this.#onInvalid(`not JSON: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`)
      return
    }
    this.#onLine(value)
  }
}

/** Serialise one message as a line. */
export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`
}
