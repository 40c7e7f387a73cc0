import { clientSecretBasic } from './http.js'
import { milliseconds } from './options.js'
import { isScopeToken } from './scopes.js'
import { type Issued, requestToken, type TokenRequest } from './token-request.js'

/** How the gateway authenticates itself to the token endpoint (RFC 6749 §2.3.1). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post'

/** Options for {@link clientCredentials}. */
export interface ClientCredentialsOptions {
  /** The authorization server's token endpoint (RFC 6749 §3.2), `http:` or `https:`. */
  tokenUrl: string | URL
  /** The gateway's client id at the authorization server. */
  clientId: string
  /** Its client secret. Never appears in an error message or a log line made here. */
  clientSecret: string
  /**
   * Scopes to ask for (RFC 6749 §3.3): a space-delimited string or a list.
   * @defaultValue none: the server's default scope
   */
  scope?: string | readonly string[]
  /**
   * The upstream the token is for, as an RFC 8707 resource indicator (an
   * absolute URI without a fragment): the server can then issue a token
   * valid for that upstream only. MCP servers expect their own URL here.
   * @defaultValue none
   */
  resource?: string | URL
  /**
   * Auth0's `audience` parameter (its name for the API the token is for),
   * for servers that take it instead of `resource`.
   * @defaultValue none
   */
  audience?: string
  /**
   * `client_secret_basic`: id and secret form-encoded, then sent as HTTP
   * Basic (RFC 6749 §2.3.1). `client_secret_post`: both in the form body.
   * @defaultValue `'client_secret_basic'`
   */
  authMethod?: ClientAuthMethod
  /**
   * Milliseconds before expiry from which a call starts one background
   * refresh while the current token keeps being served; never more than
   * half the token's lifetime.
   * @defaultValue 60000
   */
  refreshBefore?: number
  /** Milliseconds a token request may take, body included; it is aborted past it. @defaultValue 10000 */
  timeout?: number
  /**
   * Milliseconds after a failed token request during which no other is
   * made: calls that need a new token fail at once with the same error, so
   * an outage of the token endpoint is not met with a request per call.
   * Also how old a token must be for `invalidate()` to drop it, so an
   * upstream that refuses every token causes at most one token request
   * per `cooldown`.
   * @defaultValue 5000
   */
  cooldown?: number
  /** The `fetch` to use (tests, a custom dispatcher). @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch
}

/**
 * A header source for an upstream connector: each call resolves with the
 * `Authorization` header carrying a valid access token.
 */
export interface ClientCredentials {
  (): Promise<{ authorization: string }>
  /** The access token itself, obtained as the header is. */
  token(): Promise<string>
  /**
   * The upstream refused the token (HTTP 401): forget it, so that the next
   * call asks for a new one. The connectors of `@mcpx/transports` call this
   * on a 401. Only a token obtained more than `cooldown` ago is dropped: one
   * refused right after it was issued is not stale (a new one would be
   * refused too, or the refusal was meant for its predecessor), so
   * refusals cause at most one token request per `cooldown`.
   */
  invalidate(): void
}

/** Every message of `clientCredentials()` starts so (a test holds it to that). */
const WHERE = 'clientCredentials():'
const fail = (what: string) => new TypeError(`[@mcpx/auth] ${WHERE} ${what}`)

/**
 * The gateway's own credentials for an upstream: an OAuth 2.0 access token
 * obtained with the client credentials grant (RFC 6749 §4.4), cached, and
 * refreshed before it expires. Nothing of a downstream client's credentials
 * is involved (MCP Authorization §Token Passthrough).
 *
 * Tokens are fetched on demand, never by a timer: a call within
 * `refreshBefore` of expiry starts one background refresh and gets the
 * still-valid token; a call with no valid token waits for one request that
 * every concurrent caller shares. Token requests follow no redirect (the
 * secret stays with the configured endpoint), read at most 64 KiB, and are
 * aborted after `timeout`; a failure holds off further requests for
 * `cooldown`. A 401 from the upstream calls `invalidate()`, which drops a
 * token older than `cooldown`, so a revoked token is replaced by the next
 * call while an upstream that refuses every token gets at most one new
 * token per `cooldown`. The answer must carry an `access_token` with `token_type`
 * Bearer; `expires_in` in seconds (a number, or a string of digits) is
 * optional and taken as 300 when absent. Errors are `TokenUnavailable`s
 * whose message names what failed in the gateway's words (`answered HTTP
 * 401 (invalid_client)`); the underlying error is their `cause`.
 *
 * @example
 * ```ts
 * const search = upstream('search', streamableHttp({
 *   url: 'https://search.internal.example/mcp',
 *   headers: clientCredentials({
 *     tokenUrl: 'https://auth.example.com/oauth/token',
 *     clientId: 'mcp-gateway',
 *     clientSecret: process.env.SEARCH_CLIENT_SECRET!,
 *     scope: ['search:read'],
 *     resource: 'https://search.internal.example/mcp',
 *   }),
 * }))
 * ```
 */
export function clientCredentials(options: ClientCredentialsOptions): ClientCredentials {
  const tokens = heldToken(settingsOf(options))
  const source = async function clientCredentials() {
    return { authorization: `Bearer ${(await tokens.current()).token}` }
  }
  return Object.assign(source, {
    token: async () => (await tokens.current()).token,
    invalidate: tokens.invalidate,
  })
}

/**
 * The token held and the one request at a time that renews it, on demand
 * (never a timer): a valid token is served, and near expiry renewed in the
 * background; a failure is repeated to callers for `cooldown`.
 */
function heldToken(settings: TokenRequest) {
  let issued: Issued | undefined
  /** When `issued` was obtained: `invalidate()` keeps a token younger than `cooldown`. */
  let issuedAt = 0
  let pending: Promise<Issued> | undefined
  let failed: { error: unknown; until: number } | undefined

  /** Callers check that no request is pending: there is one at a time. */
  function renew(): Promise<Issued> {
    pending = requestToken(settings)
      .then(
        (token) => {
          issued = token
          issuedAt = Date.now()
          failed = undefined
          return token
        },
        (error: unknown) => {
          failed = { error, until: Date.now() + settings.cooldown }
          throw error
        },
      )
      .finally(() => {
        pending = undefined
      })
    return pending
  }

  async function current(): Promise<Issued> {
    const now = Date.now()
    const held = issued
    const coolingDown = failed !== undefined && now < failed.until
    if (held !== undefined && now < held.expiresAt) {
      // Still valid: serve it, and refresh once in the background when it nears expiry.
      if (now >= held.refreshAt && pending === undefined && !coolingDown) renew().catch(() => {})
      return held
    }
    if (pending !== undefined) return pending
    if (coolingDown) throw failed!.error
    return renew()
  }

  const invalidate = () => {
    if (Date.now() - issuedAt > settings.cooldown) issued = undefined
  }
  return { current, invalidate }
}

/** Checks the options in the order `clientCredentials()` always has, naming no secret. */
function settingsOf(options: ClientCredentialsOptions): TokenRequest {
  if (typeof options !== 'object' || options === null) throw fail('needs an options object')
  const url = tokenUrlOf(options.tokenUrl)
  const { clientId, clientSecret } = options
  if (typeof clientId !== 'string' || clientId === '') throw fail('clientId must be a string')
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw fail('clientSecret must be a non-empty string')
  }
  const authMethod = options.authMethod ?? 'client_secret_basic'
  if (authMethod !== 'client_secret_basic' && authMethod !== 'client_secret_post') {
    throw fail("authMethod must be 'client_secret_basic' or 'client_secret_post'")
  }
  const form = formOf(options)
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  if (authMethod === 'client_secret_basic') {
    headers.authorization = clientSecretBasic(clientId, clientSecret)
  } else {
    form.set('client_id', clientId)
    form.set('client_secret', clientSecret)
  }
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  if (typeof fetchImpl !== 'function') throw fail('fetch must be a function')
  return {
    url: url.href,
    // Never follow a redirect: it would carry the client secret to wherever it points.
    init: { method: 'POST', headers, body: form.toString(), redirect: 'error' },
    refreshBefore: milliseconds(WHERE, 'refreshBefore', options.refreshBefore ?? 60_000, '>= 0'),
    timeout: milliseconds(WHERE, 'timeout', options.timeout ?? 10_000, '> 0'),
    cooldown: milliseconds(WHERE, 'cooldown', options.cooldown ?? 5_000, '>= 0'),
    fetch: fetchImpl,
  }
}

function tokenUrlOf(value: string | URL): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw fail('tokenUrl must be an absolute http(s) URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw fail('tokenUrl must be an absolute http(s) URL')
  }
  if (url.username !== '' || url.password !== '') {
    throw fail('tokenUrl must not hold credentials (use clientId and clientSecret)')
  }
  return url
}

/** The grant's form (RFC 6749 §4.4.2) without the client's credentials. */
function formOf(options: ClientCredentialsOptions): URLSearchParams {
  const form = new URLSearchParams({ grant_type: 'client_credentials' })
  const scope = scopeOf(options.scope)
  if (scope !== '') form.set('scope', scope)
  if (options.resource !== undefined) form.set('resource', resourceOf(options.resource))
  if (options.audience !== undefined) {
    if (typeof options.audience !== 'string' || options.audience === '') {
      throw fail('audience must be a non-empty string')
    }
    form.set('audience', options.audience)
  }
  return form
}

function scopeOf(value: ClientCredentialsOptions['scope']) {
  if (value === undefined) return ''
  const tokens =
    typeof value === 'string'
      ? value.split(' ').filter((s) => s !== '')
      : Array.isArray(value)
        ? value
        : undefined
  if (tokens === undefined || !tokens.every(isScopeToken)) {
    throw fail('scope must be a space-delimited string or a list of scope tokens (RFC 6749 §3.3)')
  }
  return tokens.join(' ')
}

function resourceOf(value: string | URL): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw fail('resource must be an absolute URI (RFC 8707 §2)')
  }
  if (url.hash !== '' || String(value).includes('#')) {
    throw fail('resource must not have a fragment (RFC 8707 §2)')
  }
  return String(value)
}
