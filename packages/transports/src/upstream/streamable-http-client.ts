import type { Request, RequestId } from '@mcpx/core'
import { SseDecoder } from '../protocol/sse-decoder.js'
import type { HeaderSource } from './connector-options.js'
import { discard, readEventStream, readText } from './http-body.js'
import type { Connection, ReconnectPolicy } from './sse-reconnect.js'
import { refusal } from './streamable-http-reasons.js'

/** What {@link streamableHttp} resolved from its options. */
export interface HttpSettings extends ReconnectPolicy {
  /** The endpoint, without userinfo. */
  url: string
  describe: string
  headers: HeaderSource
  /** Called once per response refused with 401: the `headers` function's `invalidate`, if it has one. */
  refused?: () => void
  fetch: typeof fetch
  maxMessageBytes: number
}

/** Milliseconds `end()` gives the session's DELETE. */
const DELETE_TIMEOUT = 2000
const GET_HEADERS = { accept: 'text/event-stream' }

/** Set by the transport on every request; a user header of the same name would break the session. */
export const RESERVED = new Set([
  'content-type',
  'accept',
  'content-length',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
])

/** Set by the HTTP client itself; a message's own header of the same name would break the request. */
const CONNECTION_HEADERS = new Set([
  'host',
  'connection',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
])

/**
 * A message's own headers (core's `upstreamHeadersKey`), lower-cased,
 * without those the transport or the HTTP client sets: what an HTTP
 * connector may send of them, under its configured headers.
 */
export function messageHeadersOut(
  headers: Readonly<Record<string, string>>,
): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const name in headers) {
    const key = name.toLowerCase()
    if (!RESERVED.has(key) && !CONNECTION_HEADERS.has(key)) kept[key] = headers[name]!
  }
  return kept
}

export const INITIALIZED = 'notifications/initialized'
export const POST_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
}

export const isSse = (response: Response): boolean =>
  response.headers.get('content-type')?.startsWith('text/event-stream') === true

/** True when `message` is the response (not a request) with this id. */
export const isResponseTo = (message: any, id: RequestId): boolean =>
  typeof message === 'object' && message !== null && message.id === id && !('method' in message)

/**
 * Who the connector is to the server: its headers, the `Mcp-Session-Id` and
 * `MCP-Protocol-Version` it learned from the handshake, and the client's own
 * `initialize`, kept to start a new session when this one expires.
 */
export class StreamableHttpClient {
  sessionId: string | undefined
  protocolVersion: string | undefined
  readonly #s: HttpSettings
  #initialize: Request | undefined
  /** The id of that `initialize` until its answer has passed through. */
  #initId: RequestId | undefined
  #replays = 0

  constructor(settings: HttpSettings) {
    this.#s = settings
  }

  /** The client sent `initialize`: its answer carries the session id and the protocol version. */
  initializing(message: Request): void {
    this.#initialize = message
    this.#initId = message.id
  }

  /** The HTTP response to request `id` arrived: take the session id if it answers `initialize`. */
  answered(id: RequestId, response: Response): void {
    if (id === this.#initId) this.sessionId = response.headers.get('mcp-session-id') ?? undefined
  }

  /** A message is being delivered: take the protocol version from the `initialize` result. */
  observe(message: any): void {
    if (this.#initId === undefined || !isResponseTo(message, this.#initId)) return
    this.#initId = undefined
    this.#takeVersion(message.result)
  }

  /**
   * One HTTP request to the endpoint: the message's own headers, then the
   * configured ones, then the transport's own (each wins over the ones before).
   */
  async fetch(
    method: string,
    fixed: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
    message?: Readonly<Record<string, string>>,
  ): Promise<Response> {
    const user = this.#s.headers()
    const headers: Record<string, string> = {
      ...(message && messageHeadersOut(message)),
      ...(user instanceof Promise ? await user : user),
      ...fixed,
    }
    if (this.sessionId !== undefined) headers['mcp-session-id'] = this.sessionId
    if (this.protocolVersion !== undefined) headers['mcp-protocol-version'] = this.protocolVersion
    // Redirects are not followed: the configured credentials must not reach another origin.
    return this.#s.fetch(this.#s.url, { method, headers, body, signal, redirect: 'manual' })
  }

  /** A GET for an SSE stream: the standalone one, or resuming one after `lastEventId`. */
  get(lastEventId: string | undefined, signal: AbortSignal): Promise<Response> {
    const fixed =
      lastEventId === undefined ? GET_HEADERS : { ...GET_HEADERS, 'last-event-id': lastEventId }
    return this.fetch('GET', fixed, undefined, signal)
  }

  /**
   * Streamable HTTP §Resumability and Redelivery: resume a POST's answer
   * stream after `lastEventId`. Only that stream carries its answer
   * (§Multiple Connections), so with no GET to resume it (405) or with the
   * session gone (404) no reconnection can bring the answer back.
   */
  async resume(lastEventId: string, signal: AbortSignal): Promise<Connection> {
    const response = await this.get(lastEventId, signal)
    if (response.ok && isSse(response)) return response.body!
    discard(response)
    if (response.status === 405) return { stop: 'offers no GET to resume the response stream' }
    if (response.status === 404) return { stop: 'lost the response stream with the session' }
    if (response.status === 401 || response.status === 403) {
      // Resuming again with the same credentials would only be refused again.
      if (response.status === 401) this.#s.refused?.()
      return { stop: refusal(response.status) }
    }
    return 'retry'
  }

  /** Streamable HTTP §Session Management: a client that no longer needs the session SHOULD DELETE it. */
  async end(): Promise<void> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), DELETE_TIMEOUT)
    try {
      const response = await this.fetch('DELETE', {}, undefined, controller.signal)
      await response.body?.cancel()
    } catch {
      // Best effort: the server expires the session on its own.
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * Start a new session: replay the client's `initialize` under a fresh id
   * (its answer stays here; the client already has one), take the new
   * session id, and send `notifications/initialized`. False if any step fails.
   */
  async replay(signal: AbortSignal): Promise<boolean> {
    const initialize = this.#initialize
    if (!initialize) return false
    this.sessionId = undefined
    this.protocolVersion = undefined
    const id = `mcpx-reinitialize-${++this.#replays}`
    const response = await this.fetch(
      'POST',
      POST_HEADERS,
      JSON.stringify({ ...initialize, id }),
      signal,
    )
    let result: unknown
    const take = (message: any) => {
      if (isResponseTo(message, id)) result = message.result
    }
    const type = response.headers.get('content-type') ?? ''
    // A replay refused for its credentials tells the headers function, as any request does.
    if (response.status === 401) this.#s.refused?.()
    if (!response.ok) discard(response)
    else if (type.startsWith('application/json')) {
      take(JSON.parse(await readText(response, this.#s.maxMessageBytes)))
    } else if (type.startsWith('text/event-stream')) {
      const decoder = new SseDecoder(({ event, data }) => {
        if (event === 'message') take(JSON.parse(data))
      }, this.#s.maxMessageBytes)
      await readEventStream(response.body!, decoder)
    } else discard(response)
    if (!result) return false
    this.sessionId = response.headers.get('mcp-session-id') ?? undefined
    this.#takeVersion(result)
    const initialized = JSON.stringify({ jsonrpc: '2.0', method: INITIALIZED })
    const ack = await this.fetch('POST', POST_HEADERS, initialized, signal)
    discard(ack)
    return ack.ok
  }

  #takeVersion(result: unknown): void {
    const version = (result as { protocolVersion?: unknown } | undefined)?.protocolVersion
    // Checked because it becomes a header value: an invalid one would make every fetch throw.
    if (typeof version === 'string' && /^[\w.-]{1,64}$/.test(version))
      this.protocolVersion = version
  }
}
