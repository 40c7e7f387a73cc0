import type { Principal } from '@mcpx/core'
import { LRUCache } from 'lru-cache'
import { type Authenticator, bearerToken, unauthorized } from './authenticator.js'

/** The introspection cache: active answers only, never beyond the token's `exp`. */
export interface IntrospectionCacheOptions {
  /** Most tokens kept. @defaultValue 1000 */
  max?: number
  /** Most milliseconds an active answer is reused. @defaultValue 60000 */
  ttl?: number
}

/** Options for {@link introspection}. */
export interface IntrospectionOptions {
  /** The authorization server's introspection endpoint (RFC 7662 §2). */
  endpoint: string | URL
  /** This resource server's client id at the authorization server. */
  clientId: string
  /** Its client secret, sent with HTTP Basic (RFC 6749 §2.3.1). */
  clientSecret: string
  /** Milliseconds for the whole introspection call; it is aborted after. @defaultValue 5000 */
  timeout?: number
  /** The answer cache, or `false` to ask on every request. @defaultValue `{ max: 1000, ttl: 60000 }` */
  cache?: IntrospectionCacheOptions | false
  /** Longest token accepted, checked before any request. @defaultValue 4096 */
  maxTokenBytes?: number
}

/** The endpoint could not answer: a server failure, not the caller's. */
export class IntrospectionUnavailable extends Error {
  override name = 'IntrospectionUnavailable'
}

interface Active {
  readonly principal: Principal
  /** `exp` in milliseconds, or Infinity when the server gave none. */
  readonly expires: number
}

const MAX_BODY = 64 * 1024

/** RFC 6749 §2.3.1: the client id and secret are form-encoded before Basic. */
function basicAuthorization(clientId: string, clientSecret: string): string {
  const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`
  const bytes = new TextEncoder().encode(pair)
  return `Basic ${btoa(String.fromCharCode(...bytes))}`
}

/** RFC 7662 §2.2: only `active` is required; `sub`, `scope`, `client_id`, `exp`, `nbf` are optional. */
function activeOf(body: Record<string, unknown>): Active | undefined {
  const now = Date.now() / 1000
  const { exp, nbf, scope, sub, username, client_id: clientId } = body
  if (exp !== undefined && (typeof exp !== 'number' || exp <= now)) return undefined
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now)) return undefined
  if (scope !== undefined && typeof scope !== 'string') return undefined
  if (clientId !== undefined && typeof clientId !== 'string') return undefined
  // A client-credentials token has no user: its client is the subject.
  const subject = [sub, username, clientId].find((v) => typeof v === 'string' && v !== '')
  if (typeof subject !== 'string') return undefined
  const scopes = Object.freeze((scope ?? '').split(' ').filter((s) => s !== ''))
  const claims = Object.freeze({ ...body })
  const principal = Object.freeze(
    clientId === undefined ? { subject, scopes, claims } : { subject, clientId, scopes, claims },
  )
  return { principal, expires: typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY }
}

/**
 * Opaque access tokens checked with the authorization server (OAuth 2.0
 * Token Introspection, RFC 7662): `POST token=…` with this server's client
 * credentials, redirects refused, the call aborted after `timeout`. An
 * `active: false` answer, or an `exp` already passed, is a refusal; an
 * endpoint that fails or times out is a server failure. Active answers are
 * cached, never past the token's `exp`.
 *
 * @example
 * ```ts
 * const verify = introspection({
 *   endpoint: 'https://auth.example.com/oauth2/introspect',
 *   clientId: 'mcp-gateway',
 *   clientSecret: process.env.INTROSPECTION_SECRET!,
 * })
 * ```
 */
export function introspection(options: IntrospectionOptions): Authenticator {
  const endpoint = new URL(options.endpoint)
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') {
    throw new TypeError('[@mcpx/auth] introspection() endpoint must be an http(s) URL')
  }
  const { clientId, clientSecret } = options
  if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string') {
    throw new TypeError('[@mcpx/auth] introspection() needs clientId and clientSecret')
  }
  const timeout = options.timeout ?? 5000
  const maxTokenBytes = options.maxTokenBytes ?? 4096
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new TypeError('[@mcpx/auth] introspection() timeout must be > 0')
  }
  if (!Number.isInteger(maxTokenBytes) || maxTokenBytes <= 0) {
    throw new TypeError('[@mcpx/auth] maxTokenBytes must be an integer > 0')
  }
  const cacheOptions = options.cache ?? {}
  const maxTtl = cacheOptions === false ? 0 : (cacheOptions.ttl ?? 60_000)
  const cache =
    cacheOptions === false
      ? undefined
      : new LRUCache<string, Active>({ max: cacheOptions.max ?? 1000, ttl: maxTtl, perf: Date })
  const authorization = basicAuthorization(clientId, clientSecret)
  const href = endpoint.href

  async function ask(token: string): Promise<Record<string, unknown>> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new Error('introspection timed out')), timeout)
    try {
      const response = await fetch(href, {
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        redirect: 'error',
        signal: controller.signal,
      })
      const text = await response.text()
      if (response.status !== 200) throw new Error(`status ${response.status}`)
      if (text.length > MAX_BODY) throw new Error('answer too large')
      const body: unknown = JSON.parse(text)
      if (typeof (body as { active?: unknown } | null)?.active !== 'boolean') {
        throw new Error('answer without a boolean "active"')
      }
      return body as Record<string, unknown>
    } catch (error) {
      throw new IntrospectionUnavailable(`[@mcpx/auth] introspection at ${href} failed`, {
        cause: error,
      })
    } finally {
      clearTimeout(timer)
    }
  }

  return async function introspection(request) {
    const token = bearerToken(request, maxTokenBytes)
    const hit = cache?.get(token)
    if (hit !== undefined) {
      if (hit.expires > Date.now()) return hit.principal
      cache!.delete(token)
    }
    const body = await ask(token)
    const active = body.active === true ? activeOf(body) : undefined
    if (active === undefined) throw unauthorized('invalid_token')
    const ttl = Math.min(maxTtl, active.expires - Date.now())
    if (cache && ttl >= 1) cache.set(token, active, { ttl: Math.floor(ttl) })
    return active.principal
  }
}
