import { ErrorCode, type Message, type RequestId } from '@mcpx/core'
import type { Channel, ChannelEvents } from '../protocol/channel.js'
import { SseDecoder, WireFault } from '../protocol/sse-decoder.js'
import { delay, discard, readEventStream, readText } from './http-body.js'
import {
  type HttpSettings,
  INITIALIZED,
  isResponseTo,
  POST_HEADERS,
  StreamableHttpClient,
} from './streamable-http-client.js'

/** Sends held back while the session is re-initialized; beyond it they fail at once. */
const MAX_WAITING = 1024
/** Milliseconds `close()` gives the session's DELETE. */
const DELETE_TIMEOUT = 2000
/** Milliseconds a re-initialization may take before the channel gives up. */
const REINITIALIZE_TIMEOUT = 30_000
/** Longest wait between reconnection attempts, unless the server's `retry` asks for more. */
const MAX_BACKOFF = 30_000
const EXPIRED = 'expired the session and could not be re-initialized'
const GET_HEADERS = { accept: 'text/event-stream' }
const noEvents: ChannelEvents = { message() {}, close() {} }

const isSse = (response: Response) =>
  response.headers.get('content-type')?.startsWith('text/event-stream') === true

/**
 * One MCP session over Streamable HTTP: every send is its own POST (many in
 * flight at once), plus the standalone GET stream for what the server sends
 * outside any request.
 */
export class StreamableHttpChannel implements Channel {
  readonly #s: HttpSettings
  readonly #session: StreamableHttpClient
  #events = noEvents
  #closed = false
  #closing: Promise<void> | undefined
  /** Every fetch in flight, so `close()` can abort them all. */
  readonly #inflight = new Set<AbortController>()
  /** The POST of each request in flight, so that its cancellation stops the fetch too. */
  readonly #byRequest = new Map<RequestId, AbortController>()
  #reinit: Promise<boolean> | undefined
  #waiting = 0
  /** The standalone GET stream's controller while it runs; aborted last on close. */
  #listener: AbortController | undefined
  #noStandaloneStream = false

  constructor(settings: HttpSettings) {
    this.#s = settings
    this.#session = new StreamableHttpClient(settings)
  }

  start(events: ChannelEvents): Promise<void> {
    this.#events = events
    return Promise.resolve()
  }

  send(message: Message): void {
    if (this.#closed) return
    let id: RequestId | undefined
    if ('method' in message && 'id' in message) {
      id = message.id
      if (message.method === 'initialize') this.#session.initializing(message)
    }
    void this.#post(message, JSON.stringify(message), id, false)
    // MCP cancellation: after telling the server, stop reading the answer we no longer want.
    if ('method' in message && message.method === 'notifications/cancelled') {
      this.#byRequest.get(message.params?.requestId as RequestId)?.abort()
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    this.#closed = true
    const listener = this.#listener
    for (const controller of this.#inflight) if (controller !== listener) controller.abort()
    try {
      if (this.#session.sessionId !== undefined) await this.#delete()
    } finally {
      // After the DELETE, so a server that ends the GET stream with the session ends it cleanly:
      // aborting a streaming fetch makes Node's undici open a spare connection (nodejs/undici#5845).
      listener?.abort()
      this.#inflight.clear()
    }
  }

  /** Streamable HTTP §Session Management: a client that no longer needs the session SHOULD DELETE it. */
  async #delete(): Promise<void> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), DELETE_TIMEOUT)
    try {
      const response = await this.#session.fetch('DELETE', {}, undefined, controller.signal)
      await response.body?.cancel()
    } catch {
      // Best effort: the server expires the session on its own.
    } finally {
      clearTimeout(timer)
    }
  }

  async #post(
    message: Message,
    body: string,
    id: RequestId | undefined,
    retried: boolean,
  ): Promise<void> {
    if (this.#reinit) {
      if (this.#waiting >= MAX_WAITING)
        return this.#fail(message, id, 'has too many messages waiting')
      this.#waiting++
      const ok = await this.#reinit.finally(() => this.#waiting--)
      if (!ok) return this.#fail(message, id, EXPIRED)
    }
    const controller = new AbortController()
    this.#inflight.add(controller)
    if (id !== undefined) this.#byRequest.set(id, controller)
    const sessionId = this.#session.sessionId
    let reached = false
    try {
      const response = await this.#session.fetch('POST', POST_HEADERS, body, controller.signal)
      reached = true
      // Streamable HTTP §Session Management: 404 to a request with a session id means the
      // session is gone and the client MUST start a new one with a fresh initialize.
      if (response.status === 404 && sessionId !== undefined && !retried) {
        discard(response)
        if (!(await this.#reinitialize(sessionId))) return this.#fail(message, id, EXPIRED)
        // The replay sent its own notifications/initialized.
        if (id === undefined && (message as { method?: string }).method === INITIALIZED) return
        return await this.#post(message, body, id, true)
      }
      if (!response.ok) {
        discard(response)
        return this.#fail(message, id, `answered HTTP ${response.status}`)
      }
      if (id === undefined) {
        discard(response)
        if ((message as { method?: string }).method === INITIALIZED) void this.#listen()
        return
      }
      this.#session.answered(id, response)
      const unanswered = await this.#read(response, id, controller.signal)
      if (unanswered !== undefined) this.#fail(message, id, unanswered)
    } catch (error) {
      this.#fail(message, id, failure(error, reached))
    } finally {
      this.#inflight.delete(controller)
      if (id !== undefined && this.#byRequest.get(id) === controller) this.#byRequest.delete(id)
    }
  }

  /**
   * Streamable HTTP §Sending Messages: a request is answered with one JSON
   * body or an SSE stream. Returns why it was not answered, if it was not.
   */
  async #read(response: Response, id: RequestId, signal: AbortSignal): Promise<string | undefined> {
    const type = response.headers.get('content-type') ?? ''
    let answered: boolean
    if (type.startsWith('application/json')) {
      answered = this.#json(JSON.parse(await readText(response, this.#s.maxBodyBytes)), id)
    } else if (type.startsWith('text/event-stream')) {
      answered = await this.#postStream(response, id, signal)
    } else {
      discard(response)
      return `answered HTTP ${response.status} without a JSON or SSE body`
    }
    return answered ? undefined : 'ended the response without answering'
  }

  /** Deliver a JSON body (one message, or a batch); true if it answered request `id`. */
  #json(value: unknown, id: RequestId): boolean {
    if (!Array.isArray(value)) {
      this.#deliver(value, id)
      return isResponseTo(value, id)
    }
    let answered = false
    for (const message of value) {
      if (isResponseTo(message, id)) answered = true
      this.#deliver(message, id)
    }
    return answered
  }

  /**
   * Read a POST's SSE stream; everything on it is related to request `id`.
   * Streamable HTTP §Resumability (2025-11-25): a stream that ends before the
   * response, after an event id, is resumed with GET and `Last-Event-ID`.
   */
  async #postStream(response: Response, id: RequestId, signal: AbortSignal): Promise<boolean> {
    let answered = false
    const decoder = this.#decoder((message) => {
      if (isResponseTo(message, id)) answered = true
      this.#deliver(message, id)
    })
    let attempts = 0
    for (;;) {
      const before = decoder.progress
      try {
        await readEventStream(response.body!, decoder)
      } catch (error) {
        if (decoder.lastEventId === undefined || error instanceof WireFault) throw error
      }
      if (answered || decoder.lastEventId === undefined) return answered
      attempts = decoder.progress > before ? 1 : attempts + 1
      if (attempts > this.#s.maxReconnects) return false
      await delay(this.#backoff(decoder.retry, attempts), signal)
      response = await this.#get(decoder.lastEventId, signal)
      if (!response.ok || !isSse(response)) {
        discard(response)
        return false
      }
      decoder.reset()
    }
  }

  /**
   * Streamable HTTP §Listening for Messages from the Server: the standalone
   * GET stream, reconnected with backoff (and `Last-Event-ID`) when it drops.
   */
  async #listen(): Promise<void> {
    if (this.#listener || this.#noStandaloneStream || this.#closed) return
    const controller = new AbortController()
    this.#listener = controller
    this.#inflight.add(controller)
    const decoder = this.#decoder((message) => this.#deliver(message, undefined))
    let failures = 0
    try {
      while (!this.#closed) {
        const before = decoder.progress
        if (!(await this.#listenOnce(decoder, controller.signal)) || this.#closed) return
        failures = decoder.progress > before ? 0 : failures + 1
        if (failures > this.#s.maxReconnects) {
          this.#events.log?.(
            `standalone SSE stream of ${this.#s.describe} lost after ${failures} attempts`,
          )
          return
        }
        await delay(this.#backoff(decoder.retry, failures), controller.signal)
      }
    } catch {
      // Aborted by close().
    } finally {
      this.#listener = undefined
      this.#inflight.delete(controller)
    }
  }

  /** One GET stream until it ends; false when there is no point reconnecting. */
  async #listenOnce(decoder: SseDecoder, signal: AbortSignal): Promise<boolean> {
    const sessionId = this.#session.sessionId
    try {
      const response = await this.#get(decoder.lastEventId, signal)
      if (response.status === 405) {
        // The server offers no standalone stream: it sends everything on POST responses.
        discard(response)
        this.#noStandaloneStream = true
        return false
      }
      if (response.status === 404 && sessionId !== undefined) {
        discard(response)
        decoder.lastEventId = undefined
        return this.#reinitialize(sessionId)
      }
      if (!response.ok || !isSse(response)) discard(response)
      else {
        decoder.reset()
        await readEventStream(response.body!, decoder)
      }
    } catch {
      // A dropped stream: reconnected by the caller.
    }
    return true
  }

  #get(lastEventId: string | undefined, signal: AbortSignal): Promise<Response> {
    const fixed =
      lastEventId === undefined ? GET_HEADERS : { ...GET_HEADERS, 'last-event-id': lastEventId }
    return this.#session.fetch('GET', fixed, undefined, signal)
  }

  /** The server's `retry`, else the configured delay doubling with each failed attempt. */
  #backoff(retry: number | undefined, failures: number): number {
    const base = retry ?? this.#s.reconnectDelay
    return Math.min(base * 2 ** Math.max(0, failures - 1), Math.max(base, MAX_BACKOFF))
  }

  #decoder(onMessage: (message: unknown) => void): SseDecoder {
    return new SseDecoder(({ event, data }) => {
      if (event !== 'message') return
      let message: unknown
      try {
        message = JSON.parse(data)
      } catch {
        this.#events.log?.(`dropped an SSE event from ${this.#s.describe} that is not JSON`)
        return
      }
      onMessage(message)
    }, this.#s.maxBodyBytes)
  }

  #deliver(message: any, related: RequestId | undefined): void {
    if (this.#closed) return
    this.#session.observe(message)
    this.#events.message(message, related)
  }

  /** Start a new session after `stale` expired; concurrent callers share one attempt. */
  #reinitialize(stale: string): Promise<boolean> {
    if (this.#reinit) return this.#reinit
    if (this.#closed) return Promise.resolve(false)
    if (this.#session.sessionId !== stale) return Promise.resolve(true) // already replaced
    const controller = new AbortController()
    this.#inflight.add(controller)
    const timer = setTimeout(() => controller.abort(), REINITIALIZE_TIMEOUT)
    const attempt = this.#session.replay(controller.signal).then(
      (ok) => ok && !this.#closed,
      () => false,
    )
    this.#reinit = attempt.then((ok) => {
      clearTimeout(timer)
      this.#inflight.delete(controller)
      this.#reinit = undefined
      if (ok) {
        this.#events.log?.(`session with ${this.#s.describe} expired; re-initialized`)
        void this.#listen()
      } else if (!this.#closed) {
        this.#events.close(EXPIRED)
        void this.close()
      }
      return ok
    })
    return this.#reinit
  }

  /** Fail `message`: a request gets a -32010 response naming the upstream (never its body); others are logged. */
  #fail(message: Message, id: RequestId | undefined, reason: string): void {
    if (this.#closed) return
    const text = `Upstream ${this.#s.describe} ${reason}`
    if (id === undefined) {
      const what = 'method' in message ? message.method : 'a response'
      this.#events.log?.(`${text} (${what} was not delivered)`)
      return
    }
    this.#events.message({
      jsonrpc: '2.0',
      id,
      error: { code: ErrorCode.UpstreamUnavailable, message: text },
    })
  }
}

function failure(error: unknown, reached: boolean): string {
  if (error instanceof WireFault) return error.message
  if (error instanceof SyntaxError) return 'answered with invalid JSON'
  if (reached) return 'broke off the response'
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code
  return typeof code === 'string' && /^[A-Z_]+$/.test(code)
    ? `could not be reached (${code})`
    : 'could not be reached'
}
