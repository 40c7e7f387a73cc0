import {
  type Context,
  ErrorCode,
  McpxError,
  type Target,
  type Terminal,
  targetKey,
} from '@mcpx/core'
import type { Params } from './protocol/peer.js'
import { progressTokenOf } from './protocol/progress.js'
import { type Session, sessionKey } from './protocol/session.js'
import { answerInitialize, type ForwardOptions } from './upstream/handshake.js'
import { SUBSCRIPTION_METHODS } from './upstream/subscriptions.js'
import type { Origin, Upstream } from './upstream/upstream.js'

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
  upstreams: Upstream | readonly Upstream[],
  options: ForwardOptions = {},
): Terminal {
  const list: readonly Upstream[] = Array.isArray(upstreams) ? upstreams : [upstreams as Upstream]
  const byName = namesOf(list)
  const fallback = list[0]!
  const upstreamOf = (target: Target): Upstream => {
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
    const method = target?.method ?? ctx.method
    const params = (target ? target.params : ctx.params) as Params
    const connection = await up.acquire(session)
    if (ctx.kind === 'notification') {
      // A shared connection serves many clients: one client's notification
      // (roots changed, its own progress) means nothing to the others.
      if (up.mode === 'per-session') connection.notify(method, params)
      return
    }
    try {
      // A shared connection answers subscriptions from its table: one upstream subscription per URI.
      if (session && up.mode === 'shared' && SUBSCRIPTION_METHODS.has(method)) {
        ctx.result = await up.subscription(session, method, params)
        return
      }
      const result = await connection.request(method, params, {
        signal: ctx,
        timeout: up.timeout,
        maxTotalTimeout: up.maxTotalTimeout,
        related: { session, id: ctx.id } satisfies Origin,
        onProgress:
          session && progressTokenOf(params) !== undefined
            ? relayProgress(session, ctx, params)
            : undefined,
      })
      // A task-augmented request: the task's status notifications belong to this session.
      if (session && params?.task !== undefined) up.taskCreated(session, result)
      ctx.result = result
    } catch (error) {
      throw sanitize(error, up.name)
    }
  }
  // `proxy.close()` closes the upstreams this terminal forwards to.
  terminal.close = async () => {
    await Promise.all(list.map((up) => up.close()))
  }
  return terminal
}

/** The upstreams by name, checked when `forward()` is called: at least one, no two of one name. */
function namesOf(list: readonly Upstream[]): Map<string, Upstream> {
  if (list.length === 0)
    throw new TypeError('[@mcpx/transports] forward() needs at least one upstream')
  const byName = new Map<string, Upstream>()
  for (const up of list) {
    if (byName.has(up.name))
      throw new TypeError(`[@mcpx/transports] two upstreams are named "${up.name}"`)
    byName.set(up.name, up)
  }
  return byName
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
