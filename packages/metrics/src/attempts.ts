// The attempts middleware of metrics(): once per upstream attempt, just
// above forward() and below the retry and failover layers (they run each
// attempt as a fork, and a fork copies the message's typed values, so the
// key the top middleware set is here on every attempt).
import {
  addHeaders,
  type Context,
  type Key,
  type Middleware,
  type Next,
  type Target,
  targetKey,
  upstreamHeadersKey,
} from '@mcpx/core'
import type { AttemptCells } from './attempt-cells.js'
import { outcomeOfThrown } from './outcomes.js'
import { endingOf, endSpan, type MessageTrace, outgoingOf, startAttempt } from './tracing.js'

type Meta = Record<string, unknown>

/** The target of an attempt that has none (forward() sends it to its first upstream). */
const NO_TARGET: Target = Object.freeze({ upstream: '', method: '', params: undefined })

/** `params` with the trace context in its `_meta`, copied (the object may be shared: the client's, a fork's parent's); other `_meta` keys kept. */
function withTraceMeta(
  params: unknown,
  traceparent: string,
  tracestate: string | undefined,
): unknown {
  if (
    params !== undefined &&
    (typeof params !== 'object' || params === null || Array.isArray(params))
  ) {
    return params
  }
  const base = params as Meta | undefined
  const old = base?._meta
  const meta: Meta =
    typeof old === 'object' && old !== null && !Array.isArray(old) ? { ...(old as Meta) } : {}
  meta.traceparent = traceparent
  // The client's tracestate belongs to its traceparent: never sent beside another.
  if (tracestate === undefined) delete meta.tracestate
  else meta.tracestate = tracestate
  return { ...base, _meta: meta }
}

function inject(
  ctx: Context,
  target: Target | undefined,
  traceparent: string,
  tracestate: string | undefined,
): void {
  if (target !== undefined) {
    ctx.set(targetKey, { ...target, params: withTraceMeta(target.params, traceparent, tracestate) })
  } else {
    ctx.params = withTraceMeta(ctx.params, traceparent, tracestate) as typeof ctx.params
  }
  addHeaders(
    ctx,
    upstreamHeadersKey,
    tracestate === undefined ? { traceparent } : { traceparent, tracestate },
    true,
  )
}

/**
 * Only requests to an upstream are attempts: not notifications, not the
 * handshake and `ping` (forward() answers them itself), not a server's
 * requests to the client (direction `toClient`).
 */
function isAttempt(ctx: Context): boolean {
  return (
    ctx.kind === 'request' &&
    ctx.direction === 'toServer' &&
    ctx.method !== 'initialize' &&
    ctx.method !== 'ping'
  )
}

export interface AttemptDeps {
  readonly key: Key<MessageTrace>
  readonly cells: AttemptCells
  readonly propagate: boolean
  readonly outcomeOf: (ctx: Context) => number
}

export function attemptsMiddleware(deps: AttemptDeps): Middleware {
  const { key, cells, propagate, outcomeOf } = deps
  return async function attempts(ctx: Context, next: Next): Promise<void> {
    if (!isAttempt(ctx)) return next()
    const message = ctx.get(key)
    const target = ctx.get(targetKey)
    cells.attempts++
    // A retry sends a sub-request's target again (retry() forks each attempt with the target the
    // first one had); a router's fan-out, a failover's backup or a sub-request of another
    // method carries a target of its own, and is not one.
    const sent = target ?? NO_TARGET
    let n = 1
    if (message !== undefined) {
      n = ++message.attempts
      if (message.targets.includes(sent)) cells.retries++
      else message.targets.push(sent)
    }
    let span: ReturnType<typeof startAttempt> | undefined
    if (
      message !== undefined &&
      propagate &&
      message.tracer !== undefined &&
      message.parent !== undefined
    ) {
      span = startAttempt(
        message.tracer,
        message.parent,
        target?.method ?? ctx.method,
        target?.params ?? ctx.params,
        target?.upstream,
        n,
      )
    }
    try {
      // Inside the try: whatever it throws, the span ends and the attempt is counted.
      if (message !== undefined && propagate) {
        const out = outgoingOf(span, message)
        if (out !== undefined) inject(ctx, target, out.traceparent, out.tracestate)
      }
      await next()
    } catch (error) {
      cells.add(ctx.get(targetKey)?.upstream ?? '', outcomeOfThrown(error))
      if (span !== undefined) endSpan(span, endingOf(ctx, error, true))
      throw error
    }
    cells.add(ctx.get(targetKey)?.upstream ?? '', outcomeOf(ctx))
    if (span !== undefined) endSpan(span, endingOf(ctx, undefined, false))
  }
}
