import { type Context, McpxError, mergeCapabilities, type Next } from '@mcpx/core'
import { failureOf, tick } from './failure.js'
import type { Group } from './group.js'
import type { Json } from './pages.js'

/** The lists the router always declares, with `listChanged`: it announces upstreams that join later. */
const LISTS = ['tools', 'prompts', 'resources'] as const

/**
 * `initialize` for many upstreams: each group is asked (one replica, as the
 * balancer picks it for this session) and the answers merge. Capabilities are
 * their union, with `listChanged` on every list (the router announces
 * upstreams that join later); instructions are each upstream's under its
 * name. An upstream that fails is logged as missing and left out; only when
 * every one fails does the client get an error.
 */
export async function initialize(
  ctx: Context,
  next: Next,
  groups: readonly Group[],
  log: (line: string) => void,
): Promise<void> {
  const answers = await Promise.all(groups.map((group) => ask(ctx, next, group)))
  const ok: { group: Group; result: Json }[] = []
  let firstError: unknown
  for (const [i, answer] of answers.entries()) {
    const group = groups[i]!
    if ('result' in answer) {
      ok.push({ group, result: answer.result })
      group.answeredAt = tick()
      continue
    }
    firstError ??= answer.error
    const why = McpxError.is(answer.error) ? answer.error.message : 'internal error'
    // A client that went away mid-initialize says nothing about the upstream.
    if (!ctx.aborted) group.initializeFailure = failureOf(why)
    log(`upstream "${group.name}" is missing (${why}); it joins when it answers again`)
  }
  if (ok.length === 0) throw firstError
  const capabilities = mergeCapabilities(
    ok.map(({ result }) => (result.capabilities ?? {}) as Json),
  )
  // Every list, even one no live upstream has: an upstream down now may bring it when it joins.
  for (const list of LISTS) {
    capabilities[list] = { ...(capabilities[list] as Json | undefined), listChanged: true }
  }
  const instructions = ok
    .filter(({ result }) => typeof result.instructions === 'string' && result.instructions !== '')
    .map(({ group, result }) => `## ${group.name}\n\n${result.instructions as string}`)
  const first = ok[0]!.result
  ctx.result = {
    protocolVersion: first.protocolVersion,
    capabilities,
    serverInfo: first.serverInfo,
    ...(instructions.length > 0 ? { instructions: instructions.join('\n\n') } : {}),
  } as typeof ctx.result
}

async function ask(
  ctx: Context,
  next: Next,
  group: Group,
): Promise<{ result: Json } | { error: unknown }> {
  const child = ctx.fork()
  try {
    await group.send(child, next, group.pick(child), 'initialize', ctx.params, true)
  } catch (error) {
    return { error }
  }
  if (child.error || !child.result) return { error: child.error }
  return { result: child.result as Json }
}
