import type { Principal } from '@mcpx/core'
import { type JWK, type JWTPayload, type JWTVerifyOptions, jwtVerify } from 'jose'
import { LRUCache } from 'lru-cache'
import { type Authenticator, authorizationHeader, tokenOf, unauthorized } from './authenticator.js'
import { type JwksOptions, KeySetUnavailable, remoteKeys } from './jwks.js'
import { principalOfPayload } from './jwt-principal.js'
import {
  assertAsymmetric,
  type JwtAlgorithm,
  KEY_TYPE,
  type KeyLookup,
  publicKeys,
  secretKeys,
} from './keys.js'
import { integer, MAX_CACHE_ENTRIES, milliseconds } from './options.js'

/** The verified-token cache. */
export interface JwtCacheOptions {
  /** Most tokens kept, at most 1,000,000 (the table is allocated up front). @defaultValue 1000 */
  max?: number
  /** Most milliseconds a verified token is trusted without a new check; never beyond its `exp`. @defaultValue 300000 */
  ttl?: number
}

interface JwtCommonOptions {
  /** The algorithms a token may be signed with; required, `none` is never accepted. */
  algorithms: readonly JwtAlgorithm[]
  /** The accepted `iss` (one or any of several). @defaultValue any issuer */
  issuer?: string | readonly string[]
  /**
   * The resource this server is: a token's `aud` must name one of these
   * (RFC 8707 audience binding), usually the server's canonical URL, the
   * `resource` of its protected resource metadata. Required: an MCP server
   * MUST validate that access tokens were issued specifically for it (MCP
   * authorization spec 2025-11-25 §Token Audience Binding and Validation).
   * `false` accepts any audience, and a token with none: only for tokens
   * that are not meant for an MCP resource server.
   */
  audience: string | readonly string[] | false
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. @defaultValue 0 */
  clockTolerance?: number
  /** The required `typ` header (`at+jwt` for RFC 9068 access tokens). @defaultValue not checked */
  typ?: string
  /** Longest token accepted, in bytes, checked before anything is parsed. @defaultValue 8192 */
  maxTokenBytes?: number
  /** The claim holding the scopes (a space-separated string or an array). @defaultValue `scope`, else `scp` */
  scopeClaim?: string
  /** The verified-token cache, or `false` for none. @defaultValue `{ max: 1000, ttl: 300000 }` */
  cache?: JwtCacheOptions | false
}

/** Options for {@link jwt}: the common ones and exactly one key source. */
export type JwtOptions = JwtCommonOptions &
  (
    | {
        /** HMAC secret (HS256/384/512). */ secret: string | Uint8Array
        key?: never
        jwksUri?: never
      }
    | {
        /** Public key: SPKI or certificate PEM, or a JWK. */ key: string | JWK
        secret?: never
        jwksUri?: never
      }
    | {
        /** URL of the issuer's key set. */
        jwksUri: string | URL
        /** How the key set is fetched. */
        jwks?: JwksOptions
        secret?: never
        key?: never
      }
  )

/** Compact JWS (RFC 7515 §7.1): three base64url parts. Anything else is refused unparsed. */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

function algorithmsOf(options: JwtOptions): readonly JwtAlgorithm[] {
  const { algorithms } = options as { algorithms?: unknown }
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError('[@mcpx/auth] jwt() needs an algorithms allow-list, e.g. ["RS256"]')
  }
  for (const alg of algorithms) {
    if (!Object.hasOwn(KEY_TYPE, alg)) {
      throw new TypeError(`[@mcpx/auth] unsupported JWT algorithm: ${String(alg)}`)
    }
  }
  return Object.freeze([...new Set(algorithms as JwtAlgorithm[])])
}

function audienceOf(options: JwtOptions): string[] | undefined {
  const { audience } = options as { audience?: unknown }
  if (audience === false) return undefined
  if (audience === undefined) {
    throw new TypeError(
      '[@mcpx/auth] jwt() needs an audience (the resource this server is), or audience: false to accept tokens issued for any audience',
    )
  }
  const list = [audience].flat()
  if (list.length === 0 || !list.every((aud) => typeof aud === 'string' && aud !== '')) {
    throw new TypeError(
      '[@mcpx/auth] audience must be a non-empty string, an array of them, or false',
    )
  }
  return list as string[]
}

function keysOf(options: JwtOptions, algorithms: readonly JwtAlgorithm[]) {
  const given = ['secret', 'key', 'jwksUri'].filter(
    (name) => (options as unknown as Record<string, unknown>)[name] !== undefined,
  )
  if (given.length !== 1) {
    throw new TypeError('[@mcpx/auth] jwt() needs exactly one of secret, key and jwksUri')
  }
  if (options.secret !== undefined) return secretKeys(options.secret, algorithms)
  if (options.key !== undefined) return publicKeys(options.key, algorithms)
  assertAsymmetric(algorithms, 'a JWKS')
  return remoteKeys(options.jwksUri!, options.jwks)
}

interface Verified {
  readonly principal: Principal
  /** The token's `exp`, in milliseconds. */
  readonly expires: number
}

interface Entry {
  /** The whole `Authorization` header the token came in: the entry answers that exact string only. */
  readonly header: string
  /** The principal as the settled promise every hit returns. */
  readonly answer: Promise<Principal>
  /** The token's `exp`, or sooner the end of the cache's `ttl`, in milliseconds: never used past it. */
  readonly until: number
}

/**
 * A header's cache slot: its length mixed with its last 8 characters (the
 * token's signature). Keyed by the string itself, the cache would hash all
 * of it on every message, since each message brings a new string: about
 * 2 ns a character, over 1 µs for an RS256 token. Headers that share a slot
 * only evict each other: an entry answers only the header it holds,
 * compared whole.
 */
function slotOf(header: string): number {
  let slot = header.length
  for (let i = Math.max(0, header.length - 8); i < header.length; i++) {
    slot = (Math.imul(slot, 31) + header.charCodeAt(i)) | 0
  }
  return slot
}

/** What `jwt()` makes of its options, once, when it runs. */
interface Settings {
  readonly keys: KeyLookup
  readonly verifyOptions: JWTVerifyOptions
  /** Seconds, as jose takes it; also the allowance on a future `iat`. */
  readonly clockTolerance: number
  readonly scopeClaim: string | undefined
  readonly maxTokenBytes: number
  /** Most milliseconds a cache entry is used; 0 without a cache. */
  readonly maxTtl: number
  /** The cache's `max`, or undefined for no cache. */
  readonly cacheMax: number | undefined
}

/** Checks the options in the order `jwt()` always has, so the first fault found is the same one. */
function settingsOf(options: JwtOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('[@mcpx/auth] jwt() needs options')
  }
  const algorithms = algorithmsOf(options)
  const audience = audienceOf(options)
  const keys = keysOf(options, algorithms)
  const clockTolerance = options.clockTolerance ?? 0
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0) {
    throw new TypeError('[@mcpx/auth] clockTolerance must be a number of seconds >= 0')
  }
  const maxTokenBytes = integer('jwt()', 'maxTokenBytes', options.maxTokenBytes ?? 8192, '> 0')
  const verifyOptions: JWTVerifyOptions = Object.freeze({
    algorithms: [...algorithms],
    // jose accepts a token without `exp` unless told otherwise.
    requiredClaims: ['exp'],
    clockTolerance,
    ...(options.issuer === undefined ? {} : { issuer: [options.issuer].flat() }),
    ...(audience === undefined ? {} : { audience }),
    ...(options.typ === undefined ? {} : { typ: options.typ }),
  })
  const cache = options.cache ?? {}
  return {
    keys,
    verifyOptions,
    clockTolerance,
    scopeClaim: options.scopeClaim,
    maxTokenBytes,
    maxTtl: cache === false ? 0 : milliseconds('jwt()', 'cache.ttl', cache.ttl ?? 300_000, '>= 0'),
    cacheMax:
      cache === false
        ? undefined
        : integer('jwt()', 'cache.max', cache.max ?? 1000, '> 0', MAX_CACHE_ENTRIES),
  }
}

/** jose's checks, then the ones it leaves out: a future `iat`, a usable principal. */
async function verify(token: string, settings: Settings): Promise<Verified> {
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(token, settings.keys, settings.verifyOptions))
  } catch (error) {
    if (error instanceof KeySetUnavailable) throw error
    throw unauthorized('invalid_token', error)
  }
  // jose checks a future `iat` only together with `maxTokenAge`.
  if (
    typeof payload.iat === 'number' &&
    payload.iat > Date.now() / 1000 + settings.clockTolerance
  ) {
    throw unauthorized('invalid_token', new Error('"iat" is in the future'))
  }
  const principal = principalOfPayload(payload, settings.scopeClaim)
  if (principal === undefined) {
    throw unauthorized('invalid_token', new Error('no usable "sub", client id or scopes'))
  }
  return { principal, expires: payload.exp! * 1000 }
}

/**
 * Verifies a JWT bearer token (RFC 7519, RFC 9068 access tokens) with jose:
 * an algorithm allow-list, `exp` required, `nbf` honoured, a future `iat`
 * refused, unknown `crit` headers refused, keys only from the configuration
 * (never from a token's `jku`, `x5u` or `jwk`). A verified token is cached
 * until its `exp` at the latest, and a cache entry answers only the exact
 * `Authorization` header it was verified for, so a repeat costs a lookup and
 * a tampered copy never hits.
 *
 * @example
 * ```ts
 * const verify = jwt({
 *   jwksUri: 'https://auth.example.com/.well-known/jwks.json',
 *   algorithms: ['RS256'],
 *   issuer: 'https://auth.example.com',
 *   // The resource this server is: tokens issued for another one are refused.
 *   audience: 'https://mcp.example.com',
 * })
 * ```
 */
export function jwt(options: JwtOptions): Authenticator {
  const settings = settingsOf(options)
  const { maxTokenBytes, maxTtl } = settings
  const cache =
    settings.cacheMax === undefined
      ? undefined
      : // No lru-cache ttl: a hit reads the clock anyway to check `until`, and lru-cache's
        // ttl clock would arm a timer every millisecond under traffic.
        new LRUCache<number, Entry>({ max: settings.cacheMax })

  async function miss(header: string, slot: number): Promise<Principal> {
    const token = tokenOf(header, maxTokenBytes)
    if (!COMPACT.test(token)) throw unauthorized('invalid_token')
    const { principal, expires } = await verify(token, settings)
    const now = Date.now()
    const until = Math.min(expires, now + maxTtl)
    if (cache && until - now >= 1) {
      cache.set(slot, { header, answer: Promise.resolve(principal), until })
    }
    return principal
  }

  // Not async: a hit returns the promise its entry holds, which saves the
  // allocation of a new one on every message.
  return function jwt(request) {
    let header: string
    try {
      header = authorizationHeader(request, maxTokenBytes)
    } catch (error) {
      return Promise.reject(error)
    }
    const slot = slotOf(header)
    const hit = cache?.get(slot)
    if (hit !== undefined && hit.header === header) {
      if (hit.until > Date.now()) return hit.answer
      cache?.delete(slot)
    }
    return miss(header, slot)
  }
}
