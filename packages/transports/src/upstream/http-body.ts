/**
 * Body helpers for the HTTP connectors (Streamable HTTP, legacy SSE): read
 * an event stream into the decoder, read a bounded text body, release a
 * body, wait with a signal. Web APIs only: this code ships in the root entry.
 */
import { readBounded } from '../protocol/read-bounded.js'
import { type SseDecoder, WireFault } from '../protocol/sse-decoder.js'

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

/** The body as text, refusing more than `max` bytes without reading them all. */
export async function readText(response: Response, max: number): Promise<string> {
  const tooLarge = () => new WireFault(`answered with a body larger than ${max} bytes`)
  const length = response.headers.get('content-length')
  if (length !== null) {
    // undici holds the body to its declared length, so the header is a safe bound.
    if (Number(length) > max) {
      discard(response)
      throw tooLarge()
    }
    return response.text()
  }
  const text = await readBounded(response.body, max)
  if (text === undefined) throw tooLarge()
  return text
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

/** A wait that ends when opened, or after `ms` at the latest; its timer never keeps the process alive. */
export class Gate {
  readonly promise: Promise<void>
  #resolve!: () => void
  readonly #timer: ReturnType<typeof setTimeout>

  constructor(ms: number) {
    this.promise = new Promise((resolve) => {
      this.#resolve = resolve
    })
    this.#timer = setTimeout(() => this.open(), ms)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  open(): void {
    clearTimeout(this.#timer)
    this.#resolve()
  }
}
