import { McpxError, type Principal } from '@mcpx/core'
import { type Authenticator, type Credentials, unauthorized } from './authenticator.js'
import { principalOf } from './secrets.js'

/** The user's own check: a principal, or `undefined` to refuse. */
export type Verify = (
  credentials: Credentials,
) => Principal | undefined | Promise<Principal | undefined>

/**
 * An authenticator from your own check. Return the principal, or
 * `undefined` to refuse with `invalid_token`; throw an `McpxError` for any
 * other answer. Anything else it throws becomes the same generic refusal,
 * its text kept as the `cause` for logs and never sent to the client.
 *
 * @example
 * ```ts
 * const verify = custom(async ({ headers }) => {
 *   const session = await sessions.find(String(headers.cookie ?? ''))
 *   return session && { subject: session.userId, scopes: session.scopes }
 * })
 * ```
 */
export function custom(verify: Verify): Authenticator {
  if (typeof verify !== 'function') {
    throw new TypeError('[@mcpx/auth] custom() needs a verify function')
  }
  return async function custom(request) {
    let principal: Principal | undefined
    try {
      principal = await verify(request)
    } catch (error) {
      if (McpxError.is(error)) throw error
      throw unauthorized('invalid_token', error)
    }
    if (principal === undefined || principal === null) throw unauthorized('invalid_token')
    try {
      return principalOf(principal, 'custom()')
    } catch (error) {
      throw unauthorized('invalid_token', error)
    }
  }
}
