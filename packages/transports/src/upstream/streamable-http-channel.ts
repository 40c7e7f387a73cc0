import type { Message, RequestId } from '@mcpx/core'
import { type Channel, type ChannelEvents, failRequest } from '../protocol/channel.js'
import { type SseEvent, WireFault } from '../protocol/sse-decoder.js'
import { discard, Gate, readText } from './http-body.js'
import { type Connection, readStream, type StreamEnd } from './sse-reconnect.js'
import {
  type HttpSettings,
  INITIALIZED,
  isResponseTo,
  isSse,
  POST_HEADERS,
  StreamableHttpClient,
} from './streamable-http-client.js'
import {
  CredentialsFault,
  EXPIRED,
  failure,
  faultText,
  guardHeaders,
  refusal,
  UNANSWERED,
  unanswered,
} from './streamable-http-reasons.js'

/** Sends held back while the session is re-initialized; beyond it they fail at once. */
const MAX_WAITING = 1024
/** Milliseconds a re-initialization may take before the channel gives up. */
const REINITIALIZE_TIMEOUT = 30_000
const noEvents: ChannelEvents = { message() {}, close() {} }
/** Most milliseconds a request waits for the GET stream to open after the handshake. */
const LISTEN_WAIT = 2000

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
  /** From the handshake until the GET stream is open: what the server sends on it must not be missed. */
  #listening: Gate | undefined

  constructor(settings: HttpSettings) {
    // A failing headers function (a token endpoint that is down) must not read as a network error.
    this.#s = { ...settings, headers: guardHeaders(settings.headers) }
    this.#session = new StreamableHttpClient(this.#s)
  }

  start(events: ChannelEvents): Promise<void> {
    this.#events = events
    return Promise.resolve()
  }

  send(message: Message, headers?: Readonly<Record<string, string>>): void {
    if (this.#closed) return
    let id: RequestId | undefined
    if ('method' in message && 'id' in message) {
      id = message.id
      if (message.method === 'initialize') this.#session.initializing(message)
    }
    if ('method' in message && message.method === INITIALIZED)
      this.#listening ??= new Gate(LISTEN_WAIT)
    void this.#post(message, JSON.stringify(message), id, false, headers)
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
    this.#listened()
    const listener = this.#listener
    for (const controller of this.#inflight) if (controller !== listener) controller.abort()
    try {
      if (this.#session.sessionId !== undefined) await this.#session.end()
    } finally {
      // After the DELETE, so a server that ends the GET stream with the session ends it cleanly:
      // aborting a streaming fetch makes Node's undici open a spare connection (nodejs/undici#5845).
      listener?.abort()
      this.#inflight.clear()
    }
  }

  async #post(
    message: Message,
    body: string,
    id: RequestId | undefined,
    retried: boolean,
    headers: Readonly<Record<string, string>> | undefined,
  ): Promise<void> {
    // A server may send on its GET stream as soon as a request arrives (a sampling request, say):
    // requests after the handshake wait (bounded) for that stream to be open.
    if (this.#listening && id !== undefined) await this.#listening.promise
    if (this.#reinit) {
      // The queue is the gateway's own limit, not the upstream's: -32011.
      if (this.#waiting >= MAX_WAITING)
        return this.#fail(message, id, 'has too many messages waiting', true)
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
      const response = await this.#session.fetch(
        'POST',
        POST_HEADERS,
        body,
        controller.signal,
        headers,
      )
      reached = true
      // Streamable HTTP §Session Management: 404 to a request with a session id means the
      // session is gone and the client MUST start a new one with a fresh initialize.
      if (response.status === 404 && sessionId !== undefined && !retried) {
        discard(response)
        if (!(await this.#reinitialize(sessionId))) return this.#fail(message, id, EXPIRED)
        // The replay sent its own notifications/initialized.
        if (id === undefined && (message as { method?: string }).method === INITIALIZED) return
        return await this.#post(message, body, id, true, headers)
      }
      if (!response.ok) {
        discard(response)
        if (response.status === 401) this.#s.refused?.()
        // No retry, whatever the status: the same credentials would be refused again.
        return this.#fail(message, id, refusal(response.status))
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
      // Cancelled (the Peer already settled the request) or closed: nobody waits for an answer.
      if (controller.signal.aborted) return
      if (error instanceof CredentialsFault) {
        this.#events.log?.(`${this.#s.describe} could not get its credentials: ${faultText(error)}`)
      }
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
      answered = this.#json(JSON.parse(await readText(response, this.#s.maxMessageBytes)), id)
    } else if (type.startsWith('text/event-stream')) {
      return unanswered(await this.#postStream(response, id, signal))
    } else {
      discard(response)
      return `answered HTTP ${response.status} without a JSON or SSE body`
    }
    return answered ? undefined : UNANSWERED
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
   * Read a POST's SSE stream; everything on it, resumed parts included, is
   * related to request `id`. Streamable HTTP §Resumability and Redelivery
   * (2025-11-25): a stream that drops before the response, after an event
   * id, is resumed with GET and `Last-Event-ID`; reading stops reconnecting
   * once the response is in, so it is delivered once.
   */
  #postStream(response: Response, id: RequestId, signal: AbortSignal): Promise<StreamEnd> {
    let answered = false
    return readStream({
      policy: this.#s,
      maxMessageBytes: this.#s.maxMessageBytes,
      signal,
      first: response.body!,
      resumeWithoutId: false,
      done: () => answered,
      onEvent: (event) =>
        this.#event(event, (message) => {
          if (isResponseTo(message, id)) answered = true
          this.#deliver(message, id)
        }),
      connect: (lastEventId, signal) => this.#session.resume(lastEventId!, signal),
    })
  }

  /**
   * Streamable HTTP §Listening for Messages from the Server: the standalone
   * GET stream, reconnected (with `Last-Event-ID` once the server gave ids)
   * by the same engine as a POST's stream.
   */
  async #listen(): Promise<void> {
    if (this.#listener || this.#noStandaloneStream || this.#closed) return this.#listened()
    const controller = new AbortController()
    this.#listener = controller
    this.#inflight.add(controller)
    try {
      const outcome = await readStream({
        policy: this.#s,
        maxMessageBytes: this.#s.maxMessageBytes,
        signal: controller.signal,
        resumeWithoutId: true,
        done: () => this.#closed,
        onEvent: (event) => this.#event(event, (message) => this.#deliver(message, undefined)),
        connect: (lastEventId, signal) => this.#listenOnce(lastEventId, signal),
      })
      if (outcome.end === 'exhausted' && !this.#closed) {
        this.#events.log?.(
          `standalone SSE stream of ${this.#s.describe} lost after ${outcome.reconnects} reconnections`,
        )
      }
    } catch (error) {
      // Aborted by close(), or the stream broke the framing.
      if (error instanceof WireFault) this.#events.log?.(`standalone SSE stream ${error.message}`)
    } finally {
      this.#listened()
      this.#listener = undefined
      this.#inflight.delete(controller)
    }
  }

  /** The GET stream is open, or will not be: requests need wait no longer. */
  #listened(): void {
    this.#listening?.open()
    this.#listening = undefined
  }

  /** Open the GET stream once, resuming after `lastEventId`. */
  async #listenOnce(lastEventId: string | undefined, signal: AbortSignal): Promise<Connection> {
    const sessionId = this.#session.sessionId
    const response = await this.#session.get(lastEventId, signal).finally(() => this.#listened())
    if (response.ok && isSse(response)) return response.body!
    discard(response)
    if (response.status === 405) {
      // The server offers no standalone stream: it sends everything on POST responses.
      this.#noStandaloneStream = true
      return { stop: 'offers no standalone stream' }
    }
    if (response.status === 401 || response.status === 403) {
      if (response.status === 401) this.#s.refused?.()
      // Reconnecting with the same credentials would only be refused again.
      const reason = refusal(response.status)
      this.#events.log?.(`standalone SSE stream of ${this.#s.describe}: ${reason}`)
      return { stop: reason }
    }
    // §Session Management: 404 means a new session, whose events the old id does not name.
    if (response.status === 404 && sessionId !== undefined) {
      return (await this.#reinitialize(sessionId)) ? 'restart' : { stop: EXPIRED }
    }
    return 'retry'
  }

  /** One SSE event: a `message` event holds one JSON-RPC message; other types are not MCP's. */
  #event({ event, data }: SseEvent, deliver: (message: unknown) => void): void {
    if (event !== 'message') return
    let message: unknown
    try {
      message = JSON.parse(data)
    } catch {
      this.#events.log?.(`dropped an SSE event from ${this.#s.describe} that is not JSON`)
      return
    }
    deliver(message)
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
        this.#events.reset?.()
        void this.#listen()
      } else if (!this.#closed) {
        this.#events.close(EXPIRED)
        void this.close()
      }
      return ok
    })
    return this.#reinit
  }

  /** Fail `message`: a request fails on its own (the owner names the upstream); others are logged. */
  #fail(message: Message, id: RequestId | undefined, reason: string, overloaded = false): void {
    if (this.#closed) return
    if (id !== undefined) {
      failRequest(this.#events, id, reason, overloaded)
      return
    }
    const what = 'method' in message ? message.method : 'a response'
    this.#events.log?.(`${this.#s.describe} ${reason} (${what} was not delivered)`)
  }
}
