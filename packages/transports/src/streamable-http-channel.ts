import { ErrorCode, type Message, type Request, type RequestId } from '@mcpx/core'
import type { Channel, ChannelEvents } from './channel.js'
import { delay, discard, readEventStream, readText, SseDecoder, UpstreamFault } from './streamable-http-sse.js'

/** Headers for one HTTP request, lower-case names, protocol headers already removed. */
export type HeaderSource = () => Record<string, string> | Promise<Record<string, string>>

/** What {@link streamableHttp} resolved from its options. */
export interface ChannelSettings {
  /** The endpoint, without userinfo. */
  url: string
  describe: string
  headers: HeaderSource
  fetch: typeof fetch
  maxBodyBytes: number
  reconnectDelay: number
  maxReconnects: number
}

/** Sends held back while the session is re-initialized; beyond it they fail at once. */
const MAX_WAITING = 1024
/** Milliseconds `close()` gives the session's DELETE. */
const DELETE_TIMEOUT = 2000
/** Longest wait between reconnection attempts, unless the server's `retry` asks for more. */
const MAX_BACKOFF = 30_000
const POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
const GET_HEADERS = { accept: 'text/event-stream' }
const noEvents: ChannelEvents = { message() {}, close() {} }

const isSse = (response: Response) => response.headers.get('content-type')?.startsWith('text/event-stream') === true
const isResponseTo = (message: any, id: RequestId) =>
  typeof message === 'object' && message !== null && message.id === id && !('method' in message)

/**
 * One MCP session over Streamable HTTP: every send is its own POST (many in
 * flight at once), plus the standalone GET stream for what the server sends
 * outside any request.
 */
export class StreamableHttpChannel implements Channel {
  readonly #s: ChannelSettings
  #events = noEvents
  #closed = false
  #closing: Promise<void> | undefined
  /** Every fetch in flight, so `close()` can abort them all. */
  readonly #inflight = new Set<AbortController>()
  #sessionId: string | undefined
  #protocolVersion: string | undefined
  /** The client's `initialize`, replayed when the session expires. */
  #initialize: Request | undefined
  /** The id of that `initialize` until its answer has passed through. */
  #initId: RequestId | undefined
  #reinit: Promise<boolean> | undefined
  #reinits = 0
  #waiting = 0
  #listening = false
  #noStandaloneStream = false

  constructor(settings: ChannelSettings) {
    this.#s = settings
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
      if (message.method === 'initialize') {
        this.#initialize = message
        this.#initId = id
      }
    }
    void this.#post(message, JSON.stringify(message), id, false)
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    this.#closed = true
    for (const controller of this.#inflight) controller.abort()
    this.#inflight.clear()
    const sessionId = this.#sessionId
    if (sessionId === undefined) return
    // Streamable HTTP §Session Management: a client that no longer needs the session SHOULD DELETE it.
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), DELETE_TIMEOUT)
    try {
      const headers = await this.#headers({})
      const response = await this.#s.fetch(this.#s.url, { method: 'DELETE', headers, signal: controller.signal, redirect: 'manual' })
      await response.body?.cancel()
    } catch {
      // Best effort: the server expires the session on its own.
    } finally {
      clearTimeout(timer)
    }
  }

  async #post(message: Message, body: string, id: RequestId | undefined, retried: boolean): Promise<void> {
    if (this.#reinit) {
      if (this.#waiting >= MAX_WAITING) return this.#fail(message, id, 'is re-initializing its session and too many messages are waiting')
      this.#waiting++
      const ok = await this.#reinit.finally(() => this.#waiting--)
      if (!ok) return this.#fail(message, id, 'expired the session and could not be re-initialized')
    }
    const controller = new AbortController()
    this.#inflight.add(controller)
    const sessionId = this.#sessionId
    let reached = false
    try {
      const headers = await this.#headers(POST_HEADERS)
      const response = await this.#s.fetch(this.#s.url, { method: 'POST', headers, body, signal: controller.signal, redirect: 'manual' })
      reached = true
      // Streamable HTTP §Session Management: 404 to a request with a session id means the session
      // is gone and the client MUST start a new one with a fresh initialize.
      if (response.status === 404 && sessionId !== undefined && !retried) {
        discard(response)
        if (!(await this.#reinitialize(sessionId))) return this.#fail(message, id, 'expired the session and could not be re-initialized')
        return await this.#post(message, body, id, true)
      }
      if (!response.ok) {
        discard(response)
        return this.#fail(message, id, `answered HTTP ${response.status}`)
      }
      if (id === undefined) {
        discard(response)
        if ((message as { method?: string }).method === 'notifications/initialized') void this.#listen()
        return
      }
      if (id === this.#initId) {
        const session = response.headers.get('mcp-session-id')
        if (session) this.#sessionId = session
      }
      // Streamable HTTP §Sending Messages: a request is answered with one JSON body or an SSE stream.
      const type = response.headers.get('content-type') ?? ''
      let answered: boolean
      if (type.startsWith('application/json')) answered = this.#json(JSON.parse(await readText(response, this.#s.maxBodyBytes)), id)
      else if (type.startsWith('text/event-stream')) answered = await this.#postStream(response, id, controller.signal)
      else {
        discard(response)
        return this.#fail(message, id, `answered HTTP ${response.status} without a JSON or SSE body`)
      }
      if (!answered) this.#fail(message, id, 'ended the response without answering')
    } catch (error) {
      this.#fail(message, id, failure(error, reached))
    } finally {
      this.#inflight.delete(controller)
    }
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
        if (decoder.lastEventId === undefined || error instanceof UpstreamFault) throw error
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

  /** Streamable HTTP §Listening for Messages from the Server: the standalone GET stream. */
  async #listen(): Promise<void> {
    if (this.#listening || this.#noStandaloneStream || this.#closed) return
    this.#listening = true
    const controller = new AbortController()
    this.#inflight.add(controller)
    const decoder = this.#decoder((message) => this.#deliver(message, undefined))
    let failures = 0
    try {
      while (!this.#closed) {
        const sessionId = this.#sessionId
        const before = decoder.progress
        try {
          const response = await this.#get(decoder.lastEventId, controller.signal)
          if (response.status === 405) {
            // The server offers no standalone stream; it sends everything on POST responses.
            discard(response)
            this.#noStandaloneStream = true
            return
          }
          if (response.status === 404 && sessionId !== undefined) {
            discard(response)
            if (!(await this.#reinitialize(sessionId))) return
            decoder.lastEventId = undefined
            continue
          }
          if (response.ok && isSse(response)) {
            decoder.reset()
            await readEventStream(response.body!, decoder)
          } else discard(response)
        } catch {
          if (this.#closed) return
        }
        failures = decoder.progress > before ? 0 : failures + 1
        if (failures > this.#s.maxReconnects) {
          this.#events.log?.(`standalone SSE stream of ${this.#s.describe} lost after ${failures} attempts`)
          return
        }
        await delay(this.#backoff(decoder.retry, failures), controller.signal)
      }
    } catch {
      // Aborted by close().
    } finally {
      this.#listening = false
      this.#inflight.delete(controller)
    }
  }

  #get(lastEventId: string | undefined, signal: AbortSignal): Promise<Response> {
    return this.#headers(lastEventId === undefined ? GET_HEADERS : { ...GET_HEADERS, 'last-event-id': lastEventId }).then(
      (headers) => this.#s.fetch(this.#s.url, { method: 'GET', headers, signal, redirect: 'manual' }),
    )
  }

  /** The server's `retry`, else the configured delay doubling with each failed attempt. */
  #backoff(retry: number | undefined, failures: number): number {
    const base = retry ?? this.#s.reconnectDelay
    return Math.min(base * 2 ** Math.max(0, failures - 1), Math.max(base, MAX_BACKOFF))
  }

  #decoder(onMessage: (message: unknown) => void): SseDecoder {
    return new SseDecoder(this.#s.maxBodyBytes, (type, data) => {
      if (type !== 'message') return
      let message: unknown
      try {
        message = JSON.parse(data)
      } catch {
        this.#events.log?.(`dropped an SSE event from ${this.#s.describe} that is not JSON`)
        return
      }
      onMessage(message)
    })
  }

  #deliver(message: any, related: RequestId | undefined): void {
    if (this.#closed) return
    if (this.#initId !== undefined && isResponseTo(message, this.#initId)) {
      this.#initId = undefined
      this.#takeVersion(message.result)
    }
    this.#events.message(message, related)
  }

  #takeVersion(result: any): void {
    const version = result?.protocolVersion
    // Checked because it becomes a header value, and an invalid one would make every fetch throw.
    if (typeof version === 'string' && /^[\w.-]{1,64}$/.test(version)) this.#protocolVersion = version
  }

  /** Start a new session after `stale` expired; concurrent callers share one attempt. */
  #reinitialize(stale: string): Promise<boolean> {
    if (this.#reinit) return this.#reinit
    if (this.#closed) return Promise.resolve(false)
    if (this.#sessionId !== stale) return Promise.resolve(true) // already replaced
    const attempt = this.#replayInitialize().then((ok) => {
      this.#reinit = undefined
      if (ok) void this.#listen()
      else if (!this.#closed) {
        this.#events.close('expired the session and could not be re-initialized')
        void this.close()
      }
      return ok
    })
    this.#reinit = attempt
    return attempt
  }

  /** Replay the client's `initialize` (fresh id, answer kept here) and `notifications/initialized`. */
  async #replayInitialize(): Promise<boolean> {
    const initialize = this.#initialize
    if (!initialize) return false
    this.#sessionId = undefined
    this.#protocolVersion = undefined
    const id = `mcpx-reinitialize-${++this.#reinits}`
    const controller = new AbortController()
    this.#inflight.add(controller)
    try {
      const request = { method: 'POST', body: JSON.stringify({ ...initialize, id }), signal: controller.signal, redirect: 'manual' } as const
      const response = await this.#s.fetch(this.#s.url, { ...request, headers: await this.#headers(POST_HEADERS) })
      let result: any
      const take = (message: any) => {
        if (isResponseTo(message, id)) result = message.result
      }
      const type = response.headers.get('content-type') ?? ''
      if (response.ok && type.startsWith('application/json')) take(JSON.parse(await readText(response, this.#s.maxBodyBytes)))
      else if (response.ok && type.startsWith('text/event-stream')) await readEventStream(response.body!, this.#decoder(take))
      else discard(response)
      const sessionId = response.headers.get('mcp-session-id')
      if (!result || this.#closed) return false
      this.#sessionId = sessionId ?? undefined
      this.#takeVersion(result)
      const body = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })
      const ack = await this.#s.fetch(this.#s.url, { ...request, body, headers: await this.#headers(POST_HEADERS) })
      discard(ack)
      if (ack.ok) this.#events.log?.(`session with ${this.#s.describe} expired; re-initialized`)
      return ack.ok
    } catch {
      return false
    } finally {
      this.#inflight.delete(controller)
    }
  }

  async #headers(fixed: Record<string, string>): Promise<Record<string, string>> {
    const user = this.#s.headers()
    const headers: Record<string, string> = { ...(user instanceof Promise ? await user : user), ...fixed }
    if (this.#sessionId !== undefined) headers['mcp-session-id'] = this.#sessionId
    if (this.#protocolVersion !== undefined) headers['mcp-protocol-version'] = this.#protocolVersion
    return headers
  }

  /** Fail `message`: a request gets a -32010 response naming the upstream (never its body); others are logged. */
  #fail(message: Message, id: RequestId | undefined, reason: string): void {
    if (this.#closed) return
    const text = `Upstream ${this.#s.describe} ${reason}`
    if (id !== undefined) this.#events.message({ jsonrpc: '2.0', id, error: { code: ErrorCode.UpstreamUnavailable, message: text } })
    else this.#events.log?.(`${text} (${'method' in message ? message.method : 'a response'} was not delivered)`)
  }
}

function failure(error: unknown, reached: boolean): string {
  if (error instanceof UpstreamFault) return error.message
  if (error instanceof SyntaxError) return 'answered with invalid JSON'
  if (reached) return 'broke off the response'
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? `could not be reached (${code})` : 'could not be reached'
}
