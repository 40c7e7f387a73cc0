import { type CryptoKey, importJWK, type JWK } from 'jose'
import { readLimited } from './http.js'
import { type JwtAlgorithm, type KeyLookup, usableFor } from './keys.js'
import { milliseconds } from './options.js'

/** Largest key set read: real ones are a few KiB; a hostile or broken endpoint cannot fill memory. */
const MAX_JWKS_BYTES = 512 * 1024

/** How `jwt()` fetches a remote key set (JWKS, RFC 7517 §5). */
export interface JwksOptions {
  /** Least milliseconds between two fetches, successful or not: unknown `kid`s cannot make it fetch more often. @defaultValue 30000 */
  cooldown?: number
  /** Milliseconds a fetch may take; the fetch is aborted past it. @defaultValue 5000 */
  timeout?: number
  /** Milliseconds after which the key set is refreshed in the background; the cached keys keep verifying meanwhile, and if the refresh fails. @defaultValue 600000 */
  maxAge?: number
  /** Extra request headers for the JWKS endpoint. */
  headers?: Readonly<Record<string, string>>
}

/** The key set has never been loaded: a server failure, not the caller's. */
export class KeySetUnavailable extends Error {
  override name = 'KeySetUnavailable'
}

/** No key of the set matches the token (unknown `kid`, wrong key type). */
export class NoMatchingKey extends Error {
  override name = 'NoMatchingKey'
}

/** What `remoteKeys()` makes of its options, once. */
interface Settings {
  readonly href: string
  readonly cooldown: number
  readonly timeout: number
  readonly maxAge: number
  readonly headers: Readonly<Record<string, string>>
}

function settingsOf(uri: string | URL, options: JwksOptions): Settings {
  const url = new URL(uri)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('[@mcpx/auth] jwksUri must be an http(s) URL')
  }
  return {
    href: url.href,
    cooldown: milliseconds('jwt()', 'jwks.cooldown', options.cooldown ?? 30_000, '>= 0'),
    timeout: milliseconds('jwt()', 'jwks.timeout', options.timeout ?? 5_000, '>= 0'),
    maxAge: milliseconds('jwt()', 'jwks.maxAge', options.maxAge ?? 600_000, '>= 0'),
    headers: { accept: 'application/jwk-set+json, application/json', ...options.headers },
  }
}

/** A loaded key set, and the keys imported from it so far (by `kid` and `alg`). */
interface KeySet {
  readonly keys: readonly JWK[]
  readonly imported: Map<string, Promise<CryptoKey>>
  readonly loadedAt: number
}

/** Fetches the key set, or throws why it could not. */
async function fetchKeySet({ href, headers, timeout }: Settings): Promise<KeySet> {
  const response = await fetch(href, {
    headers,
    redirect: 'error',
    signal: AbortSignal.timeout(timeout),
  })
  const text = await readLimited(response, MAX_JWKS_BYTES)
  if (response.status !== 200) throw new Error(`JWKS answered HTTP ${response.status}`)
  if (text === undefined) throw new Error(`JWKS is larger than ${MAX_JWKS_BYTES} bytes`)
  const body = JSON.parse(text) as { keys?: unknown }
  if (!Array.isArray(body?.keys)) throw new Error('JWKS has no "keys" array')
  const keys = body.keys.filter(
    (key): key is JWK => typeof key === 'object' && key !== null && typeof key.kty === 'string',
  )
  return { keys, imported: new Map(), loadedAt: Date.now() }
}

/** The one key of the set for this `kid` and `alg`, imported once; undefined if none or several. */
function findKey(set: KeySet, kid: unknown, alg: JwtAlgorithm): Promise<CryptoKey> | undefined {
  const id = typeof kid === 'string' ? kid : undefined
  const memo = `${id ?? ''}\u0000${alg}`
  const hit = set.imported.get(memo)
  if (hit) return hit
  const candidates = set.keys.filter(
    (jwk) => (id === undefined || jwk.kid === id) && usableFor(jwk, alg),
  )
  // Without a `kid`, only an unambiguous key set is used.
  if (candidates.length !== 1) return undefined
  const key = importJWK(candidates[0]!, alg) as Promise<CryptoKey>
  set.imported.set(memo, key)
  return key
}

/** `run`, one call at a time, and none started within `cooldown` ms of the last start. */
function throttled(run: () => Promise<void>, cooldown: number): () => Promise<void> {
  let triedAt = Number.NEGATIVE_INFINITY
  let pending: Promise<void> | undefined
  return () => {
    if (pending) return pending
    if (Date.now() - triedAt < cooldown) return Promise.resolve()
    triedAt = Date.now()
    pending = run().finally(() => {
      pending = undefined
    })
    return pending
  }
}

/**
 * A remote key set. Not jose's `createRemoteJWKSet`, which follows no
 * redirect but does not refuse one outright, starts its cooldown only after
 * a successful fetch (so a failing JWKS server is fetched again for every
 * unknown `kid`), and fails every verification once its `cacheMaxAge` passes
 * and the refetch fails. Here the keys come only from this URL: a token's
 * `jku`, `x5u` or `jwk` header is never read.
 */
export function remoteKeys(uri: string | URL, options: JwksOptions = {}): KeyLookup {
  const settings = settingsOf(uri, options)
  const { href, maxAge } = settings
  let set: KeySet | undefined
  let failure: unknown
  const refresh = throttled(async () => {
    try {
      set = await fetchKeySet(settings)
      failure = undefined
    } catch (error) {
      failure = error
    }
  }, settings.cooldown)

  return async function jwks(header) {
    if (set === undefined) await refresh()
    if (set === undefined) {
      throw new KeySetUnavailable(`[@mcpx/auth] the JWKS at ${href} could not be loaded`, {
        cause: failure,
      })
    }
    // Stale keys keep verifying while a refresh runs (and when it fails).
    if (Date.now() - set.loadedAt > maxAge) void refresh()
    const alg = header.alg as JwtAlgorithm
    let key = findKey(set, header.kid, alg)
    if (key === undefined) {
      // An unknown kid may be a rotation: fetch again, at most once per cooldown.
      await refresh()
      key = findKey(set, header.kid, alg)
    }
    if (key === undefined) throw new NoMatchingKey('no key in the JWKS matches the token')
    return key
  }
}
