import { ErrorCode, McpxError } from '@mcpx/core'
import type { Authenticator } from './authenticator.js'
import { assertScopes } from './scopes.js'

/** The parameters of a `WWW-Authenticate: Bearer` challenge (RFC 6750 §3, RFC 9728 §5.1). */
export interface BearerChallenge {
  /** The protection space (RFC 6750 §3). @defaultValue none */
  realm?: string
  /** The RFC 6750 §3.1 error code. @defaultValue none (a request without credentials) */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope'
  /** Human-readable text for developers, never for secrets. @defaultValue none */
  errorDescription?: string
  /** The scopes the request needs (RFC 6750 §3; MCP 2025-11-25 §Scope Challenge Handling). @defaultValue none */
  scope?: string | readonly string[]
  /** URL of the protected-resource metadata document (RFC 9728 §5.1). @defaultValue none */
  resourceMetadata?: string | URL
}

/**
 * RFC 6750 §3: `error`, `error_description` and `scope` values are
 * %x20-21 / %x23-5B / %x5D-7E. `realm` and `resource_metadata` are held to
 * the same set: printable ASCII with no `"` or `\` to escape, no CR/LF.
 */
const VALUE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/

function quoted(name: string, value: string): string {
  if (!VALUE.test(value)) {
    throw new TypeError(
      `[@mcpx/auth] a WWW-Authenticate ${name} may not contain ${JSON.stringify(value)}`,
    )
  }
  return `${name}="${value}"`
}

/**
 * The value of a `WWW-Authenticate` header for a Bearer challenge. For a
 * `401`, point at the metadata (MCP 2025-11-25 §Protected Resource Metadata
 * Discovery Requirements); for a `403`, name `insufficient_scope` and the
 * scopes the operation needs (RFC 6750 §3.1).
 *
 * @throws TypeError when a value holds characters RFC 6750 §3 does not allow
 * @example
 * ```ts
 * wwwAuthenticate({ resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource' })
 * // 'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"'
 * wwwAuthenticate({ error: 'insufficient_scope', scope: ['tools:call'] })
 * // 'Bearer error="insufficient_scope", scope="tools:call"'
 * ```
 */
export function wwwAuthenticate(challenge: BearerChallenge = {}): string {
  const params: string[] = []
  const { realm, error, errorDescription, scope, resourceMetadata } = challenge
  if (realm !== undefined) params.push(quoted('realm', realm))
  if (error !== undefined) params.push(quoted('error', error))
  if (scope !== undefined) {
    const scopes = typeof scope === 'string' ? [scope] : assertScopes(scope, 'wwwAuthenticate()')
    params.push(quoted('scope', scopes.join(' ')))
  }
  if (resourceMetadata !== undefined) {
    params.push(quoted('resource_metadata', String(resourceMetadata)))
  }
  if (errorDescription !== undefined) {
    params.push(quoted('error_description', errorDescription))
  }
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`
}

/** Options for {@link insufficientScope}. */
export interface InsufficientScopeOptions {
  /** Added to the challenge as `resource_metadata` (RFC 9728 §5.1). @defaultValue none */
  resourceMetadata?: string | URL
}

/**
 * The refusal of a caller whose token lacks scopes: -32031 (`Forbidden`,
 * HTTP 403 where the transport answers the request with it) with
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`, and the
 * same scopes as `data.scope` for transports without headers (stdio). The
 * scopes named are those the operation needs, not only the missing ones
 * (RFC 6750 §3.1): the client asks for them on top of what it has.
 *
 * @example
 * ```ts
 * throw insufficientScope(['admin:write'])
 * ```
 */
export function insufficientScope(
  scopes: readonly string[],
  options: InsufficientScopeOptions = {},
): McpxError {
  const scope = assertScopes(scopes, 'insufficientScope()').join(' ')
  const header = wwwAuthenticate({
    error: 'insufficient_scope',
    scope,
    ...(options.resourceMetadata === undefined
      ? {}
      : { resourceMetadata: options.resourceMetadata }),
  })
  return new McpxError(ErrorCode.Forbidden, 'Insufficient scope', {
    data: { error: 'insufficient_scope', scope },
    headers: { 'www-authenticate': header },
  })
}

/**
 * The authenticator, with `resource_metadata="…"` added to the challenge of
 * each of its -32030 refusals, so that a 401 tells an MCP client where the
 * metadata is (MCP 2025-11-25 §Protected Resource Metadata Discovery
 * Requirements, RFC 9728 §5.1). Other errors pass unchanged.
 *
 * @example
 * ```ts
 * createStreamableHttpHandler(proxy, { authenticate: withResourceMetadata(verify, wellKnown.url) })
 * ```
 */
export function withResourceMetadata(
  authenticator: Authenticator,
  resourceMetadata: string | URL,
): Authenticator {
  const param = wwwAuthenticate({ resourceMetadata }).slice('Bearer '.length)
  return async function withResourceMetadata(request) {
    try {
      return await authenticator(request)
    } catch (error) {
      if (!McpxError.is(error) || error.code !== ErrorCode.Unauthorized) throw error
      const challenge = error.headers?.['www-authenticate'] ?? 'Bearer'
      if (!/^bearer\b/i.test(challenge) || challenge.includes('resource_metadata=')) throw error
      throw new McpxError(error.code, error.message, {
        data: error.data,
        cause: error.cause,
        headers: {
          ...error.headers,
          'www-authenticate': challenge === 'Bearer' ? `Bearer ${param}` : `${challenge}, ${param}`,
        },
      })
    }
  }
}
