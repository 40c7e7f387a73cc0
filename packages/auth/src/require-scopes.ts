import { type Middleware, principalKey } from '@mcpx/core'
import { unauthorized } from './authenticator.js'
import { insufficientScope } from './challenge.js'
import { assertScopes, grantsOf } from './scopes.js'

/**
 * Refuses a message unless the caller holds every one of `scopes` (the
 * implication rule of `grantsScope`: `tools:*` grants `tools:call`, `*`
 * grants all). Generic in the method, so that `on()` takes it as it is. Without a principal: -32030 (401 over HTTP). Lacking a
 * scope: -32031 (403) with `WWW-Authenticate: Bearer
 * error="insufficient_scope", scope="…"` naming all of `scopes`. Use it
 * after authentication, and with core's `on()` for one method. Messages on
 * their way to the client (an upstream's sampling or notifications) pass.
 *
 * @throws TypeError when no scope is given, or one is not an RFC 6749 scope token
 * @example
 * ```ts
 * proxy.use(authenticate(verify))
 * proxy.use(on('tools/call', requireScopes('tools:call')))
 * ```
 */
export function requireScopes<M extends string = string>(...scopes: string[]): Middleware<M> {
  if (scopes.length === 0) throw new TypeError('[@mcpx/auth] requireScopes() needs a scope')
  const required = assertScopes(scopes, 'requireScopes()')
  const refusal = () => insufficientScope(required)
  return async function requireScopes(ctx, next) {
    // An upstream's messages to the client are not the caller's to authorize.
    if (ctx.direction === 'toClient') return next()
    const principal = ctx.get(principalKey)
    if (principal === undefined) {
      ctx.error = unauthorized(undefined)
      return
    }
    if (grantsOf(principal).missing(required).length > 0) {
      ctx.error = refusal()
      return
    }
    await next()
  }
}
