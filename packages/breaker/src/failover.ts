import { type Context, deadlineKey, type Middleware, targetKey } from '@mcpx/core'
import { isFailure as defaultIsFailure } from './failure.js'
import {
  attemptOf,
  hasProgressToken,
  type IdempotentTools,
  idempotentOf,
  neverSent,
  passesThrough,
} from './repeat.js'
import { fail, fn, options as known } from './validate.js'

/** Options of {@link failover}. */
export interface FailoverOptions {
  /** Each primary upstream's backups, tried in order: `{ search: ['search-eu', 'search-us'] }`. */
  readonly backups: Readonly<Record<string, readonly string[]>>
  /**
   * Tools whose `tools/call` may run twice (on the primary and a backup)
   * without harm: names, or a predicate. A call of any other tool goes to a
   * backup only when the request never left the gateway (the primary's
   * circuit open, or the gateway's own limits refused it). @defaultValue none
   */
  readonly idempotentTools?: IdempotentTools
  /**
   * Also treat as idempotent a tool its upstream annotates `idempotentHint`
   * or `readOnlyHint` (core's `toolKey`, from the router's catalog); only
   * for upstreams whose word you trust. @defaultValue false
   */
  readonly trustHints?: boolean
  /** Which errors of the primary send the message to a backup. @defaultValue {@link isFailure} */
  readonly isFailure?: (error: unknown) => boolean
  /** The primary when no router set `targetKey`. @defaultValue 'default' */
  readonly upstream?: string
}

const KEYS = ['backups', 'idempotentTools', 'trustHints', 'isFailure', 'upstream']

/**
 * Ordered backups for an upstream that is down: a message whose primary is
 * cut off (its circuit open: `breaker()` below this one) or fails with a
 * failure (transport error, timeout, -32603, HTTP 5xx) goes, as a
 * sub-request with the same id and session, to the primary's first backup,
 * then the next; the client sees the first answer, or the last error. Each
 * message tries its primary first, so traffic returns to it as soon as its
 * circuit closes again. A `tools/call` runs on a backup after a failure
 * only when its tool is idempotent (`idempotentTools`), or when the
 * primary was never reached, since the primary may have done the work.
 *
 * Place it below the router (it rewrites the router's `targetKey`) and
 * above `breaker()`, so that an open primary is skipped at once and each
 * backup has its own circuit.
 *
 * @example
 * ```ts
 * proxy.use(router({ upstreams }))
 * proxy.use(failover({ backups: { search: ['search-backup'] }, idempotentTools: ['search'] }))
 * proxy.use(breaker({ healthRegistry: health }))
 * ```
 */
export function failover(options: FailoverOptions): Middleware {
  const o = known('', options, KEYS, 'failover() options')
  const backups = o.backups
  if (typeof backups !== 'object' || backups === null || Array.isArray(backups)) {
    fail('backups', 'an object of upstream name → backup names')
  }
  const lists = new Map<string, readonly string[]>()
  for (const [primary, list] of Object.entries(backups)) {
    if (!Array.isArray(list) || list.some((name) => typeof name !== 'string' || name === '')) {
      fail(`backups.${primary}`, 'a list of upstream names')
    }
    if (list.includes(primary)) {
      fail(`backups.${primary}`, `a list without ${primary} itself`)
    }
    if (list.length > 0) lists.set(primary, [...list])
  }
  const isFailure = fn('isFailure', o.isFailure, defaultIsFailure)
  const idempotent = idempotentOf(o.idempotentTools, o.trustHints)
  const fallback = o.upstream ?? 'default'
  if (typeof fallback !== 'string' || fallback === '') fail('upstream', 'a non-empty string')

  /** Whether the message may go to a backup after `error` from `upstream`. */
  const mayFailOver = (
    ctx: Context,
    upstream: string,
    method: string,
    params: unknown,
    error: unknown,
    deadline: number | undefined,
  ) => {
    if (ctx.aborted || (!isFailure(error) && !neverSent(error))) return false
    // Past the deadline a backup could only time out (and be counted against, unreached).
    if (deadline !== undefined && Date.now() >= deadline) return false
    if (neverSent(error)) return true
    // Sent again, a request that asked for progress would restart it (MCP: progress only increases).
    if (hasProgressToken(params) || hasProgressToken(ctx.params)) return false
    if (method !== 'tools/call') return true
    const tool = (params as { name?: unknown } | undefined)?.name
    return typeof tool === 'string' && idempotent(tool, upstream, ctx)
  }

  return async function failover(ctx, next) {
    if (passesThrough(ctx)) return next()
    const target = ctx.get(targetKey)
    const primary = target?.upstream ?? fallback
    const list = lists.get(primary)
    if (!list) return next()
    const method = target?.method ?? ctx.method
    const params = target ? target.params : ctx.params
    // What the primary's attempt starts from: the layers below may change both on `ctx`.
    const first = { target, deadline: ctx.get(deadlineKey) }
    let error: unknown
    try {
      await next()
      if (ctx.error === undefined) return
      error = ctx.error
    } catch (thrown) {
      error = thrown
    }
    if (!mayFailOver(ctx, primary, method, params, error, first.deadline)) {
      if (ctx.error === error) return
      throw error
    }
    for (const backup of list) {
      const attempt = attemptOf(ctx, first, { upstream: backup, method, params })
      try {
        await next(attempt)
        if (attempt.error === undefined) {
          ctx.error = undefined
          ctx.result = attempt.result
          return
        }
        error = attempt.error
      } catch (thrown) {
        error = thrown
      }
      if (!mayFailOver(ctx, backup, method, params, error, first.deadline)) break
    }
    ctx.result = undefined
    ctx.error = undefined
    throw error
  }
}
