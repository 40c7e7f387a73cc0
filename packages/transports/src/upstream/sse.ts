import { ErrorCode, McpxError, type Message } from '@mcpx/core'
import {
  type Channel,
  type ChannelEvents,
  type Connector,
  failRequest,
} from '../protocol/channel.js'
import { SseDecoder, type SseEvent, WireFault } from '../protocol/sse-decoder.js'
import { maxMessageBytesOption } from './connector-options.js'
import { messageHeadersOut } from './streamable-http-client.js'
import { invalidator, NO_CREDENTIALS, refusal } from './streamable-http-reasons.js'
import { upstreamUrl, withAuthorization } from './url.js'

type HeaderRecord = Readonly<Record<string, string>>

/** Options for {@link sse}. */
export interface SseOptions {
  /**
   * The server's SSE endpoint (`http:` or `https:`). Credentials in its
   * userinfo (`https://user:secret@host/sse`) are sent as HTTP Basic
   * authorization, unless `headers` sets `Authorization`; neither they nor
   * the query string appear in `describe`, logs or error messages.
   */
  url: string | URL
  /**
   * Sent with the GET and with every POST: the gateway's own credentials
   * for this server (`authorization`, API keys), never a client's. A
   * record, or a function called before each HTTP request (a rotating
   * token: the GET stream keeps the one it opened with). A function that
   * throws fails that request with `could not get its credentials`.
   *
   * A 401 or 403 fails the request with `refused the gateway's credentials
   * (HTTP 401)` (or 403), without a retry; on the GET it ends the
   * connection. On a 401 (RFC 6750 §3.1 `invalid_token`: the token itself
   * is refused) the function's `invalidate()` method, if it has one (as
   * `clientCredentials()` of `@mcpx/auth` does), is called once, so that a
   * later request carries a new token; its errors are ignored. A 403 says
   * the client may not do this, which a new token would not change.
   * @defaultValue `{}`
   */
  headers?: HeaderRecord | (() => HeaderRecord | Promise<HeaderRecord>)
  /** Names the upstream in logs (clients only ever see its name). @defaultValue the URL's origin and path, without its query */
  describe?: string
  /**
   * Largest message the server may send, in bytes: one SSE line or event.
   * A bigger one ends the connection.
   * @defaultValue 64 MiB
   */
  maxMessageBytes?: number
  /**
   * The `fetch` to use. Node's global `fetch` ends a response body after
   * 300 s without a byte (undici's `bodyTimeout`): against a server that
   * sends no keep-alives, pass undici's `fetch` with an `Agent({ bodyTimeout: 0 })`.
   * @defaultValue `globalThis.fetch`
   */
  fetch?: typeof globalThis.fetch
}

interface Settings {
  url: URL
  headers: () => Promise<Record<string, string>>
  /** Called once per response refused with 401: the `headers` function's `invalidate`, if it has one. */
  refused: (() => void) | undefined
  maxMessageBytes: number
  fetch: typeof globalThis.fetch
}

/**
 * Connect to an MCP server over the HTTP+SSE transport of protocol
 * 2024-11-05: a GET opens the server's event stream, whose first `endpoint`
 * event names the URL to POST each message to; the server's messages
 * arrive as `message` events. When the stream ends, the connection ends and
 * every request pending on it fails at once.
 *
 * @example
 * ```ts
 * const legacy = upstream('legacy', sse({ url: 'http://127.0.0.1:3001/sse', headers: { authorization: `Bearer ${token}` } }))
 * ```
 */
export function sse(options: SseOptions): Connector {
  const { url, describe, authorization } = upstreamUrl(options?.url, 'sse', ['http:', 'https:'])
  const settings: Settings = {
    url,
    headers: headerSource(options.headers ?? {}, authorization),
    refused: invalidator(options.headers),
    maxMessageBytes: maxMessageBytesOption('sse', options.maxMessageBytes, 64 * 1024 * 1024),
    fetch: options.fetch ?? globalThis.fetch,
  }
  return {
    transport: 'sse',
    describe: options.describe ?? describe,
    open: () => new SseChannel(settings),
  }
}

function headerSource(
  headers: NonNullable<SseOptions['headers']>,
  basic: string | undefined,
): Settings['headers'] {
  if (typeof headers === 'function') {
    return async () => withAuthorization(await headers(), basic)
  }
  if (typeof headers !== 'object' || headers === null) {
    throw new TypeError('[@mcpx/transports] sse(): headers must be a record or a function')
  }
  const fixed = withAuthorization({ ...headers }, basic)
  return async () => fixed
}

/** A short, address-free reason for a network failure (the full text goes to the log). */
function errorText(error: unknown): string {
  const { code, name } = ((error as { cause?: unknown })?.cause ?? error ?? {}) as {
    code?: unknown
    name?: unknown
  }
  if (typeof code === 'string') return code
  return typeof name === 'string' ? name : 'network error'
}

/** The caller's headers with one set by us, whatever case the caller spelled it in. */
function withHeader(headers: HeaderRecord | Headers, name: string, value: string): Headers {
  const all = new Headers(headers)
  all.set(name, value)
  return all
}

/** A message's own headers (the transport's own left out) with `headers` set over them, names compared case-insensitively. */
function under(extra: Readonly<Record<string, string>>, headers: HeaderRecord): Headers {
  const all = new Headers(messageHeadersOut(extra))
  for (const [name, value] of new Headers(headers)) all.set(name, value)
  return all
}

class SseChannel implements Channel {
  readonly #settings: Settings
  readonly #abort = new AbortController()
  #events: ChannelEvents | undefined
  #endpoint: URL | undefined
  #ended = false
  #ready: { resolve(): void; reject(error: McpxError): void } | undefined
  #reading: Promise<void> = Promise.resolve()
  /** POSTs go out one at a time: the transport has no sequence numbers, and concurrent POSTs may overtake each other. */
  #posting: Promise<void> = Promise.resolve()

  constructor(settings: Settings) {
    this.#settings = settings
  }

  start(events: ChannelEvents): Promise<void> {
    this.#events = events
    return new Promise((resolve, reject) => {
      this.#ready = { resolve, reject }
      this.#reading = this.#read()
    })
  }

  send(message: Message, extra?: Readonly<Record<string, string>>): void {
    const endpoint = this.#endpoint
    if (this.#ended || !endpoint) return
    this.#posting = this.#posting.then(() => this.#post(endpoint, message, extra))
  }

  async close(): Promise<void> {
    this.#end('connection closed')
    await Promise.all([this.#reading, this.#posting])
  }

  /** End once: tell the owner why, fail a pending `start`, and drop the stream and every POST in flight. */
  #end(reason: string): void {
    if (this.#ended) return
    this.#ended = true
    // Close first: the owner names the upstream in the error a pending `start` fails with.
    this.#events?.close(reason)
    this.#ready?.reject(new McpxError(ErrorCode.UpstreamUnavailable, `Upstream ${reason}`))
    this.#ready = undefined
    this.#abort.abort()
  }

  #failed(what: string, error: unknown): void {
    if (this.#ended) return
    const cause = (error as { cause?: { message?: string } })?.cause?.message
    this.#events?.log?.(`${what}: ${(error as Error)?.message}${cause ? ` (${cause})` : ''}`)
    this.#end(`${what} (${errorText(error)})`)
  }

  /** The configured headers, or undefined (logged) when the function failed. */
  async #headers(): Promise<HeaderRecord | undefined> {
    try {
      return await this.#settings.headers()
    } catch (error) {
      this.#events?.log?.(`${NO_CREDENTIALS}: ${(error as Error)?.message ?? String(error)}`)
      return undefined
    }
  }

  async #read(): Promise<void> {
    const { url, fetch, maxMessageBytes } = this.#settings
    const headers = await this.#headers()
    if (headers === undefined) return this.#end(NO_CREDENTIALS)
    let response: Response
    try {
      response = await fetch(url, {
        headers: withHeader(headers, 'accept', 'text/event-stream'),
        // A redirect could take the headers (credentials) elsewhere.
        redirect: 'manual',
        signal: this.#abort.signal,
      })
    } catch (error) {
      this.#failed('could not be reached', error)
      return
    }
    const type = response.headers.get('content-type')?.toLowerCase() ?? ''
    if (response.status !== 200 || !type.startsWith('text/event-stream') || !response.body) {
      response.body?.cancel().catch(() => {})
      if (response.status === 401) this.#settings.refused?.()
      if (response.status === 401 || response.status === 403)
        return this.#end(refusal(response.status))
      const what =
        response.status === 200 ? `a ${type || 'body without type'}` : `HTTP ${response.status}`
      this.#end(`answered the SSE request with ${what}`)
      return
    }
    const decoder = new SseDecoder((event) => this.#event(event), maxMessageBytes)
    const reader = response.body.getReader()
    try {
      while (!this.#ended) {
        const chunk = await reader.read()
        if (chunk.done) break
        decoder.push(chunk.value)
      }
      this.#end('closed the SSE stream')
    } catch (error) {
      if (error instanceof WireFault) this.#end(`sent an invalid event stream (${error.message})`)
      else this.#failed('SSE stream failed', error)
    } finally {
      reader.cancel().catch(() => {})
    }
  }

  #event(event: SseEvent): void {
    if (event.event === 'endpoint') {
      this.#announce(event.data)
      return
    }
    if (event.event !== 'message') return
    let value: unknown
    try {
      value = JSON.parse(event.data)
    } catch {
      // The framing survives a bad event, unlike stdio's: drop it and carry on.
      this.#events?.log?.(
        `dropped an SSE message event that is not JSON (${event.data.length} characters)`,
      )
      return
    }
    this.#events?.message(value)
  }

  #announce(data: string): void {
    if (this.#endpoint) {
      this.#events?.log?.('ignored a second endpoint event')
      return
    }
    const base = this.#settings.url
    let endpoint: URL
    try {
      endpoint = new URL(data, base)
    } catch {
      this.#end('announced an invalid endpoint')
      return
    }
    // The server names the endpoint: on another origin it would receive our
    // messages and the headers that authenticate them (the SDK client refuses it too).
    if (endpoint.origin !== base.origin) {
      this.#end('announced an endpoint on another origin')
      return
    }
    this.#endpoint = endpoint
    this.#ready?.resolve()
    this.#ready = undefined
  }

  async #post(
    endpoint: URL,
    message: Message,
    extra: Readonly<Record<string, string>> | undefined,
  ): Promise<void> {
    if (this.#ended) return
    const configured = await this.#headers()
    if (configured === undefined) return this.#refused(message, NO_CREDENTIALS)
    // The message's own headers (core's upstreamHeadersKey) under the configured ones.
    const headers = extra === undefined ? configured : under(extra, configured)
    let response: Response
    try {
      response = await this.#settings.fetch(endpoint, {
        method: 'POST',
        headers: withHeader(headers, 'content-type', 'application/json'),
        body: JSON.stringify(message),
        redirect: 'manual',
        signal: this.#abort.signal,
      })
    } catch (error) {
      this.#failed('could not be reached', error)
      return
    }
    response.body?.cancel().catch(() => {})
    if (response.ok) return
    if (response.status === 404) {
      this.#end('no longer knows the SSE session (HTTP 404)')
      return
    }
    if (response.status === 401) this.#settings.refused?.()
    const credentials = response.status === 401 || response.status === 403
    this.#refused(
      message,
      credentials ? refusal(response.status) : `refused the message (HTTP ${response.status})`,
    )
  }

  /** `message` was not delivered: a request fails now rather than time out; anything else is logged. */
  #refused(message: Message, reason: string): void {
    if (this.#ended) return
    if ('method' in message && 'id' in message) {
      if (this.#events) failRequest(this.#events, message.id, reason)
      return
    }
    this.#events?.log?.(
      `${'method' in message ? message.method : 'a response'} not delivered: ${reason}`,
    )
  }
}
