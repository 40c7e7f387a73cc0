import {
  type Access,
  type AccessKind,
  accessKey,
  type Context,
  compileGlob,
  ErrorCode,
  McpxError,
  type Middleware,
  principalKey,
} from '@mcpx/core'
import { LRUCache } from 'lru-cache'
import { insufficientScope, wwwAuthenticate } from './challenge.js'
import { assertScopes, type Grants, grantsOf } from './scopes.js'

/** Name pattern (the router's glob syntax) → the scope, or all of the scopes, it needs. */
export type ScopeRules = Readonly<Record<string, string | readonly string[]>>

/** Options for {@link access}. */
export interface AccessOptions {
  /**
   * The scopes each tool, prompt, resource (by URI) and resource template
   * (by URI template) needs, by name pattern: `*` any run without `/`, `**`
   * any run, `?` one character, `\` escapes. A name matched by several
   * patterns needs the scopes of all of them.
   */
  rules: {
    tools?: ScopeRules
    prompts?: ScopeRules
    resources?: ScopeRules
    resourceTemplates?: ScopeRules
  }
  /**
   * What a name that no pattern matches is: usable by every caller, or by none.
   * @defaultValue `'allow'`
   */
  unmatched?: 'allow' | 'deny'
  /**
   * How a call of something the caller may not use is answered (`tools/call`,
   * `prompts/get`, `resources/read`, `resources/subscribe`, and
   * `completion/complete` of a prompt or a resource template): `'insufficient-scope'`
   * refuses it here with -32031 (HTTP 403) and `WWW-Authenticate: Bearer
   * error="insufficient_scope", scope="…"` naming the scopes it needs, so an
   * MCP client can ask the authorization server for them (MCP 2025-11-25
   * §Scope Challenge Handling); a caller without a principal gets -32030
   * (401, with `resource_metadata` when configured). `'unknown'` leaves the call to the router, which answers it
   * exactly like an unknown name, so probing reveals nothing. A name that no
   * scope would unlock (`unmatched: 'deny'`) is always left to the router.
   * Lists are filtered either way.
   * @defaultValue `'insufficient-scope'`
   */
  refuse?: 'insufficient-scope' | 'unknown'
  /** Added to the 403 challenge as `resource_metadata` (RFC 9728 §5.1). @defaultValue none */
  resourceMetadata?: string | URL
}

interface Rule {
  readonly test: (name: string) => boolean
  readonly scopes: readonly string[]
}

const KINDS = {
  tool: 'tools',
  prompt: 'prompts',
  resource: 'resources',
  resourceTemplate: 'resourceTemplates',
} as const satisfies Record<AccessKind, keyof AccessOptions['rules']>

/** No scope needed; and, told apart by identity, no caller allowed (`unmatched: 'deny'`). */
const NONE: readonly string[] = Object.freeze([])
const DENY: readonly string[] = Object.freeze([])
const MAX_MEMO_NAME = 512

/** The requests that use one named thing: its kind and name, or undefined. */
const USES: ReadonlyMap<string, (params: Record<string, unknown>) => Use | undefined> = new Map<
  string,
  (params: Record<string, unknown>) => Use | undefined
>([
  ['tools/call', (params) => use('tool', params.name)],
  ['prompts/get', (params) => use('prompt', params.name)],
  ['resources/read', (params) => use('resource', params.uri)],
  ['resources/subscribe', (params) => use('resource', params.uri)],
  ['resources/unsubscribe', (params) => use('resource', params.uri)],
  // A completion names the prompt or the resource template it completes an argument of.
  [
    'completion/complete',
    (params) => {
      const ref = params.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined
      if (ref?.type === 'ref/prompt') return use('prompt', ref.name)
      if (ref?.type === 'ref/resource') return use('resourceTemplate', ref.uri)
      return undefined
    },
  ],
])

type Use = readonly [AccessKind, string]

const use = (kind: AccessKind, name: unknown): Use | undefined =>
  typeof name === 'string' ? [kind, name] : undefined

function checkOptions(options: AccessOptions): void {
  if (typeof options !== 'object' || options === null || typeof options.rules !== 'object') {
    throw new TypeError('[@mcpx/auth] access() needs { rules }')
  }
  const { unmatched, refuse } = options
  if (unmatched !== undefined && unmatched !== 'allow' && unmatched !== 'deny') {
    throw new TypeError("[@mcpx/auth] access() unmatched must be 'allow' or 'deny'")
  }
  if (refuse !== undefined && refuse !== 'insufficient-scope' && refuse !== 'unknown') {
    throw new TypeError("[@mcpx/auth] access() refuse must be 'insufficient-scope' or 'unknown'")
  }
}

function compileRules(rules: ScopeRules | undefined, kind: string): Rule[] {
  if (rules === undefined) return []
  if (typeof rules !== 'object' || rules === null) {
    throw new TypeError(`[@mcpx/auth] access() rules.${kind} must be an object`)
  }
  return Object.entries(rules).map(([pattern, scopes]) => {
    const list = typeof scopes === 'string' ? [scopes] : scopes
    if (!Array.isArray(list) || list.length === 0) {
      throw new TypeError(`[@mcpx/auth] access() rules.${kind}["${pattern}"] needs a scope`)
    }
    return {
      test: compileGlob(pattern),
      scopes: assertScopes(list, `access() rules.${kind}["${pattern}"]`),
    }
  })
}

/** The scopes a use needs, by kind and name: `NONE`, `DENY`, or those of every rule matching it. */
type Requirements = (kind: AccessKind, name: string) => readonly string[]

function requirementsOf(rules: ReadonlyMap<AccessKind, Rule[]>, deny: boolean): Requirements {
  // Names come from upstream lists and from callers: the memo is bounded.
  const memo = new LRUCache<string, readonly string[]>({ max: 5000 })
  return (kind, name) => {
    const key = `${kind}\u0000${name}`
    const known = name.length <= MAX_MEMO_NAME ? memo.get(key) : undefined
    if (known !== undefined) return known
    const matching = (rules.get(kind) ?? []).filter((rule) => rule.test(name))
    let required = NONE
    if (matching.length > 0) {
      required = Object.freeze([...new Set(matching.flatMap((rule) => rule.scopes))])
    } else if (deny) required = DENY
    if (name.length <= MAX_MEMO_NAME) memo.set(key, required)
    return required
  }
}

/** What `access()` makes of its options, once. */
function settingsOf(options: AccessOptions) {
  checkOptions(options)
  const deny = (options.unmatched ?? 'allow') === 'deny'
  const forbid = (options.refuse ?? 'insufficient-scope') === 'insufficient-scope'
  const challenge =
    options.resourceMetadata === undefined ? {} : { resourceMetadata: options.resourceMetadata }
  const rules = new Map<AccessKind, Rule[]>()
  for (const kind of Object.keys(KINDS) as AccessKind[]) {
    rules.set(kind, compileRules(options.rules[KINDS[kind]], KINDS[kind]))
  }
  return { forbid, challenge, requiredFor: requirementsOf(rules, deny) }
}

/** The thing a request to the server uses (`tools/call` a tool, …), or undefined. */
function usedBy(ctx: Context): Use | undefined {
  const params = ctx.params as Record<string, unknown> | undefined
  const of = ctx.kind === 'request' && params ? USES.get(ctx.method) : undefined
  return of?.(params!)
}

/**
 * Decides, per caller, which tools, prompts and resources it may use, and
 * sets that decision as core's `accessKey` for the router: what a caller
 * may not use is absent from its lists. Calling or reading it is refused
 * with `insufficient_scope` naming the scopes it needs (see `refuse`).
 * Scopes are matched with the implication rule of `grantsScope`
 * (`tools:*` grants `tools:call`, `*` grants all); a message without a
 * principal has no scopes. An `accessKey` already set (another `access()`)
 * still applies: both must allow.
 *
 * Without `@mcpx/router` nothing filters the lists (one upstream), but
 * calls are still refused here unless `refuse` is `'unknown'`.
 *
 * @throws TypeError when a pattern is empty, over 1,024 characters or ends
 *   in a lone `\`, or a rule names no scope or an invalid one
 * @example
 * ```ts
 * proxy.use(authenticate(verify))
 * proxy.use(access({ rules: { tools: { 'admin_*': 'admin', 'math_*': 'math:read' } } }))
 * proxy.use(router({ upstreams }))
 * ```
 */
export function access(options: AccessOptions): Middleware {
  const { forbid, challenge, requiredFor } = settingsOf(options)

  function allows(grants: Grants, kind: AccessKind, name: string): boolean {
    if (typeof name !== 'string') return false
    const required = requiredFor(kind, name)
    if (required === DENY) return false
    return required.every((scope) => grants.has(scope))
  }

  /** The refusal of a use the caller's scopes do not cover, or undefined (allowed, or the router's to answer). */
  function refusal(ctx: Context, grants: Grants): McpxError | undefined {
    const used = usedBy(ctx)
    if (used === undefined) return undefined
    const required = requiredFor(used[0], used[1])
    if (required === DENY || required.every((scope) => grants.has(scope))) return undefined
    if (ctx.get(principalKey) !== undefined) return insufficientScope(required, challenge)
    return new McpxError(ErrorCode.Unauthorized, 'Authentication required', {
      headers: { 'www-authenticate': wwwAuthenticate(challenge) },
    })
  }

  const predicates = new WeakMap<Grants, Access>()
  const noGrants = grantsOf({ scopes: [] })
  return async function access(ctx, next) {
    const principal = ctx.get(principalKey)
    const grants = principal === undefined ? noGrants : grantsOf(principal)
    let own = predicates.get(grants)
    if (own === undefined) {
      own = (kind, name) => allows(grants, kind, name)
      predicates.set(grants, own)
    }
    const previous = ctx.get(accessKey)
    ctx.set(accessKey, previous ? (kind, name) => previous(kind, name) && own(kind, name) : own)
    const refused = forbid && ctx.direction === 'toServer' ? refusal(ctx, grants) : undefined
    if (refused !== undefined) {
      ctx.error = refused
      return
    }
    await next()
  }
}
