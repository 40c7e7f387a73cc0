import { ErrorCode, McpxError, type Principal } from '@mcpx/core'

/**
 * What an authenticator reads: the request's headers (lower-case names) and,
 * over HTTP, its URL. The transports' `HttpRequestInfo` is one, so an
 * {@link Authenticator} plugs straight into a front end's `authenticate` hook.
 */
export type Credentials = {
  headers: Readonly<Record<string, string | string[] | undefined>>
  url?: string
}

/**
 * Who is calling: resolves with the caller's `Principal`, or rejects with an
 * `McpxError` (-32030, `Unauthorized`) whose `headers` carry the
 * `WWW-Authenticate` challenge (RFC 6750 §3). Anything else it throws is a
 * server failure (a key set that cannot be loaded), not the caller's fault.
 *
 * @example
 * ```ts
 * const verify = jwt({ jwksUri: 'https://auth.example.com/jwks', algorithms: ['RS256'], audience: 'https://mcp.example.com/mcp' })
 * createStreamableHttpHandler(proxy, { authenticate: verify })
 * ```
 */
export type Authenticator = (request: Credentials) => Promise<Principal>

/**
 * The RFC 6750 §3.1 error codes a refusal may name: nothing for a request
 * without credentials, `invalid_request` for a malformed one, `invalid_token`
 * for a token that does not verify. Nothing more specific: which check a
 * token failed is for the logs (the error's `cause`), not for the caller.
 */
export type BearerError = 'invalid_request' | 'invalid_token' | undefined

/** The refusals' messages; `anyOf()` ranks refusals of any scheme by them. */
export const MESSAGES = {
  missing: 'Authentication required',
  invalid_request: 'Invalid authentication request',
  invalid_token: 'Invalid token',
} as const

/** The refusal every authenticator throws: -32030 with a `WWW-Authenticate: Bearer` challenge. */
export function unauthorized(error: BearerError, cause?: unknown): McpxError {
  return new McpxError(ErrorCode.Unauthorized, MESSAGES[error ?? 'missing'], {
    cause,
    headers: { 'www-authenticate': error ? `Bearer error="${error}"` : 'Bearer' },
  })
}

/** RFC 6750 §2.1: `Authorization: Bearer <token>`; the scheme is case-insensitive. */
const SCHEME = /^bearer +/i

/**
 * A request's `Authorization` header, after the checks that come before
 * looking inside it: refuses a token in the query string (MCP authorization
 * spec 2025-11-25 §Access Token Usage: "MUST NOT be included in the URI
 * query string"), two `Authorization` headers, and a header too long to hold
 * a token of `maxBytes`.
 */
export function authorizationHeader(credentials: Credentials, maxBytes: number): string {
  const { url } = credentials
  if (url !== undefined) {
    const query = url.indexOf('?')
    if (query !== -1 && new URLSearchParams(url.slice(query + 1)).has('access_token')) {
      throw unauthorized('invalid_request')
    }
  }
  const header = credentials.headers.authorization
  if (header === undefined) throw unauthorized(undefined)
  if (typeof header !== 'string') throw unauthorized('invalid_request')
  // Long headers are refused before the scheme is even matched.
  if (header.length > maxBytes + 64) throw unauthorized('invalid_token')
  return header
}

/** The token in an `Authorization` header that {@link authorizationHeader} let through. */
export function tokenOf(header: string, maxBytes: number): string {
  const scheme = SCHEME.exec(header)
  if (scheme === null) throw unauthorized(undefined)
  const token = header.slice(scheme[0].length).trim()
  if (token === '' || token.length > maxBytes) throw unauthorized('invalid_token')
  return token
}

/** The bearer token of a request: {@link authorizationHeader}'s checks, then {@link tokenOf}. */
export function bearerToken(credentials: Credentials, maxBytes: number): string {
  return tokenOf(authorizationHeader(credentials, maxBytes), maxBytes)
}
