import {
  type Context,
  deadlineKey,
  ErrorCode,
  McpxError,
  type Target,
  type Terminal,
  targetKey,
  upstreamHeadersKey,
} from '@mcpx/core'
import type { Params } from './protocol/peer.js'
import { progressTokenOf } from './protocol/progress.js'
import { type Session, sessionKey } from './protocol/session.js'
import { answerInitialize, type ForwardOptions } from './upstream/handshake.js'
import type { Origin } from './upstream/routing.js'
import type { LeaseOutcome, UpstreamLease, UpstreamSource } from './upstream/source.js'
import { SUBSCRIPTION_METHODS } from './upstream/subscriptions.js'

const PROGRESS = 'notifications/progress'

export type { ForwardOptions }

/**
 * The terminal handler that sends each message to its upstream: the one
 * `ctx.get(targetKey)` names (a router sets it), else the first upstream
 * given. It answers `initialize` for the gateway (the union of its upstreams'
 * capabilities) and `ping` itself, relays progress with the client's own
 * token, and passes `ctx.signal` on, so a cancelled or disconnected client
 * cancels the upstream request. `proxy.close()` closes its upstreams (it is the
 * terminal's `close()`).
 *
 * @example
 * ```ts
 * const proxy = createProxy({ terminal: forward(upstream('math', stdio({ command: 'node', args: ['math.js'] }))) })
 * ```
 */
export function forward(
  upstreams: UpstreamSource | readonly UpstreamSource[],
  options: ForwardOptions = {},
): Terminal {
  const list: readonly UpstreamSource[] = Array.isArray(upstreams)
    ? upstreams
    : [upstreams as UpstreamSource]
  const byName = namesOf(list)
  const fallback = list[0]!
  const upstreamOf = (target: Target): UpstreamSource => {
    const up = byName.get(target.upstream)
    if (!up)
      throw new McpxError(ErrorCode.UpstreamUnavailable, `Unknown upstream "${target.upstream}"`)
    return up
  }

  const terminal: Terminal = async function forward(ctx, _next) {
    if (ctx.direction === 'toClient') {
      throw new McpxError(ErrorCode.InternalError, 'forward() only sends messages to servers')
    }
    const session = ctx.get(sessionKey)
    const target = ctx.get(targetKey)
    switch (ctx.method) {
      case 'initialize':
        // A router asks each upstream separately (target set) and merges the answers itself.
        return answerInitialize(ctx, session, target ? [upstreamOf(target)] : list, options)
      case 'ping':
        ctx.result = {}
        return
      case 'notifications/initialized':
        return // each upstream connection did its own handshake
    }
    const up = target ? upstreamOf(target) : fallback
    const params = (target ? target.params : ctx.params) as Params
    return send(ctx, up, session, target?.method ?? ctx.method, params)
  }
  // `proxy.close()` closes the upstreams this terminal forwards to.
  terminal.close = async () => {
    await Promise.all(list.map((up) => up.close()))
  }
  return terminal
}

/**
 * Send one message to `up` on a leased connection, released in `finally`
 * with how the request left it. A ready connection is leased synchronously:
 * no await on the hot path. A client notification or a subscription to a
 * shared or per-request upstream leases nothing, as it needs no connection: a
 * pool's per-request lease is exclusive, may wait and may be refused (-32011).
 */
async function send(
  ctx: Context,
  up: UpstreamSource,
  session: Session | undefined,
  method: string,
  params: Params,
): Promise<void> {
  if (up.mode !== 'per-session') {
    // Its connections serve many clients: one client's notification
    // (roots changed, its own progress) means nothing to the others.
    if (ctx.kind === 'notification') return
    // Subscriptions are answered from the source's table: one upstream subscription per URI.
    if (session && SUBSCRIPTION_METHODS.has(method)) {
      return subscription(ctx, up, session, method, params)
    }
  }
  // One object per request, passed as `related` too: a pool attributes server requests by it.
  const origin: Origin = { session, id: ctx.id }
  const deadline = ctx.kind === 'notification' ? undefined : ctx.get(deadlineKey)
  // A deadline set above (a timeout policy): a wait for a connection and the upstream request both end by then.
  let left = deadline === undefined ? 0 : deadline - Date.now()
  if (deadline !== undefined && left <= 0) throw deadlinePassed(up.name)
  const pending = up.lease(origin, ctx, deadline === undefined ? undefined : left)
  let lease: UpstreamLease
  if (pending instanceof Promise) {
    if (deadline === undefined) lease = await pending
    else {
      lease = await leaseWithin(pending, left, ctx, up.name)
      left = deadline - Date.now()
    }
  } else lease = pending
  const { connection } = lease
  let { timeout, maxTotalTimeout } = up
  if (deadline !== undefined) {
    if (left <= 0) {
      // Nothing was sent: the connection is as good as before.
      lease.release('done')
      throw deadlinePassed(up.name)
    }
    timeout = timeout === 0 ? left : Math.min(timeout, left)
    maxTotalTimeout = maxTotalTimeout === 0 ? left : Math.min(maxTotalTimeout, left)
  }
  let outcome: LeaseOutcome = 'failed'
  try {
    if (ctx.kind === 'notification') {
      connection.notify(method, params)
      outcome = 'done'
      return
    }
    const result = await connection.request(method, params, {
      signal: ctx,
      timeout,
      maxTotalTimeout,
      related: origin,
      headers: ctx.get(upstreamHeadersKey),
      onProgress:
        session && progressTokenOf(params) !== undefined
          ? relayProgress(session, ctx, params)
          : undefined,
    })
    outcome = 'done'
    // A task-augmented request: the task's status notifications belong to this session.
    if (session && params?.task !== undefined) up.taskCreated(session, result)
    ctx.result = result
  } catch (error) {
    outcome = outcomeOf(error, ctx.aborted)
    throw sanitize(error, up.name)
  } finally {
    lease.release(outcome)
  }
}

/** `resources/subscribe` or `resources/unsubscribe` to a shared or per-request upstream. */
async function subscription(
  ctx: Context,
  up: UpstreamSource,
  session: Session,
  method: string,
  params: Params,
): Promise<void> {
  try {
    ctx.result = await up.subscription(session, method, params)
  } catch (error) {
    throw sanitize(error, up.name)
  }
}

/** The upstreams by name, checked when `forward()` is called: at least one, no two of one name. */
function namesOf(list: readonly UpstreamSource[]): Map<string, UpstreamSource> {
  if (list.length === 0)
    throw new TypeError('[@mcpx/transports] forward() needs at least one upstream')
  const byName = new Map<string, UpstreamSource>()
  for (const up of list) {
    if (byName.has(up.name))
      throw new TypeError(`[@mcpx/transports] two upstreams are named "${up.name}"`)
    byName.set(up.name, up)
  }
  return byName
}

/** The deadline passed before the request could be sent (a wait for a connection took it). */
function deadlinePassed(upstream: string, waiting = ''): McpxError {
  return new McpxError(
    ErrorCode.RequestTimeout,
    `Request to upstream "${upstream}" timed out${waiting}`,
    { data: { upstream }, unsent: true },
  )
}

/**
 * A lease still to come (a connection opening, or a wait for a free one),
 * waited for no longer than `left` ms nor past the client's cancel. The
 * source's own work goes on: a lease that arrives after the caller gave up
 * is given back at once, unused.
 */
function leaseWithin(
  pending: Promise<UpstreamLease>,
  left: number,
  ctx: Context,
  upstream: string,
): Promise<UpstreamLease> {
  return new Promise<UpstreamLease>((resolve, reject) => {
    let done = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let stopAbort = (): void => {}
    const end = (error: unknown) => {
      if (done) return
      done = true
      clearTimeout(timer)
      stopAbort()
      reject(error)
    }
    timer = setTimeout(() => end(deadlinePassed(upstream, ' waiting for a connection')), left)
    // An abort listener may run at once (the client already cancelled): `end` is ready for it.
    stopAbort = ctx.onAbort((reason) => end(reason))
    if (done) stopAbort()
    pending.then((lease) => {
      if (done) return lease.release('done')
      done = true
      clearTimeout(timer)
      stopAbort()
      resolve(lease)
    }, end)
  })
}

/**
 * How a failed request leaves its connection: failed by the connection
 * (-32010, or not a JSON-RPC error at all: it is probably gone), abandoned
 * (timed out or cancelled: the server may still be at it), or answered with
 * the server's own error.
 */
function outcomeOf(error: unknown, aborted: boolean): LeaseOutcome {
  if (!McpxError.is(error) || error.code === ErrorCode.UpstreamUnavailable) return 'failed'
  return error.code === ErrorCode.RequestTimeout || aborted ? 'abandoned' : 'done'
}

/**
 * An upstream's -32603 carries its own internal error text (SDK servers put
 * the thrown exception's message there): the client learns only which
 * upstream failed. Every other error is the upstream's answer and passes on.
 */
function sanitize(error: unknown, upstream: string): unknown {
  if (!McpxError.is(error) || error.code !== ErrorCode.InternalError) return error
  return new McpxError(ErrorCode.InternalError, `Upstream "${upstream}" had an internal error`, {
    cause: error,
    data: { upstream },
  })
}

/** MCP progress: the client gets its own token back on every hop. */
function relayProgress(session: Session, ctx: Context, params: Params) {
  const token = progressTokenOf(params)
  return (progress: Record<string, unknown>) => {
    session.notify(PROGRESS, { ...progress, progressToken: token }, ctx.id)
  }
}
