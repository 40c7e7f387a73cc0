import type { Principal } from '@mcpx/core'
import { type Authenticator, unauthorized } from './authenticator.js'
import { integer } from './options.js'
import { type Secret, secretTable } from './secrets.js'

/** One API key and whom it stands for. */
export interface ApiKey {
  /** The key, or `{ sha256: '<hex>' }` so that the configuration holds no usable secret. */
  key: Secret
  /** The principal a request with this key gets. */
  principal: Principal
}

/** Options for {@link apiKey}. */
export interface ApiKeyOptions {
  /** The accepted keys. */
  keys: readonly ApiKey[]
  /** The header that carries the key (any case). @defaultValue `'x-api-key'` */
  header?: string
  /**
   * Also read the key from this query parameter (`true` means `api_key`).
   * Off by default: a URL ends up in access logs, proxy logs, browser history
   * and `Referer` headers, so a key sent there should be treated as leaked.
   * While it is off, a request with the parameter is refused.
   * @defaultValue false
   */
  query?: boolean | string
  /** Longest key accepted, checked before hashing. @defaultValue 4096 */
  maxKeyBytes?: number
}

/** RFC 9110 §5.1 token characters. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function queryValues(url: string | undefined, name: string): string[] {
  if (url === undefined) return []
  const start = url.indexOf('?')
  if (start === -1) return []
  const end = url.indexOf('#', start)
  return new URLSearchParams(url.slice(start + 1, end === -1 ? undefined : end)).getAll(name)
}

/**
 * API keys in a header (`x-api-key` by default) mapped to principals. Keys
 * may be stored as SHA-256 hex digests; a presented key is hashed and
 * compared with every configured one in constant time. The query string is
 * read only with `query` set, and a key found there otherwise is refused.
 *
 * @example
 * ```ts
 * const verify = apiKey({
 *   keys: [{ key: { sha256: process.env.PARTNER_KEY_SHA256! }, principal: { subject: 'partner', scopes: ['tools:read'] } }],
 * })
 * ```
 */
export function apiKey(options: ApiKeyOptions): Authenticator {
  const header = options.header ?? 'x-api-key'
  if (typeof header !== 'string' || !FIELD_NAME.test(header)) {
    throw new TypeError('[@mcpx/auth] apiKey() header must be a header name')
  }
  const query = options.query ?? false
  if (query !== false && query !== true && (typeof query !== 'string' || query === '')) {
    throw new TypeError('[@mcpx/auth] apiKey() query must be a boolean or a parameter name')
  }
  const parameter = typeof query === 'string' ? query : 'api_key'
  const maxKeyBytes = integer('apiKey()', 'maxKeyBytes', options.maxKeyBytes ?? 4096, '> 0')
  if (!Array.isArray(options.keys)) throw new TypeError('[@mcpx/auth] apiKey() needs keys')
  const lookup = secretTable(
    options.keys.map(({ key, principal }) => ({ secret: key, principal })),
    'apiKey()',
  )
  const name = header.toLowerCase()

  return async function apiKey(request) {
    const inQuery = queryValues(request.url, parameter)
    if (query === false && inQuery.length > 0) throw unauthorized('invalid_request')
    const inHeader = request.headers[name]
    if (Array.isArray(inHeader) || inQuery.length > 1) throw unauthorized('invalid_request')
    if (inHeader !== undefined && inQuery.length > 0) throw unauthorized('invalid_request')
    const key = inHeader ?? inQuery[0]
    if (key === undefined) throw unauthorized(undefined)
    if (key === '' || key.length > maxKeyBytes) throw unauthorized('invalid_token')
    const principal = await lookup(key)
    if (principal === undefined) throw unauthorized('invalid_token')
    return principal
  }
}
