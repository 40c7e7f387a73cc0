import { type Access, accessKey, type Context, ErrorCode, McpxError, type Next } from '@mcpx/core'
import type { Aggregate } from './aggregate.js'
import type { Group } from './group.js'
import { compileUriTemplate } from './match/uri-template.js'
import type { Item } from './merged.js'
import type { Namer } from './namespace.js'
import type { RouteTable } from './routes.js'

/** Where a name goes: the group, and the name its upstream knows. */
export interface Placement {
  readonly group: Group
  readonly original: string
}

/** What resolving needs; built once by the router. */
export interface Resolver {
  readonly routes: RouteTable
  readonly namer: Namer
  readonly groups: readonly Group[]
  readonly prefixes: readonly string[]
  readonly byPrefix: ReadonlyMap<string, Group>
  readonly fallback: Group | undefined
  readonly tools: Aggregate
  readonly prompts: Aggregate
  readonly resources: Aggregate
  readonly templates: Aggregate
}

/** Compiled URI templates, bounded: templates come from upstreams. */
const templates = new Map<string, (uri: string) => boolean>()
const MAX_TEMPLATES = 1000

/**
 * A tool or prompt name as the client sent it → its group and original
 * name. In order: a route, the merged list (which knows shortened names), a
 * namespace prefix, the default entry. A name the caller may not use is
 * refused exactly like an unknown one. Synchronous while the lists are
 * current: this runs for every `tools/call`.
 */
export function placeName(
  resolver: Resolver,
  kind: 'tool' | 'prompt',
  name: unknown,
  ctx: Context,
  next: Next,
): Placement | Promise<Placement> {
  if (typeof name !== 'string' || name === '' || ctx.get(accessKey)?.(kind, name) === false) {
    throw unknownName(kind, name)
  }
  const list = kind === 'tool' ? resolver.tools : resolver.prompts
  const merged = list.view(ctx, next)
  if (merged instanceof Promise) {
    return merged.then((current) => placeListed(resolver, kind, name, list.itemOf(current, name)))
  }
  return placeListed(resolver, kind, name, list.itemOf(merged, name))
}

function placeListed(
  resolver: Resolver,
  kind: 'tool' | 'prompt',
  name: string,
  item: Item | undefined,
): Placement {
  const list = kind === 'tool' ? resolver.tools : resolver.prompts
  const routed = resolver.routes[kind === 'tool' ? 'tools' : 'prompts']?.match(name)
  if (routed) {
    if (item?.group === routed) return item
    return unlisted(list, kind, name, routed, unprefixed(resolver, routed, name))
  }
  if (item) return item
  const parsed = resolver.namer.parse(name, resolver.prefixes)
  const group = parsed && resolver.byPrefix.get(parsed.prefix)
  if (parsed && group) return unlisted(list, kind, name, group, parsed.name)
  if (resolver.fallback) return unlisted(list, kind, name, resolver.fallback, name)
  throw unknownName(kind, name)
}

/**
 * A name placed by a route, a prefix or the default that its upstream does
 * not list: refused exactly like an unknown (or hidden) name when that
 * upstream's list is known (current, one replica), so lists and calls agree
 * and probing reveals nothing; sent on otherwise (the upstream answers).
 */
function unlisted(
  list: Aggregate,
  kind: 'tool' | 'prompt',
  name: string,
  group: Group,
  original: string,
): Placement {
  // Known: a current copy, from the group's only replica (replicas may differ: a canary's new tool).
  if (group.replicas.length === 1 && list.catalog.isCurrent(group)) throw unknownName(kind, name)
  return { group, original }
}

function unknownName(kind: string, name: unknown): McpxError {
  return new McpxError(ErrorCode.InvalidParams, `Unknown ${kind}: ${String(name).slice(0, 200)}`)
}

/**
 * A resource URI → its group: a route, a listed resource, a listed template
 * it expands, the default entry. Unknown (or not allowed): -32002, as MCP
 * Resources §Error Handling says.
 */
export async function placeUri(
  resolver: Resolver,
  uri: unknown,
  ctx: Context,
  next: Next,
): Promise<Group> {
  const notFound = () =>
    new McpxError(ErrorCode.ResourceNotFound, `Resource not found: ${String(uri).slice(0, 200)}`, {
      data: { uri },
    })
  if (typeof uri !== 'string' || uri === '') throw notFound()
  const access = ctx.get(accessKey)
  if (access?.('resource', uri) === false) throw notFound()
  // A URI a hidden template expands is as unknown as the template, however else it would be
  // placed (a route, a listed resource): the templates are looked at first when access applies.
  const merged = access ? await resolver.templates.view(ctx, next) : undefined
  if (merged && hiddenByTemplate(merged.items, uri, access!)) throw notFound()
  const routed = resolver.routes.resources?.match(uri)
  if (routed) return routed
  const item = resolver.resources.itemOf(await resolver.resources.view(ctx, next), uri)
  if (item) return item.group
  for (const template of (merged ?? (await resolver.templates.view(ctx, next))).items) {
    if (matcherOf(template.exposed)(uri)) return template.group
  }
  if (resolver.fallback) return resolver.fallback
  throw notFound()
}

function unprefixed(resolver: Resolver, group: Group, name: string): string {
  if (group.prefix === '') return name
  const parsed = resolver.namer.parse(name, [group.prefix])
  return parsed ? parsed.name : name
}

function hiddenByTemplate(
  templates: readonly { exposed: string }[],
  uri: string,
  access: Access,
): boolean {
  return templates.some(
    (template) =>
      access('resourceTemplate', template.exposed) === false && matcherOf(template.exposed)(uri),
  )
}

function matcherOf(template: string): (uri: string) => boolean {
  const known = templates.get(template)
  if (known) return known
  const test = compiled(template)
  if (templates.size >= MAX_TEMPLATES) templates.delete(templates.keys().next().value!)
  templates.set(template, test)
  return test
}

function compiled(template: string): (uri: string) => boolean {
  try {
    return compileUriTemplate(template)
  } catch {
    return () => false // an upstream's malformed template matches nothing
  }
}
