import { ErrorCode, McpxError } from '@mcpx/core'
import { type Authenticator, MESSAGES } from './authenticator.js'

/**
 * How telling a failure is: a server failure (the caller may hold a good
 * token that could not be checked) over another McpxError (a deliberate
 * answer, e.g. -32031), over `invalid_request`, over `invalid_token`, over
 * "no credentials of mine" (a bare challenge).
 */
function rank(error: unknown): number {
  if (!McpxError.is(error)) return 4
  if (error.code !== ErrorCode.Unauthorized) return 3
  // Basic challenges name no error: our own refusals are told apart by their message too.
  const challenge = error.headers?.['www-authenticate'] ?? ''
  if (challenge.includes('error="invalid_request"')) return 2
  if (error.message === MESSAGES.invalid_request) return 2
  if (challenge.includes('error=') || error.message === MESSAGES.invalid_token) return 1
  return 0
}

/**
 * Tries authenticators in order and takes the first principal. When none
 * accepts, throws the most specific failure (the first of equals): a token
 * that is malformed or does not verify beats "no credentials", so
 * `anyOf([jwt(…), apiKey(…)])` answers a bad JWT with `invalid_token`, not
 * with the API key's bare challenge.
 *
 * @example
 * ```ts
 * const verify = anyOf([jwt({ jwksUri, algorithms: ['RS256'], audience }), apiKey({ keys })])
 * ```
 */
export function anyOf(authenticators: readonly Authenticator[]): Authenticator {
  if (
    !Array.isArray(authenticators) ||
    authenticators.length === 0 ||
    !authenticators.every((a) => typeof a === 'function')
  ) {
    throw new TypeError('[@mcpx/auth] anyOf() needs a non-empty array of authenticators')
  }
  const list = [...authenticators]
  return async function anyOf(request) {
    let best: unknown
    let bestRank = -1
    for (const authenticator of list) {
      try {
        return await authenticator(request)
      } catch (error) {
        const r = rank(error)
        if (r > bestRank) {
          best = error
          bestRank = r
        }
      }
    }
    throw best
  }
}
