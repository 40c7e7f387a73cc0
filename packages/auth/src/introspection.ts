import { ErrorCode, McpxError, type Principal } from '@mcpx/core'
import { LRUCache } from 'lru-cache'
import { type Authenticator, bearerToken, unauthorized } from './authenticator.js'
import { clientSecretBasic, readLimited } from './http.js'
import { integer, MAX_CACHE_ENTRIES, milliseconds } from './options.js'

/** The introspection cache: active answers never beyond the token's `exp`, refusals briefly. */
export interface IntrospectionCacheOptions {
  /** Most tokens kept, at most 1,000,000 (the table is allocated up front). @defaultValue 1000 */
  max?: number
  /** Most milliseconds an active answer is reused. @defaultValue 60000 */
  ttl?: number
  /**
   * Milliseconds a refused token is refused again without asking, so that
   * one bad token repeated cannot flood the authorization server; 0 asks
   * every time.
   * @defaultValue 10000
   */
  inactiveTtl?: number
}

/** Options for {@link introspection}. */
export interface IntrospectionOptions {
  /** The authorization server's introspection endpoint (RFC 7662 §2). */
  endpoint: string | URL
  /** This resource server's client id at the authorization server. */
  clientId: string
  /** Its client secret, sent with HTTP Basic (RFC 6749 §2.3.1). */
  clientSecret: string
  /**
   * The `aud` an active answer must name (one or any of several): this
   * server's resource URL (MCP 2025-11-25 §Token Audience Binding and
   * Validation, RFC 8707). An answer without `aud` is refused. `false`
   * accepts any audience, for tokens not meant for an MCP resource server.
   */
  audience: string | readonly string[] | false
  /** The `iss` an active answer must name when it names one. @defaultValue any issuer */
  issuer?: string | readonly string[]
  /** Milliseconds for the whole introspection call; it is aborted after. @defaultValue 5000 */
  timeout?: number
  /** The answer cache, or `false` to ask on every request. @defaultValue `{ max: 1000, ttl: 60000 }` */
  cache?: IntrospectionCacheOptions | false
  /** Longest token accepted, checked before any request. @defaultValue 4096 */
  maxTokenBytes?: number
  /**
   * Most introspection requests in flight at once; past it a check fails at
   * once with -32011 (HTTP 503), so that a flood of distinct bad tokens
   * cannot flood the authorization server. Put a rate limit in front too.
   * @defaultValue 64
   */
  maxConcurrent?: number
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

/** A remembered answer: a principal, or none (refused), until `until` (epoch ms). */
interface Remembered {
  readonly principal: Principal | undefined
  readonly until: number
}

const WHERE = 'introspection()'
const MAX_BODY = 64 * 1024
/** Most distinct tokens whose checks are shared while in flight; more are checked on their own. */
const MAX_SHARED = 1000

type Accepted = readonly string[] | undefined

const listOf = (value: string | readonly string[] | undefined): Accepted =>
  value === undefined ? undefined : typeof value === 'string' ? [value] : value

/** `aud` may be a string or an array (RFC 7662 §2.2, RFC 7519 §4.1.3). */
function namesOne(claim: unknown, accepted: readonly string[]): boolean {
  const names = typeof claim === 'string' ? [claim] : Array.isArray(claim) ? claim : []
  return names.some((name) => typeof name === 'string' && accepted.includes(name))
}

/** RFC 7662 §2.2: only `active` is required; `sub`, `scope`, `client_id`, `exp`, `nbf` are optional. */
function activeOf(
  body: Record<string, unknown>,
  audience: Accepted,
  issuer: Accepted,
): Active | undefined {
  const now = Date.now() / 1000
  const { exp, nbf, scope, sub, username, client_id: clientId, aud, iss } = body
  if (exp !== undefined && (typeof exp !== 'number' || exp <= now)) return undefined
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now)) return undefined
  if (audience !== undefined && !namesOne(aud, audience)) return undefined
  if (issuer !== undefined && iss !== undefined && !namesOne(iss, issuer)) return undefined
  if (scope !== undefined && typeof scope !== 'string') return undefined
  if (clientId !== undefined && typeof clientId !== 'string') return undefined
  // A client-credentials token has no user: its client is the subject.
  const subject = [sub, username, clientId].find((v) => typeof v === 'string' && v !== '')
  if (typeof subject !== 'string') return undefined
  const scopes = Object.freeze((scope ?? '').split(' ').filter((s) => s !== ''))
  const claims = Object.freeze({ ...body })
  const expires = typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY
  const principal: Principal = Object.freeze({
    subject,
    ...(clientId === undefined ? {} : { clientId }),
    scopes,
    claims,
    ...(typeof exp === 'number' ? { expiresAt: expires } : {}),
  })
  return { principal, expires }
}

function audienceOf(options: IntrospectionOptions): Accepted {
  const { audience } = options
  if (audience === false) return undefined
  const list = listOf(audience)
  if (
    list === undefined ||
    list.length === 0 ||
    !list.every((a) => typeof a === 'string' && a.trim() !== '')
  ) {
    throw new TypeError(
      '[@mcpx/auth] introspection() needs an audience (the resource this server is), or audience: false',
    )
  }
  return list
}

/** What `introspection()` makes of its options, once. */
interface Settings {
  readonly href: string
  /** This server's client credentials, as the HTTP Basic header they are sent in. */
  readonly authorization: string
  readonly audience: Accepted
  readonly issuer: Accepted
  readonly timeout: number
  readonly maxTokenBytes: number
  /** Most milliseconds an active answer is reused; 0 without a cache. */
  readonly maxTtl: number
  /** Milliseconds a refusal is remembered; 0 without a cache. */
  readonly inactiveTtl: number
  readonly cache: LRUCache<string, Remembered> | undefined
  readonly maxConcurrent: number
}

/** Checks the options in the order `introspection()` always has. */
function settingsOf(options: IntrospectionOptions): Settings {
  const endpoint = new URL(options.endpoint)
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') {
    throw new TypeError('[@mcpx/auth] introspection() endpoint must be an http(s) URL')
  }
  const { clientId, clientSecret } = options
  if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string') {
    throw new TypeError('[@mcpx/auth] introspection() needs clientId and clientSecret')
  }
  return {
    href: endpoint.href,
    authorization: clientSecretBasic(clientId, clientSecret),
    audience: audienceOf(options),
    issuer: listOf(options.issuer),
    timeout: milliseconds(WHERE, 'timeout', options.timeout ?? 5000, '> 0'),
    maxTokenBytes: integer(WHERE, 'maxTokenBytes', options.maxTokenBytes ?? 4096, '> 0'),
    ...cacheOf(options.cache ?? {}),
    maxConcurrent: integer(WHERE, 'maxConcurrent', options.maxConcurrent ?? 64, '> 0'),
  }
}

/** The answer cache and its two lifetimes, or none (`cache: false`). */
function cacheOf(options: IntrospectionCacheOptions | false) {
  if (options === false) return { maxTtl: 0, inactiveTtl: 0, cache: undefined }
  return {
    maxTtl: milliseconds(WHERE, 'cache.ttl', options.ttl ?? 60_000, '>= 0'),
    inactiveTtl: milliseconds(WHERE, 'cache.inactiveTtl', options.inactiveTtl ?? 10_000, '>= 0'),
    cache: new LRUCache<string, Remembered>({
      max: integer(WHERE, 'cache.max', options.max ?? 1000, '> 0', MAX_CACHE_ENTRIES),
      perf: Date,
    }),
  }
}

/** One introspection request (RFC 7662 §2.1), redirects refused; its answer, or IntrospectionUnavailable. */
async function introspect(settings: Settings, token: string): Promise<Record<string, unknown>> {
  const { href, authorization, timeout } = settings
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
      signal: AbortSignal.timeout(timeout),
    })
    const text = await readLimited(response, MAX_BODY)
    if (response.status !== 200) throw new Error(`status ${response.status}`)
    if (text === undefined) throw new Error('answer too large')
    const body: unknown = JSON.parse(text)
    if (typeof (body as { active?: unknown } | null)?.active !== 'boolean') {
      throw new Error('answer without a boolean "active"')
    }
    return body as Record<string, unknown>
  } catch (error) {
    throw new IntrospectionUnavailable(`[@mcpx/auth] introspection at ${href} failed`, {
      cause: error,
    })
  }
}

/** `run`, refused at once with -32011 while `max` of its calls are in flight. */
function limited<T>(
  max: number,
  run: (token: string) => Promise<T>,
): (token: string) => Promise<T> {
  let running = 0
  return async (token) => {
    if (running >= max) throw new McpxError(ErrorCode.Overloaded, 'Too many token checks at once')
    running++
    try {
      return await run(token)
    } finally {
      running--
    }
  }
}

/** Concurrent checks of one token share one, for at most MAX_SHARED tokens at a time. */
function shared<T>(
  inflight: Map<string, Promise<T>>,
  token: string,
  check: (token: string) => Promise<T>,
): Promise<T> {
  const pending = inflight.get(token)
  if (pending !== undefined) return pending
  const asked = check(token)
  if (inflight.size >= MAX_SHARED) return asked
  inflight.set(token, asked)
  const done = () => inflight.delete(token)
  asked.then(done, done)
  return asked
}

/**
 * Opaque access tokens checked with the authorization server (OAuth 2.0
 * Token Introspection, RFC 7662): `POST token=…` with this server's client
 * credentials, redirects refused, the call aborted after `timeout`. An
 * `active: false` answer, an `exp` already passed, or an `aud` that is not
 * this server is a refusal; an endpoint that fails or times out is a server
 * failure. Active answers are cached, never past the token's `exp`;
 * refusals are remembered for `cache.inactiveTtl`; concurrent checks of one
 * token share one request.
 *
 * @example
 * ```ts
 * const verify = introspection({
 *   endpoint: 'https://auth.example.com/oauth2/introspect',
 *   clientId: 'mcp-gateway',
 *   clientSecret: process.env.INTROSPECTION_SECRET!,
 *   audience: 'https://mcp.example.com/mcp',
 * })
 * ```
 */
export function introspection(options: IntrospectionOptions): Authenticator {
  const settings = settingsOf(options)
  const { audience, issuer, maxTtl, inactiveTtl, cache, maxTokenBytes } = settings
  const inflight = new Map<string, Promise<Remembered>>()
  const ask = limited(settings.maxConcurrent, (token) => introspect(settings, token))

  /** Ask, and remember the answer: an active one until `exp` (within `ttl`), a refusal for `inactiveTtl`. */
  async function check(token: string): Promise<Remembered> {
    const body = await ask(token)
    const active = body.active === true ? activeOf(body, audience, issuer) : undefined
    const now = Date.now()
    const until = active === undefined ? now + inactiveTtl : Math.min(now + maxTtl, active.expires)
    const answer = { principal: active?.principal, until }
    // The entry's own deadline decides; the LRU ttl only lets it go early.
    if (cache && until - now >= 1) cache.set(token, answer, { ttl: Math.ceil(until - now) })
    return answer
  }

  return async function introspection(request) {
    const token = bearerToken(request, maxTokenBytes)
    let known = cache?.get(token)
    if (known !== undefined && known.until <= Date.now()) {
      cache!.delete(token)
      known = undefined
    }
    const answer = known ?? (await shared(inflight, token, check))
    if (answer.principal === undefined) throw unauthorized('invalid_token')
    return answer.principal
  }
}
