import {
  type Context,
  ErrorCode,
  McpxError,
  type Middleware,
  type Next,
  targetKey,
} from '@mcpx/core'
import { limitResult } from './rewrite-result.js'
import { type CompiledRules, compileRules, RULE_KEYS, type ToolRules } from './rewrite-rules.js'
import { fail, options as known } from './validate.js'

export type { ToolAnnotationOverrides, ToolRules } from './rewrite-rules.js'

/** Where a message goes when no router set core's `targetKey`. */
interface Fallback {
  /** The upstream a message without a target goes to (`forward()` sends it to its first), for `upstreams`. @defaultValue 'default' */
  readonly upstream?: string
}

/**
 * Options of {@link rewriteTools}: one set of {@link ToolRules} for every
 * upstream, or `upstreams` keyed by upstream name (core's
 * `targetKey.upstream`: the replica's name where a router entry has
 * replicas); an upstream not named there is left alone.
 */
export type RewriteToolsOptions =
  | (ToolRules & Fallback & { readonly upstreams?: undefined })
  | (Fallback & { readonly upstreams: Readonly<Record<string, ToolRules>> })

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
  const o = known('', options, [...RULE_KEYS, 'upstreams', 'upstream'], 'rewriteTools() options')
  const fallback = o.upstream ?? 'default'
  if (typeof fallback !== 'string' || fallback === '') fail('upstream', 'a non-empty string')
  const {
    upstreams,
    upstream: _fallback,
    ...own
  } = o as Fallback & {
    upstreams?: Readonly<Record<string, ToolRules>>
  } & ToolRules
  let rulesOf: (upstream: string) => CompiledRules | undefined
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
    rulesOf = (upstream) => byName.get(upstream)
  }

  return async function rewriteTools(ctx: Context, next: Next): Promise<void> {
    if (ctx.direction === 'toClient') return next()
    if (ctx.method === 'tools/list') {
      const rules = rulesOf(ctx.get(targetKey)?.upstream ?? fallback)
      await next()
      const result = ctx.result as Json | undefined
      if (rules && Array.isArray(result?.tools)) {
        ctx.result = { ...result, tools: listed(result.tools, rules) } as typeof ctx.result
      }
      return
    }
    if (ctx.method !== 'tools/call') return next()
    const rules = rulesOf(ctx.get(targetKey)?.upstream ?? fallback)
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
