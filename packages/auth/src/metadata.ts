import { integer } from './options.js'
import { assertScopes } from './scopes.js'

/** The RFC 9728 §2 protected-resource metadata document (the fields mcpx writes). */
export interface ProtectedResourceMetadata {
  readonly resource: string
  readonly authorization_servers: readonly string[]
  readonly scopes_supported?: readonly string[]
  readonly bearer_methods_supported: readonly string[]
  readonly jwks_uri?: string
  readonly resource_name?: string
  readonly resource_documentation?: string
  readonly resource_policy_uri?: string
  readonly resource_tos_uri?: string
  readonly resource_signing_alg_values_supported?: readonly string[]
}

/** Options for {@link protectedResourceMetadata}. */
export interface ProtectedResourceMetadataOptions {
  /** The resource identifier: this server's canonical URL (https, no fragment or query; RFC 9728 §2, RFC 8707). */
  resource: string | URL
  /** Issuer identifiers of the authorization servers (RFC 8414); MCP 2025-11-25 requires at least one. */
  authorizationServers: readonly (string | URL)[]
  /** The scopes clients may request here. @defaultValue not advertised */
  scopesSupported?: readonly string[]
  /** How a token may be sent; MCP allows only the header. @defaultValue `['header']` */
  bearerMethodsSupported?: readonly ('header' | 'body')[]
  /** @defaultValue none */
  jwksUri?: string | URL
  /** Human-readable name of the resource. @defaultValue none */
  resourceName?: string
  /** @defaultValue none */
  resourceDocumentation?: string | URL
  /** @defaultValue none */
  resourcePolicyUri?: string | URL
  /** @defaultValue none */
  resourceTosUri?: string | URL
  /** @defaultValue none */
  resourceSigningAlgValuesSupported?: readonly string[]
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/** An https URL (http only on loopback, for development), without fragment, as a string. */
function httpsUrl(value: unknown, name: string, query: boolean): string {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw new TypeError(`[@mcpx/auth] ${name} must be an absolute URL`)
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new TypeError(`[@mcpx/auth] ${name} must use https (http only on loopback)`)
  }
  if (url.hash !== '' || String(value).includes('#')) {
    throw new TypeError(`[@mcpx/auth] ${name} must not have a fragment`)
  }
  if (!query && url.search !== '') throw new TypeError(`[@mcpx/auth] ${name} must not have a query`)
  return String(value)
}

function optionalUrl(value: string | URL | undefined, name: string) {
  return value === undefined ? undefined : httpsUrl(value, name, true)
}

/**
 * The protected-resource metadata document (RFC 9728 §2) that tells an MCP
 * client which authorization servers issue tokens for this server (MCP
 * 2025-11-25 §Authorization Server Discovery). Validated and frozen once.
 *
 * @throws TypeError when `resource` or an authorization server is not an
 *   https URL (http on loopback) or has a fragment, when there is no
 *   authorization server, `bearerMethodsSupported` holds `query` (MCP
 *   forbids tokens in the query string) or a scope is not a scope token
 * @example
 * ```ts
 * const metadata = protectedResourceMetadata({
 *   resource: 'https://mcp.example.com/mcp',
 *   authorizationServers: ['https://auth.example.com'],
 *   scopesSupported: ['tools:call', 'admin'],
 * })
 * ```
 */
export function protectedResourceMetadata(
  options: ProtectedResourceMetadataOptions,
): ProtectedResourceMetadata {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('[@mcpx/auth] protectedResourceMetadata() needs options')
  }
  const resource = httpsUrl(options.resource, 'resource', false)
  const servers = options.authorizationServers
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new TypeError(
      '[@mcpx/auth] authorizationServers needs at least one issuer (MCP 2025-11-25)',
    )
  }
  // RFC 8414 §2: an issuer identifier has no query or fragment.
  const authorizationServers = servers.map((s, i) =>
    httpsUrl(s, `authorizationServers[${i}]`, false),
  )
  const methods = options.bearerMethodsSupported ?? ['header']
  if (!Array.isArray(methods) || methods.some((m) => m !== 'header' && m !== 'body')) {
    throw new TypeError("[@mcpx/auth] bearerMethodsSupported may hold only 'header' and 'body'")
  }
  const document: Record<string, unknown> = {
    resource,
    authorization_servers: Object.freeze(authorizationServers),
    bearer_methods_supported: Object.freeze([...methods]),
    scopes_supported:
      options.scopesSupported && assertScopes(options.scopesSupported, 'scopesSupported'),
    jwks_uri: optionalUrl(options.jwksUri, 'jwksUri'),
    resource_name: options.resourceName,
    resource_documentation: optionalUrl(options.resourceDocumentation, 'resourceDocumentation'),
    resource_policy_uri: optionalUrl(options.resourcePolicyUri, 'resourcePolicyUri'),
    resource_tos_uri: optionalUrl(options.resourceTosUri, 'resourceTosUri'),
    resource_signing_alg_values_supported:
      options.resourceSigningAlgValuesSupported &&
      Object.freeze([...options.resourceSigningAlgValuesSupported]),
  }
  for (const key of Object.keys(document)) if (document[key] === undefined) delete document[key]
  return Object.freeze(document) as unknown as ProtectedResourceMetadata
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource'

/**
 * Where the metadata of `resource` is (RFC 9728 §3.1): the well-known path
 * inserted between the host and the resource's path, a trailing `/` removed
 * (`https://mcp.example.com/mcp` → `https://mcp.example.com/.well-known/oauth-protected-resource/mcp`).
 *
 * @example
 * ```ts
 * const challenge = wwwAuthenticate({ resourceMetadata: protectedResourceMetadataUrl('https://mcp.example.com/mcp') })
 * ```
 */
export function protectedResourceMetadataUrl(resource: string | URL): string {
  const url = new URL(httpsUrl(resource, 'resource', false))
  const path = url.pathname.replace(/\/$/, '')
  return `${url.origin}${WELL_KNOWN}${path}`
}

/** The parts of a `node:http` `IncomingMessage` the handler reads. */
export interface NodeRequestLike {
  readonly method?: string | undefined
  readonly url?: string | undefined
}

/** The parts of a `node:http` `ServerResponse` the handler writes. */
export interface NodeResponseLike {
  statusCode: number
  setHeader(name: string, value: string): unknown
  end(body?: string): unknown
}

/** Options for {@link protectedResourceHandler}. */
export interface ProtectedResourceHandlerOptions {
  /**
   * Also serve the document at the root `/.well-known/oauth-protected-resource`
   * (MCP 2025-11-25 clients try the path-suffix form first, then the root).
   * @defaultValue `true`
   */
  root?: boolean
  /** `Cache-Control: max-age` in seconds. @defaultValue `3600` */
  maxAge?: number
}

/** Serves the metadata document; see {@link protectedResourceHandler}. */
export interface ProtectedResourceHandler {
  /** The document's URL (RFC 9728 §3.1), for `WWW-Authenticate: Bearer resource_metadata="…"`. */
  readonly url: string
  /** The paths answered. */
  readonly paths: readonly string[]
  /** Fetch style: the answer, or `undefined` when the path is not one of {@link paths}. */
  fetch(request: Request): Response | undefined
  /** `node:http` style: `true` when it answered, `false` when the path is not one of {@link paths}. */
  node(req: NodeRequestLike, res: NodeResponseLike): boolean
}

interface Answer {
  status: number
  headers: Record<string, string>
  body: string | undefined
}

/** What the handler serves, fixed when it is made. */
interface Served {
  readonly paths: readonly string[]
  /** The headers of a `GET` or `HEAD` answer. */
  readonly headers: Record<string, string>
  readonly body: string
}

const CORS = { 'access-control-allow-origin': '*' }

function answerTo(
  served: Served,
  method: string | undefined,
  pathname: string,
): Answer | undefined {
  if (!served.paths.includes(pathname)) return undefined
  const { headers, body } = served
  if (method === 'GET') return { status: 200, headers, body }
  if (method === 'HEAD') return { status: 200, headers, body: undefined }
  if (method === 'OPTIONS') {
    const preflight = { ...CORS, 'access-control-allow-methods': 'GET, HEAD, OPTIONS' }
    return { status: 204, headers: preflight, body: undefined }
  }
  return { status: 405, headers: { ...CORS, allow: 'GET, HEAD, OPTIONS' }, body: undefined }
}

/** Checks the metadata and options once, and fixes the answers' parts. */
function servedOf(
  metadata: ProtectedResourceMetadata,
  options: ProtectedResourceHandlerOptions,
): Served & { readonly url: string } {
  if (typeof metadata?.resource !== 'string') {
    throw new TypeError('[@mcpx/auth] protectedResourceHandler() needs protectedResourceMetadata()')
  }
  const maxAge = integer('protectedResourceHandler()', 'maxAge', options.maxAge ?? 3600, '>= 0')
  const url = protectedResourceMetadataUrl(metadata.resource)
  const own = new URL(url).pathname
  const paths = Object.freeze(
    options.root === false || own === WELL_KNOWN ? [own] : [own, WELL_KNOWN],
  )
  return {
    url,
    paths,
    body: JSON.stringify(metadata),
    headers: {
      ...CORS,
      'content-type': 'application/json',
      'cache-control': `public, max-age=${maxAge}`,
    },
  }
}

/**
 * Serves the protected-resource metadata (RFC 9728 §3.2: 200,
 * `application/json`) at its path-suffix well-known path and, by default,
 * the root one; `GET` and `HEAD` only (`OPTIONS` answers CORS preflights,
 * since browser-based clients fetch it cross-origin; anything else 405).
 *
 * @example
 * ```ts
 * const wellKnown = protectedResourceHandler(metadata)
 * http.createServer((req, res) => {
 *   if (wellKnown.node(req, res)) return
 *   // … the MCP endpoint, answering 401 with wwwAuthenticate({ resourceMetadata: wellKnown.url })
 * })
 * ```
 */
export function protectedResourceHandler(
  metadata: ProtectedResourceMetadata,
  options: ProtectedResourceHandlerOptions = {},
): ProtectedResourceHandler {
  const served = servedOf(metadata, options)
  const answer = (method: string | undefined, pathname: string) =>
    answerTo(served, method, pathname)

  return {
    url: served.url,
    paths: served.paths,
    fetch(request) {
      const found = answer(request.method, new URL(request.url).pathname)
      if (found === undefined) return undefined
      return new Response(found.body ?? null, { status: found.status, headers: found.headers })
    },
    node(req, res) {
      const target = req.url ?? '/'
      const query = target.indexOf('?')
      const found = answer(req.method, query === -1 ? target : target.slice(0, query))
      if (found === undefined) return false
      res.statusCode = found.status
      for (const [name, value] of Object.entries(found.headers)) res.setHeader(name, value)
      res.end(found.body)
      return true
    },
  }
}
