import type { ErrorHandler, Principal } from '@mcpx/core'
import { type HostOriginOptions, hostOriginGuard } from './host-origin.js'

/** What an HTTP front end knows about one HTTP request when it asks {@link FrontEndOptions.authenticate}. */
export interface HttpRequestInfo {
  /** `POST`, `GET`, `DELETE`; `GET` for a WebSocket upgrade. */
  readonly method: string
  /** The request target: path and query, as the client sent it. */
  readonly url: string
  /** Request headers, lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  /** The session the request names (`Mcp-Session-Id`, legacy SSE's `sessionId`), if any. */
  readonly sessionId: string | undefined
  /** The client's address, where the transport knows it. */
  readonly remoteAddress: string | undefined
}

/**
 * Runs once per HTTP request, before anything is read or dispatched: on
 * every POST, GET and DELETE of Streamable HTTP, on the WebSocket upgrade,
 * on legacy SSE's GET and each of its POSTs. Return who is calling (it is
 * set as `principalKey` on every message of that request, and binds a new
 * session), or `undefined` for an anonymous caller. Throw an `McpxError` to
 * refuse the request: its code and headers become the HTTP answer (401 with
 * `WWW-Authenticate`, 403, 429 with `Retry-After`, 503).
 */
export type Authenticate = (
  request: HttpRequestInfo,
) => Principal | undefined | Promise<Principal | undefined>

/** Options every network front end takes. */
export interface FrontEndOptions extends HostOriginOptions {
  /** Largest message a client may send, in bytes; larger ones are refused (HTTP 413, WebSocket close 1009). @defaultValue 4 MiB */
  maxMessageBytes?: number
  /** Most sessions at once; a new one beyond it is refused (HTTP 503, -32011). @defaultValue 10000 */
  maxSessions?: number
  /** Milliseconds between keep-alives on long-lived streams and sockets; 0 sends none. @defaultValue 25000 */
  keepAliveInterval?: number
  /**
   * Bytes a stream or socket may hold unsent, for a client that stopped
   * reading; past it the stream is closed.
   * @defaultValue 16 MiB
   */
  maxBufferedBytes?: number
  /** See {@link Authenticate}. @defaultValue none: every caller is anonymous */
  authenticate?: Authenticate
  /**
   * What must stay the same for a session to be used again (MCP Security
   * Best Practices §Session Hijacking: bind sessions to the user). A request
   * whose principal gives another key than the one that opened the session
   * gets 403 and nothing is forwarded.
   * @defaultValue the principal's `clientId` and `subject`
   */
  identityOf?: (principal: Principal | undefined) => string
  /**
   * Errors that are not `McpxError`s thrown while answering, and streams
   * dropped for not reading: the same handler shape as `createProxy`'s.
   * @defaultValue `console.error`
   */
  onError?: ErrorHandler
}

/** {@link FrontEndOptions} checked and with their defaults. */
export interface FrontEnd {
  readonly maxMessageBytes: number
  readonly maxSessions: number
  readonly keepAliveInterval: number
  readonly maxBufferedBytes: number
  readonly authenticate: Authenticate | undefined
  readonly identityOf: (principal: Principal | undefined) => string
  readonly onError: ErrorHandler
  /** Why the request's `Host`/`Origin` may not proceed (answer 403), or undefined. */
  readonly refuse: ReturnType<typeof hostOriginGuard>
}

const MiB = 1024 * 1024

const logError: ErrorHandler = (error) => console.error('[@mcpx/transports]', error)

function anonymousOrSubject(principal: Principal | undefined): string {
  return principal ? `${principal.clientId ?? ''}\u0000${principal.subject}` : ''
}

/** Resolve and check the options shared by every front end, once, when the front end is made. */
export function frontEnd(options: FrontEndOptions): FrontEnd {
  const resolved: FrontEnd = {
    maxMessageBytes: options.maxMessageBytes ?? 4 * MiB,
    maxSessions: options.maxSessions ?? 10_000,
    keepAliveInterval: options.keepAliveInterval ?? 25_000,
    maxBufferedBytes: options.maxBufferedBytes ?? 16 * MiB,
    authenticate: options.authenticate,
    identityOf: options.identityOf ?? anonymousOrSubject,
    onError: options.onError ?? logError,
    refuse: hostOriginGuard(options),
  }
  positive('maxMessageBytes', resolved.maxMessageBytes)
  positive('maxSessions', resolved.maxSessions)
  positive('maxBufferedBytes', resolved.maxBufferedBytes)
  atLeastZero('keepAliveInterval', resolved.keepAliveInterval)
  for (const key of ['authenticate', 'identityOf', 'onError'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      throw new TypeError(`[@mcpx/transports] ${key} must be a function`)
    }
  }
  return resolved
}

export function positive(name: string, value: number): void {
  if (!(value > 0)) throw new TypeError(`[@mcpx/transports] ${name} must be > 0`)
}

export function atLeastZero(name: string, value: number): void {
  if (!(value >= 0)) throw new TypeError(`[@mcpx/transports] ${name} must be >= 0`)
}

const PATH = /^\/[^?#\s]*$/

/** Check an option that names a path: starts with `/`, no query. */
export function checkPath(name: string, value: string): string {
  if (!PATH.test(value)) {
    throw new TypeError(
      `[@mcpx/transports] ${name} must be a path starting with "/", without query`,
    )
  }
  return value
}

/** The path of a request target, without its query. */
export function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}
