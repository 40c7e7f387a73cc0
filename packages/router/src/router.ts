import {
  type Context,
  ErrorCode,
  McpxError,
  type Middleware,
  type Next,
  targetKey,
} from '@mcpx/core'
import { Aggregate } from './aggregate.js'
import { Catalog } from './catalog.js'
import { type CursorCodec, createCursorCodec } from './cursor.js'
import { Group } from './group.js'
import { broadcast, byUri, call, complete, everywhere, named, subscription } from './handlers.js'
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
import type { Resolver } from './resolve.js'
import { compileRoutes, type RouteTable } from './routes.js'
import { SessionReplicas } from './session-replicas.js'
import { statusOf, type UpstreamStatus } from './status.js'
import { Tasks } from './tasks.js'

type Handler = (ctx: Context, next: Next) => Promise<void>

/** The router middleware, with what it knows for health pages and tests. */
export interface Router extends Middleware {
  /** The collisions found by the latest merge of each list (empty before the first list). */
  readonly collisions: readonly Collision[]
  /** Tasks remembered for their creators. */
  readonly taskCount: number
  /**
   * What the router holds for each entry of `upstreams`, in declaration
   * order: the count of each list as last fetched, and while the entry is
   * missing, why. Computed on each call (for start-up output and health
   * pages, not per message). Lists are fetched on a client's first list
   * (or the application's own in-process one), so counts are undefined
   * until then.
   *
   * @example
   * ```ts
   * for (const { name, tools, missing } of routing.upstreams()) {
   *   console.log(missing ? `${name}: missing (${missing})` : `${name}: ${tools ?? '?'} tools`)
   * }
   * ```
   */
  upstreams(): readonly UpstreamStatus[]
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
  const sessions = new SessionReplicas()
  const groups = Object.entries(options.upstreams).map(
    ([name, entry], i) => new Group(name, entry, i, sessions, options.health),
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
  const handlers = requestHandlers(resolver, groups, tasks, sessions, changes, lists, log)

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
    upstreams: {
      value: () =>
        statusOf(groups, {
          tools: lists.get(TOOLS)!.catalog,
          prompts: lists.get(PROMPTS)!.catalog,
          resources: lists.get(RESOURCES)!.catalog,
          resourceTemplates: lists.get(TEMPLATES)!.catalog,
        }),
    },
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
  if (ctx.method !== 'notifications/tasks/status') return next()
  const pass = tasks.toClient(ctx)
  if (pass === true) return next()
  if (pass === false) return Promise.resolve()
  return pass.then((ok) => (ok ? next() : undefined))
}

function requestHandlers(
  resolver: Resolver,
  groups: readonly Group[],
  tasks: Tasks,
  sessions: SessionReplicas,
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
    ['resources/subscribe', (ctx, next) => subscription(resolver, sessions, ctx, next)],
    ['resources/unsubscribe', (ctx, next) => subscription(resolver, sessions, ctx, next)],
    ['prompts/get', (ctx, next) => named(resolver, 'prompt', ctx, next)],
    ['completion/complete', (ctx, next) => complete(resolver, ctx, next)],
    [
      'logging/setLevel',
      (ctx, next) => {
        sessions.setLevel(ctx, ctx.params)
        return everywhere(ctx, next, groups)
      },
    ],
    ['tasks/get', (ctx, next) => tasks.forward(ctx, next)],
    ['tasks/result', (ctx, next) => tasks.forward(ctx, next)],
    ['tasks/cancel', (ctx, next) => tasks.forward(ctx, next)],
    ['tasks/list', (ctx, next) => tasks.list(ctx, next)],
  ])
  handlers.set('resources/read', (ctx, next) => byUri(resolver, ctx, next))
  for (const [kind, aggregate] of lists) {
    handlers.set(kind.method, async (ctx, next) => {
      changes.listed(ctx, kind)
      ctx.result = (await aggregate.answer(ctx, next)) as typeof ctx.result
    })
  }
  return handlers
}
