import {
  type Context,
  ErrorCode,
  McpxError,
  type Middleware,
  type Next,
  targetKey,
} from '@mcpx/core'
import { Aggregate } from './aggregate.js'
import type { Replica } from './balance/balancer.js'
import { Catalog } from './catalog.js'
import { type CursorCodec, createCursorCodec } from './cursor.js'
import { Group } from './group.js'
import { initialize } from './initialize.js'
import { ListChanges } from './list-changes.js'
import {
  CHANGED,
  LIST_KINDS,
  type ListKind,
  PROMPTS,
  RESOURCES,
  TEMPLATES,
  TOOLS,
} from './lists.js'
import { createNamer, type Namer } from './namespace.js'
import {
  type Collision,
  type ResolvedOptions,
  type RouterOptions,
  resolveOptions,
} from './options.js'
import { type Placement, placeName, placeUri, type Resolver } from './resolve.js'
import { compileRoutes, type RouteTable } from './routes.js'
import { Tasks } from './tasks.js'

type Json = Record<string, unknown>
type Handler = (ctx: Context, next: Next) => Promise<void>

/** The router middleware, with what it knows for health pages and tests. */
export interface Router extends Middleware {
  /** The collisions found by the latest merge of each list (empty before the first list). */
  readonly collisions: readonly Collision[]
  /** Tasks remembered for their creators. */
  readonly taskCount: number
  /** Stop the timers that ask missing upstreams again; `proxy.close()` calls it. */
  close(): void
}

/**
 * Route each message to one of several upstreams so that they look to a
 * client like one MCP server: glob routes over tool names, resource URIs,
 * prompt names and methods; `tools/list`, `prompts/list`, `resources/list`
 * and `resources/templates/list` merged (namespaced, collision-checked,
 * filtered by the caller's access, paged with signed cursors); one
 * `list_changed` per client; tasks kept with the upstream and client that
 * own them; replicas picked by a balancer, skipping unhealthy ones. It sets
 * core's `targetKey` for `forward()` and never talks to upstreams itself.
 *
 * @example
 * ```ts
 * const proxy = createProxy({ terminal: forward([math, data]) })
 * proxy.use(
 *   router({
 *     upstreams: { math: { namespace: true }, data: { namespace: true } },
 *     routes: [{ resources: 'data://**', to: 'data' }],
 *   }),
 * )
 * ```
 */
export function router(options: RouterOptions): Router {
  const resolved = resolveOptions(options)
  const { log } = resolved
  const groups = Object.entries(options.upstreams).map(
    ([name, entry], i) => new Group(name, entry, i, options.health),
  )
  const byName = new Map(groups.map((group) => [group.name, group]))
  const routes = compileRoutes(options.routes ?? [], byName, resolved.memo)
  const namer = createNamer(options.namespace)
  const changes = new ListChanges(
    groups,
    (kind, group) => lists.get(kind)!.catalog.invalidate(group),
    log,
  )
  const lists = aggregates({
    groups,
    routes,
    namer,
    resolved,
    cursors: createCursorCodec({ key: options.cursorKey }),
    onJoin: (kind, group) => changes.joined(kind, group),
    report(collision, why) {
      const by = collision.upstreams.map((u) => `"${u}"`).join(' and ')
      log(`${collision.kind} "${collision.name}" is exposed by ${by}: ${why}`)
    },
  })
  const resolver = resolverOf(groups, routes, namer, lists, options.default)
  const tasks = new Tasks(resolved.maxTasks)
  const handlers = requestHandlers(resolver, groups, tasks, changes, lists, log)

  // Not async: each message costs one promise fewer, and compose turns a throw into a rejection.
  const middleware = function router(ctx: Context, next: Next): Promise<void> {
    if (ctx.direction === 'toClient') return toClient(ctx, next, changes, tasks)
    // Routed already (a router in front of this one, or the application's own middleware).
    if (ctx.get(targetKey)) return next()
    const handler = handlers.get(ctx.method)
    if (handler) return handler(ctx, next)
    if (ctx.kind === 'notification') return broadcast(ctx, next, groups)
    const group = routes.methods?.match(ctx.method) ?? resolver.fallback
    if (!group) throw new McpxError(ErrorCode.MethodNotFound, `Method not found: ${ctx.method}`)
    return group.send(ctx, next, group.pick(ctx), ctx.method, ctx.params, false)
  } as Router
  Object.defineProperties(middleware, {
    collisions: { get: () => [...lists.values()].flatMap((list) => list.collisions) },
    taskCount: { get: () => tasks.size },
    close: {
      value: () => {
        for (const list of lists.values()) list.catalog.close()
      },
    },
  })
  return middleware
}

interface AggregatesInput {
  readonly groups: readonly Group[]
  readonly routes: RouteTable
  readonly namer: Namer
  readonly resolved: ResolvedOptions
  readonly cursors: CursorCodec
  readonly onJoin: (kind: ListKind, group: Group) => void
  readonly report: (collision: Collision, why: string) => void
}

/** One aggregated list per list method, each over its own catalog. */
function aggregates(input: AggregatesInput): Map<ListKind, Aggregate> {
  const { groups, resolved } = input
  const lists = new Map<ListKind, Aggregate>()
  for (const kind of LIST_KINDS) {
    const catalog = new Catalog(kind, groups, {
      retryInterval: resolved.retryInterval,
      maxItems: resolved.maxItems,
      log: resolved.log,
      onJoin: input.onJoin,
    })
    const merge = {
      kind,
      groups,
      itemsOf: (group: Group) => catalog.itemsOf(group),
      namer: input.namer,
      routes: input.routes,
      policy: resolved.collisions,
      report: input.report,
    }
    lists.set(kind, new Aggregate(catalog, merge, input.cursors, resolved.pageSize))
  }
  return lists
}

function resolverOf(
  groups: readonly Group[],
  routes: RouteTable,
  namer: Namer,
  lists: ReadonlyMap<ListKind, Aggregate>,
  fallback: string | undefined,
): Resolver {
  const prefixed = groups.filter((group) => group.prefix !== '')
  const byPrefix = new Map<string, Group>()
  for (const group of prefixed) {
    const other = byPrefix.get(group.prefix)
    if (other) {
      throw new TypeError(
        `[@mcpx/router] "${other.name}" and "${group.name}" share the namespace "${group.prefix}"`,
      )
    }
    byPrefix.set(group.prefix, group)
  }
  return {
    routes,
    namer,
    groups,
    prefixes: prefixed.map((group) => group.prefix),
    byPrefix,
    fallback: groups.find((group) => group.name === fallback),
    tools: lists.get(TOOLS)!,
    prompts: lists.get(PROMPTS)!,
    resources: lists.get(RESOURCES)!,
    templates: lists.get(TEMPLATES)!,
  }
}

function toClient(ctx: Context, next: Next, changes: ListChanges, tasks: Tasks): Promise<void> {
  if (CHANGED.has(ctx.method)) return changes.toClient(ctx, next)
  if (ctx.method === 'notifications/tasks/status' && !tasks.toClient(ctx)) return Promise.resolve()
  return next()
}

function requestHandlers(
  resolver: Resolver,
  groups: readonly Group[],
  tasks: Tasks,
  changes: ListChanges,
  lists: ReadonlyMap<ListKind, Aggregate>,
  log: (line: string) => void,
): ReadonlyMap<string, Handler> {
  const handlers = new Map<string, Handler>([
    ['initialize', (ctx, next) => initialize(ctx, next, groups, log)],
    // forward() answers these itself.
    ['ping', (_ctx, next) => next()],
    ['notifications/initialized', (_ctx, next) => next()],
    ['tools/call', (ctx, next) => call(resolver, tasks, ctx, next)],
    ['prompts/get', (ctx, next) => named(resolver, 'prompt', ctx, next)],
    ['completion/complete', (ctx, next) => complete(resolver, ctx, next)],
    ['logging/setLevel', (ctx, next) => everywhere(ctx, next, groups)],
    ['tasks/get', (ctx, next) => tasks.forward(ctx, next)],
    ['tasks/result', (ctx, next) => tasks.forward(ctx, next)],
    ['tasks/cancel', (ctx, next) => tasks.forward(ctx, next)],
    ['tasks/list', (ctx, next) => tasks.list(ctx, next)],
  ])
  for (const method of ['resources/read', 'resources/subscribe', 'resources/unsubscribe']) {
    handlers.set(method, (ctx, next) => byUri(resolver, ctx, next))
  }
  for (const [kind, aggregate] of lists) {
    handlers.set(kind.method, async (ctx, next) => {
      changes.listed(ctx, kind)
      ctx.result = (await aggregate.answer(ctx, next)) as typeof ctx.result
    })
  }
  return handlers
}

/** `tools/call`: to the tool's upstream under its own name; a task it creates is remembered. */
function call(resolver: Resolver, tasks: Tasks, ctx: Context, next: Next): Promise<void> {
  const params = (ctx.params ?? {}) as Json
  const placed = placeName(resolver, 'tool', params.name, ctx, next)
  if (placed instanceof Promise) return placed.then((p) => callOn(p, tasks, params, ctx, next))
  return callOn(placed, tasks, params, ctx, next)
}

function callOn(
  { group, original }: Placement,
  tasks: Tasks,
  params: Json,
  ctx: Context,
  next: Next,
): Promise<void> {
  const replica = group.pick(ctx)
  const upstreamParams = original === params.name ? params : { ...params, name: original }
  const sent = group.send(ctx, next, replica, ctx.method, upstreamParams, false)
  if (params.task === undefined) return sent
  return sent.then(() => tasks.created(ctx, group, replica))
}

async function named(resolver: Resolver, kind: 'prompt', ctx: Context, next: Next): Promise<void> {
  const params = (ctx.params ?? {}) as Json
  const { group, original } = await placeName(resolver, kind, params.name, ctx, next)
  await group.send(ctx, next, group.pick(ctx), ctx.method, { ...params, name: original }, false)
}

/** By URI; a subscription and its unsubscribe reach the same replica. */
async function byUri(resolver: Resolver, ctx: Context, next: Next): Promise<void> {
  const uri = (ctx.params as Json | undefined)?.uri
  const group = await placeUri(resolver, uri, ctx, next)
  const replica =
    ctx.method === 'resources/read'
      ? group.pick(ctx)
      : group.pickFor(`${ctx.session.id ?? ''}\u0000${String(uri)}`)
  await group.send(ctx, next, replica, ctx.method, ctx.params, false)
}

/** `completion/complete`: by its `ref`, a prompt's name or a resource (template) URI. */
async function complete(resolver: Resolver, ctx: Context, next: Next): Promise<void> {
  const params = (ctx.params ?? {}) as Json
  const ref = (params.ref ?? {}) as Json
  if (ref.type === 'ref/prompt') {
    const { group, original } = await placeName(resolver, 'prompt', ref.name, ctx, next)
    const routed = { ...params, ref: { ...ref, name: original } }
    return group.send(ctx, next, group.pick(ctx), ctx.method, routed, false)
  }
  if (ref.type === 'ref/resource') {
    const group = await placeUri(resolver, ref.uri, ctx, next)
    return group.send(ctx, next, group.pick(ctx), ctx.method, params, false)
  }
  throw new McpxError(
    ErrorCode.InvalidParams,
    'completion/complete needs a ref/prompt or ref/resource',
  )
}

/**
 * Each available replica of every entry, a fork each through the rest of
 * the stack ("every upstream of the session"); settles with the errors,
 * `undefined` for each that succeeded. A group with none available counts
 * as one failure.
 */
function toEveryReplica(ctx: Context, next: Next, groups: readonly Group[]): Promise<unknown[]> {
  return Promise.all(
    groups.flatMap((group) => {
      let replicas: readonly Replica[]
      try {
        replicas = group.available()
      } catch (error) {
        return [Promise.resolve(error)]
      }
      return replicas.map(async (replica) => {
        const child = ctx.fork()
        try {
          await group.send(child, next, replica, ctx.method, ctx.params, true)
          return child.error
        } catch (error) {
          return error ?? new Error('failed')
        }
      })
    }),
  )
}

/** `logging/setLevel`: every replica; it succeeds when one did (an upstream without logging refuses). */
async function everywhere(ctx: Context, next: Next, groups: readonly Group[]): Promise<void> {
  const errors = await toEveryReplica(ctx, next, groups)
  if (!errors.some((error) => error === undefined)) throw errors[0]
  ctx.result = {} as typeof ctx.result
}

/** A client notification (roots changed, …) concerns every replica of every entry. */
async function broadcast(ctx: Context, next: Next, groups: readonly Group[]): Promise<void> {
  await toEveryReplica(ctx, next, groups)
}
