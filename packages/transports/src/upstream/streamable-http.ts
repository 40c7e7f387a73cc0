import type { Connector } from '../protocol/channel.js'
import type { HeaderSource } from './connector-options.js'
import { maxMessageBytesOption } from './connector-options.js'
import { StreamableHttpChannel } from './streamable-http-channel.js'
import { RESERVED } from './streamable-http-client.js'
import { invalidator } from './streamable-http-reasons.js'
import { upstreamUrl, withAuthorization } from './url.js'

type HeaderRecord = Readonly<Record<string, string>>

/** Options for {@link streamableHttp}. */
export interface StreamableHttpOptions {
  /**
   * The server's MCP endpoint (`http:` or `https:`). Credentials in its
   * userinfo (`https://user:secret@host/mcp`) are sent as HTTP Basic
   * authorization, unless `headers` sets `Authorization`; neither they nor
   * the query string appear in `describe`, logs or error messages.
   */
  url: string | URL
  /**
   * Headers sent with every HTTP request to this server: the gateway's own
   * credentials for it (`Authorization: Bearer …`, an API key). A record, or
   * a function called for each HTTP request (rotating tokens). These are the
   * only headers the upstream gets: a downstream client's `Authorization`,
   * or any other header it sent the gateway, is never forwarded (MCP
   * Authorization §Token Passthrough forbids it). `Content-Type`, `Accept`,
   * `Mcp-Session-Id`, `MCP-Protocol-Version` and `Last-Event-ID` belong to
   * the transport and are ignored here.
   *
   * A function that throws or rejects fails that request with `could not
   * get its credentials` (its reason goes to the log). A 401 or 403 fails
   * the request with `refused the gateway's credentials (HTTP 401)` (or
   * 403), without a retry, and stops the standalone GET stream. On a 401
   * (RFC 6750 §3.1 `invalid_token`: the token itself is refused) the
   * function's `invalidate()` method, if it has one (as `clientCredentials()`
   * of `@mcpx/auth` does), is called once, so that a later request carries
   * a new token; its errors are ignored. A 403 says the client may not do
   * this, which a new token would not change.
   * @defaultValue `{}`
   */
  headers?: HeaderRecord | (() => HeaderRecord | Promise<HeaderRecord>)
  /** The `fetch` to use (tests, instrumentation, a custom dispatcher). @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch
  /**
   * Largest message the server may send, in bytes: a JSON response body,
   * an SSE line or an SSE event. A larger one fails the request it answers.
   * @defaultValue 16 MiB
   */
  maxMessageBytes?: number
  /**
   * Milliseconds before reconnecting an SSE stream that dropped, when the
   * server sent no `retry` (which is obeyed when it did); doubles after
   * each reconnection that delivers nothing, up to 30 s.
   * @defaultValue 1000
   */
  reconnectDelay?: number
  /**
   * Reconnections in a row that deliver nothing (no event, no new event
   * id) before an SSE stream is given up, for a POST's answer stream and
   * for the standalone GET stream alike; one that delivers starts the count
   * again. 0: a dropped stream is never reconnected, so a request whose
   * answer stream drops fails at once.
   * @defaultValue 5
   */
  maxReconnects?: number
}

/**
 * Connect to an MCP server over Streamable HTTP (MCP 2025-11-25, also
 * 2025-06-18 and 2025-03-26 servers). Each message is its own POST, so
 * requests never wait for each other; answers come back as JSON or as an SSE
 * stream, and whatever the server sends on that stream is tied to the
 * request it serves. After the handshake a GET stream carries what the
 * server sends outside any request. A stream that drops (or that the server
 * closes to make the client poll) is resumed with GET and `Last-Event-ID`
 * when the server gave event ids, so an answer still arrives, once. An
 * expired session (HTTP 404) is re-initialized transparently by replaying
 * the client's `initialize` (at most 1024 sends wait for it). A request
 * whose POST fails (network error, a status other than 2xx, an invalid or
 * oversized body) fails on its own with -32010 naming the upstream by its
 * name only. Redirects are not followed, so the gateway's credentials
 * never reach another origin.
 *
 * @example
 * ```ts
 * const search = upstream('search', streamableHttp({
 *   url: 'https://search.internal.example/mcp',
 *   headers: () => ({ authorization: `Bearer ${tokens.current()}` }),
 * }))
 * ```
 */
export function streamableHttp(options: StreamableHttpOptions): Connector {
  const fail = (what: string) => new TypeError(`[@mcpx/transports] streamableHttp(): ${what}`)
  const { url, describe, authorization } = upstreamUrl(options?.url, 'streamableHttp', [
    'http:',
    'https:',
  ])
  const maxMessageBytes = maxMessageBytesOption(
    'streamableHttp',
    options.maxMessageBytes,
    16 * 1024 * 1024,
  )
  const reconnectDelay = options.reconnectDelay ?? 1000
  const maxReconnects = options.maxReconnects ?? 5
  if (!(reconnectDelay >= 0)) throw fail('reconnectDelay must be >= 0')
  if (!Number.isInteger(maxReconnects) || maxReconnects < 0)
    throw fail('maxReconnects must be an integer >= 0')
  const fetchImpl = options.fetch ?? globalThis.fetch
  if (typeof fetchImpl !== 'function') throw fail('fetch must be a function')
  const settings = {
    url: url.href,
    describe,
    headers: headerSource(options.headers ?? {}, authorization, fail),
    refused: invalidator(options.headers),
    fetch: fetchImpl,
    maxMessageBytes,
    reconnectDelay,
    maxReconnects,
  }
  return {
    transport: 'streamable-http',
    describe,
    // Answers come on the request's own stream, so a server request relates to a client request.
    relatesRequests: true,
    open: () => new StreamableHttpChannel(settings),
  }
}

function headerSource(
  headers: NonNullable<StreamableHttpOptions['headers']>,
  basic: string | undefined,
  fail: (what: string) => TypeError,
): HeaderSource {
  if (typeof headers === 'function') {
    return () => {
      const value = headers()
      return value instanceof Promise ? value.then((v) => clean(v, basic)) : clean(value, basic)
    }
  }
  if (typeof headers !== 'object' || headers === null)
    throw fail('headers must be a record or a function')
  for (const value of Object.values(headers))
    if (typeof value !== 'string') throw fail('header values must be strings')
  const fixed = clean(headers, basic)
  return () => fixed
}

/**
 * Lower-case names (so a user header never doubles one the transport sets),
 * reserved ones dropped; the URL's Basic authorization unless the caller set one.
 */
function clean(headers: HeaderRecord, basic: string | undefined): Record<string, string> {
  const result: Record<string, string> = {}
  for (const name in headers) {
    const key = name.toLowerCase()
    if (!RESERVED.has(key)) result[key] = headers[name]!
  }
  return withAuthorization(result, basic)
}
