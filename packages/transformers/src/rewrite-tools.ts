import {
  type Context,
  ErrorCode,
  McpxError,
  type Middleware,
  type Next,
  type Target,
  targetKey,
} from '@mcpx/core'
import { limitResult } from './rewrite-result.js'
import { type CompiledRules, compileRules, RULE_KEYS, type ToolRules } from './rewrite-rules.js'
import { fail, fn, options as known } from './validate.js'

export type { ToolAnnotationOverrides, ToolRules } from './rewrite-rules.js'

/** What every {@link rewriteTools} takes besides its rules. */
interface Common {
  /**
   * The upstream a message without a target goes to (`forward()` sends it
   * to its first), for `upstreams`; given with `upstreams`, it must be one
   * of its keys. @defaultValue 'default'
   */
  readonly upstream?: string
  /** Receives a line, once per name, for a tools message whose upstream `upstreams` has no rules for. @defaultValue console.warn */
  readonly log?: (line: string) => void
}

/**
 * Options of {@link rewriteTools}: one set of {@link ToolRules} for every
 * upstream, or `upstreams` keyed by router entry (its name in the router's
 * `upstreams`: core's `Target.group`, so every replica of it gets the same
 * rules) or by the upstream's own name (`Target.upstream`: a replica's, or
 * the upstream's without a router). An upstream with no rules is left
 * alone, and logged once.
 */
export type RewriteToolsOptions =
  | (ToolRules & Common & { readonly upstreams?: undefined })
  | (Common & { readonly upstreams: Readonly<Record<string, ToolRules>> })

type Json = Record<string, unknown>

/**
 * Rewrite what clients see of each upstream's tools, and map their calls
 * back: allow and deny lists, renames, description and annotation
 * overrides, arguments the gateway fixes (hidden from `inputSchema`, set on
 * every call), and a cap on result size. A hidden tool, and the upstream's
 * own name of a renamed one, is refused with -32602 `Unknown tool: x`, as
 * the router refuses a name it does not know, so probing reveals nothing.
 * Copy on write: the upstream's list, its tools and the client's params are
 * never changed.
 *
 * Place it below the router (it rewrites each upstream's own list, which
 * the router then namespaces and merges) and above `pinTools()`, which must
 * see the upstream's own definitions.
 *
 * @example
 * ```ts
 * proxy.use(router({ upstreams: { crm: { namespace: true } } }))
 * proxy.use(
 *   rewriteTools({
 *     upstreams: {
 *       crm: {
 *         deny: ['admin_*'],
 *         rename: { search_contacts_v2: 'search_contacts' },
 *         inject: { search_contacts_v2: { tenant: 'acme' } },
 *         maxResultBytes: 100_000,
 *       },
 *     },
 *   }),
 * )
 * ```
 */
export function rewriteTools(options: RewriteToolsOptions): Middleware {
  const o = known(
    '',
    options,
    [...RULE_KEYS, 'upstreams', 'upstream', 'log'],
    'rewriteTools() options',
  )
  const fallback = o.upstream ?? 'default'
  if (typeof fallback !== 'string' || fallback === '') fail('upstream', 'a non-empty string')
  const log = fn('log', o.log, (line: string) => console.warn(`[@mcpx/transformers] ${line}`))
  const {
    upstreams,
    upstream: _fallback,
    log: _log,
    ...own
  } = o as Common & {
    upstreams?: Readonly<Record<string, ToolRules>>
  } & ToolRules
  let rulesOf: (target: Target | undefined) => CompiledRules | undefined
  if (upstreams === undefined) {
    const all = compileRules('', own)
    rulesOf = () => all
  } else {
    if (Object.keys(own).length > 0) {
      fail(Object.keys(own)[0]!, 'inside upstreams.<name> when upstreams is given')
    }
    if (typeof upstreams !== 'object' || upstreams === null || Array.isArray(upstreams)) {
      fail('upstreams', 'an object keyed by upstream name')
    }
    const byName = new Map<string, CompiledRules>()
    for (const [name, rules] of Object.entries(upstreams)) {
      if (name === '') fail('upstreams', 'keyed by non-empty upstream names')
      byName.set(name, compileRules(`upstreams.${name}`, rules))
    }
    // Without a router every message goes to the fallback: rules that miss it would never apply.
    if (o.upstream !== undefined && !byName.has(fallback)) {
      fail('upstream', `a key of upstreams ("${fallback}" has no rules)`)
    }
    rulesOf = lookup(byName, fallback, log)
  }

  return async function rewriteTools(ctx: Context, next: Next): Promise<void> {
    if (ctx.direction === 'toClient') return next()
    if (ctx.method === 'tools/list') {
      const rules = rulesOf(ctx.get(targetKey))
      await next()
      const result = ctx.result as Json | undefined
      if (rules && Array.isArray(result?.tools)) {
        ctx.result = { ...result, tools: listed(result.tools, rules) } as typeof ctx.result
      }
      return
    }
    if (ctx.method !== 'tools/call') return next()
    const rules = rulesOf(ctx.get(targetKey))
    if (!rules) return next()
    called(ctx, rules)
    await next()
    const result = ctx.result as Json | undefined
    if (rules.maxResultBytes !== undefined && result && typeof result === 'object') {
      const limited = limitResult(
        result,
        rules.maxResultBytes,
        rules.onOversize,
        rules.truncationMarker,
      )
      if (limited !== result) ctx.result = limited as typeof ctx.result
    }
  }
}

/** Names logged at most: they come from the configuration, so this is a guard. */
const MAX_LOGGED = 1024

/**
 * The rules of a message's upstream: its router entry's (`Target.group`,
 * so that every replica of the entry gets them), else its own name's. A
 * name with none, or with both, is logged once: rules keyed by a name no
 * message carries fail open, silently, otherwise.
 */
function lookup(
  byName: ReadonlyMap<string, CompiledRules>,
  fallback: string,
  log: (line: string) => void,
): (target: Target | undefined) => CompiledRules | undefined {
  const logged = new Set<string>()
  const once = (key: string, line: string) => {
    if (logged.has(key) || logged.size >= MAX_LOGGED) return
    logged.add(key)
    log(line)
  }
  return (target) => {
    const upstream = target?.upstream ?? fallback
    const group = target?.group
    const own = byName.get(upstream)
    const entry = group === undefined || group === upstream ? undefined : byName.get(group)
    if (entry && own) {
      once(
        `${group}\u0000${upstream}`,
        `rewriteTools({ upstreams }) has rules for both the router entry "${group}" and its replica "${upstream}": the entry's apply`,
      )
    }
    const rules = entry ?? own
    if (!rules) {
      const name = group ?? upstream
      const also =
        group !== undefined && group !== upstream ? ` (nor its replica "${upstream}")` : ''
      once(
        name,
        `upstream "${name}"${also} has no rules in rewriteTools({ upstreams }): its tools pass unchanged`,
      )
    }
    return rules
  }
}

/** The upstream's tools as clients see them: new objects where a rule applies, the upstream's elsewhere. */
function listed(tools: readonly unknown[], rules: CompiledRules): unknown[] {
  const out: unknown[] = []
  for (const tool of tools) {
    const name = (tool as Json | null)?.name
    // An item without a name is not ours to judge: the router drops it.
    if (typeof name !== 'string') {
      out.push(tool)
      continue
    }
    if (!rules.visible(name) || rules.shadowed(name)) continue
    out.push(rewritten(tool as Json, name, rules))
  }
  return out
}

function rewritten(tool: Json, name: string, rules: CompiledRules): Json {
  const exposed = rules.exposed(name)
  const description = rules.descriptions.get(name)
  const annotations = rules.annotations.get(name)
  const inject = rules.inject.get(name)
  if (exposed === name && description === undefined && !annotations && !inject) return tool
  const copy: Json = { ...tool, name: exposed }
  if (description !== undefined) copy.description = description
  if (annotations) copy.annotations = { ...(tool.annotations as Json | undefined), ...annotations }
  if (inject) copy.inputSchema = withoutArguments(tool.inputSchema, Object.keys(inject))
  return copy
}

function withoutArguments(schema: unknown, names: readonly string[]): unknown {
  if (typeof schema !== 'object' || schema === null) return schema
  const { properties, required, ...rest } = schema as Json
  const copy: Json = { ...rest }
  if (typeof properties === 'object' && properties !== null) {
    const kept = { ...(properties as Json) }
    for (const name of names) delete kept[name]
    copy.properties = kept
  }
  if (Array.isArray(required)) copy.required = required.filter((name) => !names.includes(name))
  return copy
}

/**
 * A call on its way up: the upstream's own name, the fixed arguments over the
 * client's (the client's value of a fixed argument is dropped: it was never
 * shown one), written as a new target (or new params without a router).
 */
function called(ctx: Context, rules: CompiledRules): void {
  const target = ctx.get(targetKey)
  const params = ((target ? target.params : ctx.params) ?? {}) as Json
  const name = params.name
  const original = typeof name === 'string' ? rules.original(name) : undefined
  if (original === undefined) throw unknownTool((ctx.params as Json | undefined)?.name)
  const inject = rules.inject.get(original)
  if (original === name && !inject) return
  const sent: Json = { ...params, name: original }
  if (inject) {
    const args = params.arguments
    sent.arguments = { ...(typeof args === 'object' && args !== null ? args : {}), ...inject }
  }
  if (target) ctx.set(targetKey, { ...target, params: sent })
  else ctx.params = sent as typeof ctx.params
}

/** The router's refusal of a name it does not know, word for word (router/src/resolve.ts). */
export function unknownTool(name: unknown): McpxError {
  return new McpxError(ErrorCode.InvalidParams, `Unknown tool: ${String(name).slice(0, 200)}`)
}
