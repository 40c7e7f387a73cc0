import {
  type Authenticator,
  access,
  anyOf,
  apiKey,
  authenticate,
  bearer,
  introspection,
  jwt,
  type ProtectedResourceHandler,
  protectedResourceHandler,
  protectedResourceMetadata,
  withResourceMetadata,
} from '@mcpx/auth'
import type { Middleware, Principal } from '@mcpx/core'
import type { AuthenticatorConfig, GatewayConfig } from './config-types.js'

/** What the `auth` section becomes: the same for every front end, used where each needs it. */
export interface GatewayAuth {
  /**
   * Who is calling, for an HTTP, SSE or WebSocket front end's `authenticate`
   * hook; its 401s carry `resource_metadata` when `auth.resource` is set.
   */
  authenticator: Authenticator | undefined
  /** The RFC 9728 document's handler, when `auth.resource` is set. */
  wellKnown: ProtectedResourceHandler | undefined
  /** For the top of the stack: `authenticate()` on stdio (no hook runs there), then `access()`. */
  middleware: Middleware[]
}

/**
 * The gateway's own in-process session (the start-up check) is trusted: its
 * messages carry this principal, so that `authenticate()` lets them pass and
 * `access()` hides nothing from them. It is set only on messages the
 * gateway itself feeds to a `Session`; no credential maps to it, and no
 * front end takes a principal from the client.
 */
export const GATEWAY_PRINCIPAL: Principal = Object.freeze({
  subject: 'mcpx-gateway',
  scopes: Object.freeze(['*']),
})

/** Build the authenticators, metadata handler and scope rules of a checked config. */
export function createAuth(config: GatewayConfig): GatewayAuth {
  const { auth } = config
  if (auth === undefined || auth === 'none') {
    return { authenticator: undefined, wellKnown: undefined, middleware: [] }
  }
  const list = auth.authenticators.map(build)
  let authenticator = list.length === 1 ? list[0]! : anyOf(list)
  const wellKnown =
    auth.metadata && protectedResourceHandler(protectedResourceMetadata(auth.metadata))
  if (wellKnown) authenticator = withResourceMetadata(authenticator, wellKnown.url)
  const middleware: Middleware[] = []
  if (config.serve.transport === 'stdio') middleware.push(authenticate(authenticator))
  if (auth.access) {
    const resourceMetadata = wellKnown && { resourceMetadata: wellKnown.url }
    middleware.push(access({ ...auth.access, ...resourceMetadata }))
  }
  return { authenticator, wellKnown, middleware }
}

function build(config: AuthenticatorConfig): Authenticator {
  switch (config.kind) {
    case 'jwt':
      return jwt(config.options)
    case 'bearer':
      return bearer(config.options)
    case 'apiKey':
      return apiKey(config.options)
    case 'introspection':
      return introspection(config.options)
  }
}
