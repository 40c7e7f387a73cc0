import {
  type Context,
  ErrorCode,
  McpxError,
  type Next,
  type ToolDefinition,
  toolKey,
} from '@mcpx/core'
import type { Replica } from './balance/balancer.js'
import type { Group } from './group.js'
import type { Item } from './merged.js'
import type { Json } from './pages.js'
import { type Placement, placeName, placeUri, type Resolver } from './resolve.js'
import type { SessionReplicas } from './session-replicas.js'
import type { Tasks } from './tasks.js'

// The request handlers of the router: each places its message and sends it
// on (or fans it out) through the rest of the stack.

/** `tools/call`: to the tool's upstream under its own name; a task it creates is remembered. */
export function call(resolver: Resolver, tasks: Tasks, ctx: Context, next: Next): Promise<void> {
  const params = (ctx.params ?? {}) as Json
  const placed = placeName(resolver, 'tool', params.name, ctx, next)
  if (placed instanceof Promise) return placed.then((p) => callOn(p, tasks, params, ctx, next))
  return callOn(placed, tasks, params, ctx, next)
}

function callOn(
  placement: Placement,
  tasks: Tasks,
  params: Json,
  ctx: Context,
  next: Next,
): Promise<void> {
  const { group, original } = placement
  // A listed tool: its definition, for whatever below reads its annotations or schema.
  if ('value' in placement) ctx.set(toolKey, (placement as Item).value as ToolDefinition)
  const replica = group.pick(ctx)
  const upstreamParams = original === params.name ? params : { ...params, name: original }
  const sent = group.send(ctx, next, replica, ctx.method, upstreamParams, false)
  if (params.task === undefined) return sent
  tasks.creating(replica, sent)
  return sent.then(() => tasks.created(ctx, group, replica))
}

export async function named(
  resolver: Resolver,
  kind: 'prompt',
  ctx: Context,
  next: Next,
): Promise<void> {
  const params = (ctx.params ?? {}) as Json
  const { group, original } = await placeName(resolver, kind, params.name, ctx, next)
  await group.send(ctx, next, group.pick(ctx), ctx.method, { ...params, name: original }, false)
}

/** `resources/read`: by URI, to the replica its balancer picks. */
export async function byUri(resolver: Resolver, ctx: Context, next: Next): Promise<void> {
  const group = await placeUri(resolver, (ctx.params as Json | undefined)?.uri, ctx, next)
  await group.send(ctx, next, group.pick(ctx), ctx.method, ctx.params, false)
}

/**
 * `resources/subscribe` and `resources/unsubscribe`: by URI, and an
 * unsubscribe to the replica that holds the subscription (remembered per
 * session; else rendezvous hashing on session and URI), whatever health or
 * the strategy would pick now.
 */
export async function subscription(
  resolver: Resolver,
  sessions: SessionReplicas,
  ctx: Context,
  next: Next,
): Promise<void> {
  const uri = String((ctx.params as Json | undefined)?.uri)
  const group = await placeUri(resolver, (ctx.params as Json | undefined)?.uri, ctx, next)
  const subscribe = ctx.method === 'resources/subscribe'
  const held = subscribe ? undefined : sessions.subscription(ctx, uri)
  const replica = held ?? group.pickFor(`${ctx.session.id ?? ''}\u0000${uri}`)
  await group.send(ctx, next, replica, ctx.method, ctx.params, false)
  if (subscribe) sessions.subscribed(ctx, uri, replica)
  else sessions.unsubscribed(ctx, uri)
}

/** `completion/complete`: by its `ref`, a prompt's name or a resource (template) URI. */
export async function complete(resolver: Resolver, ctx: Context, next: Next): Promise<void> {
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
 * Every entry, on the replicas the session uses (or the one its balancer
 * picks), a fork each through the rest of the stack ("every upstream of the
 * session"); settles with the errors, `undefined` for each that succeeded.
 * A group with none available counts as one failure.
 */
function toEveryReplica(ctx: Context, next: Next, groups: readonly Group[]): Promise<unknown[]> {
  return Promise.all(
    groups.flatMap((group) => {
      let replicas: readonly Replica[]
      try {
        replicas = group.sessionReplicas(ctx)
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

/** `logging/setLevel`: every upstream of the session; it succeeds when one did (an upstream without logging refuses). */
export async function everywhere(
  ctx: Context,
  next: Next,
  groups: readonly Group[],
): Promise<void> {
  const errors = await toEveryReplica(ctx, next, groups)
  if (!errors.some((error) => error === undefined)) throw errors[0]
  ctx.result = {} as typeof ctx.result
}

/** A client notification (roots changed, …) concerns every upstream of the session. */
export async function broadcast(ctx: Context, next: Next, groups: readonly Group[]): Promise<void> {
  await toEveryReplica(ctx, next, groups)
}
