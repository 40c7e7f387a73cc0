/**
 * One OAuth 2.0 token request for `clientCredentials()` (RFC 6749 §4.4.2,
 * §5.1, §5.2) and the checks on its answer. Web APIs only: this code ships
 * in the runtime-neutral root entry.
 */

import { readLimited } from './http.js'

/** No token could be obtained. The message is the gateway's own words: no secret, nothing from the endpoint. */
export class TokenUnavailable extends Error {
  override name = 'TokenUnavailable'
}

/** Lifetime assumed when the answer has no `expires_in` (RFC 6749 §5.1 makes it optional). */
const DEFAULT_LIFETIME_S = 300
/** Largest token endpoint answer read, in bytes. */
const MAX_BODY = 64 * 1024
/** Visible ASCII: what can be sent as a header value unchanged. */
const HEADER_SAFE = /^[\x21-\x7e]+$/
/** RFC 6749 §5.2 and RFC 8707 §2 error codes: a fixed vocabulary, safe to repeat in a log. */
const ERROR_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
])

/** What a token request needs, resolved once from the options. */
export interface TokenRequest {
  url: string
  init: RequestInit
  refreshBefore: number
  timeout: number
  cooldown: number
  fetch: typeof fetch
}

/** A token and when it expires and should be renewed (epoch milliseconds). */
export interface Issued {
  token: string
  expiresAt: number
  refreshAt: number
}

/** One token request: form POST, aborted after `timeout`, the answer read within `MAX_BODY`. */
export async function requestToken(s: TokenRequest): Promise<Issued> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), s.timeout)
  const sentAt = Date.now()
  let reached = false
  try {
    const response = await s.fetch(s.url, { ...s.init, signal: controller.signal })
    reached = true
    const text = await readLimited(response, MAX_BODY)
    if (text === undefined) throw unavailable(`answered with more than ${MAX_BODY} bytes`)
    return issuedOf(response.status, text, sentAt, s.refreshBefore)
  } catch (error) {
    if (error instanceof TokenUnavailable) throw error
    if (controller.signal.aborted) throw unavailable(`did not answer within ${s.timeout} ms`, error)
    throw unavailable(reached ? 'broke off its answer' : 'could not be reached', error)
  } finally {
    clearTimeout(timer)
  }
}

const unavailable = (what: string, cause?: unknown) =>
  new TokenUnavailable(`[@mcpx/auth] clientCredentials(): the token endpoint ${what}`, { cause })

/** RFC 6749 §5.1 (success) and §5.2 (error): the token, or why there is none. */
function issuedOf(status: number, text: string, sentAt: number, refreshBefore: number): Issued {
  const body = parseObject(text)
  if (status !== 200) {
    const code = body?.error
    const known = typeof code === 'string' && ERROR_CODES.has(code)
    throw unavailable(`answered HTTP ${status}${known ? ` (${code})` : ''}`)
  }
  if (body === undefined) throw unavailable('answered with a body that is not a JSON object')
  const { access_token: token, token_type: type, expires_in: expiresIn } = body
  if (typeof token !== 'string' || !HEADER_SAFE.test(token)) {
    throw unavailable('answered without a usable access_token')
  }
  if (typeof type !== 'string' || type.toLowerCase() !== 'bearer') {
    throw unavailable('answered with a token_type other than Bearer')
  }
  const seconds =
    expiresIn === undefined
      ? DEFAULT_LIFETIME_S
      : typeof expiresIn === 'string' && /^\d{1,12}$/.test(expiresIn)
        ? Number(expiresIn)
        : expiresIn
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw unavailable('answered with an expires_in that is not a positive number')
  }
  // Counted from when the request was sent: the token cannot have been issued earlier.
  const lifetime = seconds * 1000
  const expiresAt = sentAt + lifetime
  return { token, expiresAt, refreshAt: expiresAt - Math.min(refreshBefore, lifetime / 2) }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
