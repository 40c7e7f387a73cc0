import { type Context, McpxError, type Middleware, principalKey } from '@mcpx/core'
import type { Authenticator, Credentials } from './authenticator.js'

/** Options for {@link authenticate}. */
export interface AuthenticateOptions {
  /**
   * Where a message's credentials are. Return `undefined` when there are
   * none (the authenticator then refuses the message as unauthenticated).
   * @defaultValue the session's HTTP headers, else a string
   * `params._meta.authorization` (`"Bearer <token>"`)
   */
  credentials?: (ctx: Context) => Credentials | undefined
}

const NONE: Credentials = Object.freeze({ headers: Object.freeze({}) })

function defaultCredentials(ctx: Context): Credentials | undefined {
  const headers = ctx.session.headers
  if (headers?.authorization !== undefined) return { headers }
  const meta = (ctx.params as { _meta?: { authorization?: unknown } } | undefined)?._meta
  const authorization = meta?.authorization
  return typeof authorization === 'string' ? { headers: { authorization } } : undefined
}

/**
 * Authentication as middleware, for stdio and in-process sessions where no
 * HTTP front end runs the `authenticate` hook. A message that already has a
 * principal (set by a front end) passes; otherwise the authenticator's
 * principal is set as `principalKey`, or its refusal answers the message.
 * Messages on their way to the client (sampling, elicitation, notifications
 * from upstreams) pass unchecked.
 *
 * @example
 * ```ts
 * proxy.use(authenticate(jwt({ secret: process.env.JWT_SECRET!, algorithms: ['HS256'], audience: 'mcp-gateway' })))
 * ```
 */
export function authenticate(
  authenticator: Authenticator,
  options: AuthenticateOptions = {},
): Middleware {
  if (typeof authenticator !== 'function') {
    throw new TypeError('[@mcpx/auth] authenticate() needs an authenticator function')
  }
  const credentialsOf = options.credentials ?? defaultCredentials
  return async function authenticate(ctx, next) {
    // What an upstream sends the client (sampling, notifications) carries no credentials: it is
    // the gateway's own traffic on a session that was authenticated when it was opened.
    if (ctx.direction === 'toServer' && ctx.get(principalKey) === undefined) {
      try {
        ctx.set(principalKey, await authenticator(credentialsOf(ctx) ?? NONE))
      } catch (error) {
        if (!McpxError.is(error)) throw error
        ctx.error = error
        return
      }
    }
    await next()
  }
}
