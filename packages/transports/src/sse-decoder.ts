/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field; `message` when the event named none. */
  event: string
  data: string
  /** The last `id:` seen on the stream, if any. */
  id: string | undefined
}

/**
 * A `text/event-stream` parser (HTML Living Standard §9.2.6 "Interpreting an
 * event stream"): feed it decoded text in any chunking; it calls `onEvent`
 * for each dispatched event. Memory stays bounded: a line, or an event's
 * data, longer than `maxEventLength` characters calls `onInvalid` and stops
 * the decoder for good (the stream cannot be resynchronised safely).
 * `retry:` is ignored: mcpx does not reconnect a dropped stream.
 */
export class SseDecoder {
  readonly #onEvent: (event: SseEvent) => void
  readonly #onInvalid: (reason: string) => void
  readonly #max: number
  readonly #eol = /\r\n?|\n/g
  /** The unfinished last line, in the chunks it arrived in. */
  #parts: string[] = []
  #partsLength = 0
  /** A chunk ended in CR: a LF starting the next one belongs to that line ending. */
  #skipLF = false
  #type = ''
  #data: string[] = []
  #dataLength = 0
  #id: string | undefined
  #failed = false

  constructor(
    onEvent: (event: SseEvent) => void,
    onInvalid: (reason: string) => void,
    maxEventLength = 64 * 1024 * 1024,
  ) {
    this.#onEvent = onEvent
    this.#onInvalid = onInvalid
    this.#max = maxEventLength
  }

  push(text: string): void {
    if (this.#failed || text === '') return
    if (this.#skipLF) {
      this.#skipLF = false
      if (text.charCodeAt(0) === 10) text = text.slice(1)
    }
    const eol = this.#eol
    eol.lastIndex = 0
    let start = 0
    for (let match = eol.exec(text); match !== null; match = eol.exec(text)) {
      let line = text.slice(start, match.index)
      if (this.#parts.length > 0) {
        this.#parts.push(line)
        line = this.#parts.join('')
        this.#parts = []
        this.#partsLength = 0
      }
      this.#line(line)
      if (this.#failed) return
      start = eol.lastIndex
      if (match[0] === '\r' && start === text.length) this.#skipLF = true
    }
    if (start === text.length) return
    this.#partsLength += text.length - start
    if (this.#partsLength > this.#max) {
      this.#fail(`a line exceeded ${this.#max} characters`)
      return
    }
    // Joined once, when the line ends: appending chunk by chunk would copy a long line over and over.
    this.#parts.push(start === 0 ? text : text.slice(start))
  }

  #line(line: string): void {
    if (line === '') {
      this.#dispatch()
      return
    }
    if (line.charCodeAt(0) === 58) return // ":" starts a comment (keep-alives)
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    switch (field) {
      case 'event':
        this.#type = value
        return
      case 'data':
        this.#dataLength += value.length + 1
        if (this.#dataLength > this.#max + 1) {
          this.#fail(`an event exceeded ${this.#max} characters`)
          return
        }
        this.#data.push(value)
        return
      case 'id':
        if (!value.includes('\0')) this.#id = value
        return
    }
  }

  #dispatch(): void {
    const type = this.#type
    const data = this.#data
    this.#type = ''
    this.#data = []
    this.#dataLength = 0
    // §9.2.6: an event without data is not dispatched.
    if (data.length === 0) return
    this.#onEvent({
      event: type || 'message',
      data: data.length === 1 ? data[0]! : data.join('\n'),
      id: this.#id,
    })
  }

  #fail(reason: string): void {
    this.#failed = true
    this.#parts = []
    this.#data = []
    this.#onInvalid(reason)
  }
}
