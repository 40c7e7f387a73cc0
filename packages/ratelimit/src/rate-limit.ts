import {
  type Context,
  type ErrorHandler,
  type McpxError,
  type Middleware,
  principalKey,
} from '@mcpx/core'
import { limitsUnavailable, rateLimited } from './answers.js'
import { keyOf } from './keys.js'
import { compileLimit, type Limit, type LimitOptions } from './limits.js'
import { memoryStore } from './memory-store.js'
import type { Check, Decision, RateLimitStore } from './types.js'

/** Callers no limit applies to. */
export type AllowList =
  | {
      /** Principal subjects. */
      subjects?: readonly string[]
      /** OAuth client ids. */
      clientIds?: readonly string[]
      /** Remote addresses, exactly as the transport reports them. */
      addresses?: readonly string[]
    }
  | ((ctx: Context) => boolean)

/** Options for {@link rateLimit}. */
export interface RateLimitOptions {
  /** The limits; a message must pass every one that counts it, and when one refuses, none is charged. */
  limits: readonly LimitOptions[]
  /** Where the counters live. @defaultValue `memoryStore()` (this process only) */
  store?: RateLimitStore
  /** Callers that bypass every limit. @defaultValue none */
  allow?: AllowList
  /** Told of each store failure (the policy of each limit still applies). @defaultValue `console.error` */
  onStoreError?: ErrorHandler
}

/** Counters since the middleware was made. */
export interface RateLimitStats {
  /** Messages refused by a limit. */
  refused: number
  /** Messages let through because the store failed and every limit that counted them fails open. */
  failedOpen: number
  /** Messages refused because the store failed and a limit that counted them fails closed. */
  failedClosed: number
}

/** The middleware, with its counters; `close()` closes the store (the proxy calls it). */
export type RateLimitMiddleware = Middleware & {
  readonly stats: Readonly<RateLimitStats>
  close(): Promise<void>
}

function allowListOf(allow: AllowList | undefined): ((ctx: Context) => boolean) | undefined {
  if (allow === undefined || typeof allow === 'function') return allow
  const subjects = new Set(allow.subjects ?? [])
  const clientIds = new Set(allow.clientIds ?? [])
  const addresses = new Set(allow.addresses ?? [])
  return (ctx) => {
    const principal = ctx.get(principalKey)
    if (principal !== undefined) {
      if (subjects.has(principal.subject)) return true
      if (principal.clientId !== undefined && clientIds.has(principal.clientId)) return true
    }
    const address = ctx.session.remoteAddress
    return address !== undefined && addresses.has(address)
  }
}

function checksOf(limits: readonly Limit[], ctx: Context, owners: Limit[]): Check[] {
  const checks: Check[] = []
  for (const limit of limits) {
    const selected = limit.select(ctx)
    if (selected === undefined) continue
    const key = keyOf(limit.by, ctx)
    if (key === undefined) continue
    checks.push({
      limitId: selected.limitId,
      algorithm: selected.algorithm,
      key,
      cost: selected.cost,
    })
    owners.push(limit)
  }
  return checks
}

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function'

/** The refusal that waits longest: the one the client must honour. */
function worstRefusal(decisions: readonly Decision[]): number {
  let worst = -1
  for (let i = 0; i < decisions.length; i++) {
    const decision = decisions[i]!
    if (decision.allowed) continue
    if (worst === -1 || decision.retryAfterMs > decisions[worst]!.retryAfterMs) worst = i
  }
  return worst
}

/**
 * Rate limits on client requests: every limit that counts a message is
 * checked in one atomic store call (all pass and are charged, or the
 * message is refused and nothing is charged). A refusal is -32029 with
 * `data: { retryAfterMs, retryAfter, limit, remaining, policy }` and, over
 * HTTP when the whole request was that message, 429 with `Retry-After`,
 * `RateLimit` and `RateLimit-Policy`. Per-client limits read core's
 * `principalKey` (set by `@mcpx/auth`), else the session, else the remote
 * address. Messages to the client, notifications, `initialize` and `ping`
 * are never counted.
 *
 * @throws TypeError when a limit's options are invalid, once, when the factory runs
 * @example
 * ```ts
 * proxy.use(rateLimit({
 *   limits: [
 *     { name: 'global', by: 'global', algorithm: tokenBucket({ capacity: 500, refillPerSecond: 100 }) },
 *     { name: 'per-client', algorithm: slidingWindow({ limit: 60, windowMs: 60_000 }) },
 *   ],
 * }))
 * ```
 */
export function rateLimit(options: RateLimitOptions): RateLimitMiddleware {
  const { limits, store, allowed, onStoreError } = settingsOf(options)
  const stats: RateLimitStats = { refused: 0, failedOpen: 0, failedClosed: 0 }

  async function rateLimit(ctx: Context, next: () => Promise<void>): Promise<void> {
    if (ctx.direction !== 'toServer' || ctx.kind !== 'request' || allowed?.(ctx)) return next()
    const owners: Limit[] = []
    const checks = checksOf(limits, ctx, owners)
    if (checks.length === 0) return next()
    let refused: McpxError | undefined
    try {
      const result = store.consume(checks)
      refused = isPromise(result)
        ? refusalOf(stats, await result, checks, owners)
        : refusalOf(stats, result, checks, owners)
    } catch (error) {
      refused = failed(stats, onStoreError, error, ctx, owners)
    }
    if (refused !== undefined) {
      ctx.error = refused
      return
    }
    await next()
  }
  return Object.assign(rateLimit, {
    stats: stats as Readonly<RateLimitStats>,
    close: async () => {
      await store.close?.()
    },
  })
}

interface Settings {
  readonly limits: readonly Limit[]
  readonly store: RateLimitStore
  readonly allowed: ((ctx: Context) => boolean) | undefined
  readonly onStoreError: ErrorHandler
}

function settingsOf(options: RateLimitOptions): Settings {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.limits)) {
    throw new TypeError('[@mcpx/ratelimit] rateLimit() needs { limits: [...] }')
  }
  const limits = options.limits.map(compileLimit)
  const names = new Set(limits.map((limit) => limit.name))
  if (names.size !== limits.length) throw new TypeError('[@mcpx/ratelimit] limit names must differ')
  const store = options.store ?? memoryStore()
  if (typeof store?.consume !== 'function') {
    throw new TypeError('[@mcpx/ratelimit] store must have consume(checks)')
  }
  const onStoreError: ErrorHandler =
    options.onStoreError ?? ((error) => console.error('[@mcpx/ratelimit] store failed:', error))
  return { limits, store, allowed: allowListOf(options.allow), onStoreError }
}

/** The refusal for these decisions, read at once: a memory store reuses them for the next check. */
function refusalOf(
  stats: RateLimitStats,
  decisions: readonly Decision[],
  checks: Check[],
  owners: Limit[],
): McpxError | undefined {
  const worst = worstRefusal(decisions)
  if (worst === -1) return undefined
  stats.refused++
  return rateLimited(owners[worst]!.name, checks[worst]!.algorithm, decisions[worst]!)
}

function failed(
  stats: RateLimitStats,
  onStoreError: ErrorHandler,
  error: unknown,
  ctx: Context,
  owners: Limit[],
): McpxError | undefined {
  onStoreError(error, { method: ctx.method })
  if (owners.some((limit) => limit.failClosed)) {
    stats.failedClosed++
    return limitsUnavailable()
  }
  stats.failedOpen++
  return undefined
}
