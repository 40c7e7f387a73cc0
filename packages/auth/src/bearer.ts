import type { Principal } from '@mcpx/core'
import { type Authenticator, bearerToken, unauthorized } from './authenticator.js'
import { integer } from './options.js'
import { type Secret, secretTable } from './secrets.js'

/** One static token and whom it stands for. */
export interface BearerToken {
  /** The token, or `{ sha256: '<hex>' }` so that the configuration holds no usable secret. */
  token: Secret
  /** The principal a request with this token gets. */
  principal: Principal
}

/** Options for {@link bearer}. */
export interface BearerOptions {
  /** The accepted tokens. */
  tokens: readonly BearerToken[]
  /** Longest token accepted, checked before hashing. @defaultValue 4096 */
  maxTokenBytes?: number
}

/**
 * Static bearer tokens (RFC 6750 `Authorization: Bearer …`) mapped to
 * principals, for service accounts and development. Tokens may be stored as
 * SHA-256 hex digests; a presented token is hashed and compared with every
 * configured one in constant time.
 *
 * @example
 * ```ts
 * const verify = bearer({
 *   tokens: [
 *     { token: { sha256: process.env.CI_TOKEN_SHA256! }, principal: { subject: 'ci', scopes: ['tools:*'] } },
 *   ],
 * })
 * ```
 */
export function bearer(options: BearerOptions): Authenticator {
  const maxTokenBytes = integer('bearer()', 'maxTokenBytes', options.maxTokenBytes ?? 4096, '> 0')
  const tokens = options.tokens
  if (!Array.isArray(tokens)) throw new TypeError('[@mcpx/auth] bearer() needs tokens')
  const lookup = secretTable(
    tokens.map(({ token, principal }) => ({ secret: token, principal })),
    'bearer()',
  )
  return async function bearer(request) {
    const principal = await lookup(bearerToken(request, maxTokenBytes))
    if (principal === undefined) throw unauthorized('invalid_token')
    return principal
  }
}
