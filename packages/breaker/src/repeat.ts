import {
  type Context,
  deadlineKey,
  McpxError,
  type Target,
  type ToolDefinition,
  targetKey,
  toolKey,
} from '@mcpx/core'
import { fail } from './validate.js'

/** Tools whose `tools/call` may run twice without harm: names, or a predicate of the tool and its upstream. */
export type IdempotentTools = readonly string[] | ((tool: string, upstream: string) => boolean)

/**
 * Whether `error` proves the request never left the gateway, so that
 * sending it again (a retry, a backup) cannot run its work twice: core's
 * `unsent` mark, which only the gateway's own refusals carry (a breaker's
 * `CircuitOpenError`, a bulkhead's or a pool's refusal, a deadline that
 * passed before a connection was free). Nothing from the wire sets it: an
 * upstream's own -32011, or any data it sends, proves nothing (a nested
 * gateway may answer -32011 after the work was done).
 */
export function neverSent(error: unknown): boolean {
  return McpxError.is(error) && error.unsent === true
}

/**
 * What every policy here lets through untouched: notifications, the
 * handshake and `ping` (answered by `forward()` itself), and server-to-client
 * requests (sampling, elicitation, roots), which no upstream's health speaks for.
 */
export function passesThrough(ctx: Context): boolean {
  return (
    ctx.kind === 'notification' ||
    ctx.direction === 'toClient' ||
    ctx.method === 'initialize' ||
    ctx.method === 'ping'
  )
}

/** MCP progress: a request asks for progress with `_meta.progressToken`; sent again, its progress would restart. */
export function hasProgressToken(params: unknown): boolean {
  if (typeof params !== 'object' || params === null) return false
  const meta = (params as { _meta?: unknown })._meta
  return typeof meta === 'object' && meta !== null && 'progressToken' in meta
}

/**
 * A sub-request of `ctx` for one more attempt, with the target and deadline
 * the first attempt started from (the layers below may have changed them on
 * `ctx` itself: a per-attempt `timeout()`, a router), and `target` if given.
 */
export function attemptOf(
  ctx: Context,
  first: { readonly target: Target | undefined; readonly deadline: number | undefined },
  target = first.target,
): Context {
  const attempt = ctx.fork()
  if (attempt.get(deadlineKey) !== first.deadline) attempt.set(deadlineKey, first.deadline!)
  if (attempt.get(targetKey) !== target) attempt.set(targetKey, target!)
  return attempt
}

/** Whether a `tools/call` of `tool` on `upstream` (the message `ctx`) may run twice without harm. */
export type Idempotent = (tool: string, upstream: string, ctx: Context) => boolean

/**
 * `idempotentTools` and `trustHints` checked (a TypeError naming each) as
 * one predicate. By name: the tools listed (or the function's word); none
 * listed, nothing. With `trustHints`, also a tool whose definition (core's
 * `toolKey`, from the router's catalog) is annotated `idempotentHint` or
 * `readOnlyHint` (MCP: a read-only tool has no effect to repeat).
 */
export function idempotentOf(value: IdempotentTools | undefined, trustHints: unknown): Idempotent {
  if (trustHints !== undefined && typeof trustHints !== 'boolean') fail('trustHints', 'a boolean')
  const named = namedOf(value)
  if (trustHints !== true) return named
  return (tool, upstream, ctx) => named(tool, upstream, ctx) || hinted(ctx.get(toolKey))
}

function namedOf(value: IdempotentTools | undefined): Idempotent {
  if (value === undefined) return () => false
  if (typeof value === 'function') return (tool, upstream) => value(tool, upstream)
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string' || name === '')) {
    fail('idempotentTools', 'an array of tool names or a function (tool, upstream) => boolean')
  }
  const names = new Set(value)
  return (tool) => names.has(tool)
}

function hinted(tool: ToolDefinition | undefined): boolean {
  const annotations = tool?.annotations
  return annotations?.idempotentHint === true || annotations?.readOnlyHint === true
}
