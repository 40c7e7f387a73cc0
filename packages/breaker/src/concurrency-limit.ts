import {
  type Context,
  deadlineKey,
  ErrorCode,
  McpxError,
  type Middleware,
  type StatsRegistry,
  targetKey,
} from '@mcpx/core'
import { type Bulkhead, createBulkhead } from './bulkhead.js'
import { passesThrough } from './repeat.js'
import { fail, integer, options as known, ms } from './validate.js'

/** Options of {@link concurrencyLimit}. */
export interface ConcurrencyLimitOptions {
  /** Requests in flight to one upstream at once (≥ 1). */
  readonly limit: number
  /** Requests that may wait for a slot beyond `limit`; past it the next is refused at once. @defaultValue 0 */
  readonly queue?: number
  /** Ms a queued request waits at most. @defaultValue 1_000 */
  readonly queueTimeout?: number
  /** The upstream a message goes to when no router set `targetKey`. @defaultValue 'default' */
  readonly upstream?: string
  /** The most upstreams limited (one bulkhead each, made on first use). @defaultValue 1024 */
  readonly maxUpstreams?: number
  /** Core's stats registry: one source (kind `'bulkhead'`) with the limits' counts. @defaultValue none */
  readonly statsRegistry?: StatsRegistry
}

/** The `concurrencyLimit()` middleware, and what it knows. */
export interface ConcurrencyLimit extends Middleware {
  /** The bulkhead of `upstream`, if it has one yet. */
  bulkhead(upstream: string): Bulkhead | undefined
  /** Drop its stats source. */
  close(): void
}

const KEYS = ['limit', 'queue', 'queueTimeout', 'upstream', 'maxUpstreams', 'statsRegistry']

/**
 * A bulkhead per upstream: at most `limit` requests in flight to each, so
 * that one slow upstream ties up its own share of the gateway and not the
 * rest. Over the limit a request is refused at once with -32011 naming the
 * upstream (`Upstream "search" has 16 requests in flight (its limit)`, HTTP
 * 503 with `retry-after`) and counted, or, with a `queue`, waits at most
 * `queueTimeout` in a bounded FIFO. Notifications pass untouched. Below the
 * router (it reads `targetKey`); the success path allocates nothing.
 *
 * @example
 * ```ts
 * proxy.use(concurrencyLimit({ limit: 16, queue: 8, queueTimeout: 500 }))
 * ```
 */
export function concurrencyLimit(options: ConcurrencyLimitOptions): ConcurrencyLimit {
  const o = known('', options, KEYS, 'concurrencyLimit() options')
  const limit = integer('limit', o.limit, Number.NaN, 1)
  const queue = integer('queue', o.queue, 0, 0)
  const queueTimeout = ms('queueTimeout', o.queueTimeout, 1_000)
  const maxUpstreams = integer('maxUpstreams', o.maxUpstreams, 1024, 1)
  const fallback = o.upstream ?? 'default'
  if (typeof fallback !== 'string' || fallback === '') {
    fail('upstream', 'a non-empty string')
  }
  /** A bulkhead and its two settle handlers, made once per upstream so that the success path allocates no closure. */
  interface Limited {
    readonly bulkhead: Bulkhead
    readonly left: () => void
    readonly failed: (error: unknown) => never
  }
  /** Use order: a bulkhead looked up again moves to the end. */
  const limits = new Map<string, Limited>()
  /** Requests refused by the bulkheads already forgotten. */
  let rejectedBefore = 0
  let lastName: string | undefined
  let last: Limited | undefined
  const limitOf = (upstream: string): Limited => {
    // The last one used, looked up again only when the upstream changes.
    if (upstream === lastName && last) return last
    let found = limits.get(upstream)
    lastName = upstream
    if (found) {
      limits.delete(upstream)
      limits.set(upstream, found)
      last = found
      return found
    }
    // Upstream names come from the configuration (the router's replicas), so the bound is a guard, not a cache.
    if (limits.size >= maxUpstreams) forgetOne()
    const bulkhead = createBulkhead({ limit, queue, queueTimeout, upstream })
    found = {
      bulkhead,
      left: () => bulkhead.leave(),
      failed: (error) => {
        bulkhead.leave()
        throw error
      },
    }
    limits.set(upstream, found)
    last = found
    return found
  }

  /** The idle bulkhead used longest ago (one with requests in flight only if none is idle). */
  const forgetOne = () => {
    let victim: [string, Limited] | undefined
    for (const entry of limits) {
      victim ??= entry
      if (entry[1].bulkhead.active === 0) {
        victim = entry
        break
      }
    }
    const [name, { bulkhead }] = victim!
    limits.delete(name)
    rejectedBefore += bulkhead.rejected
  }

  // Not an async function: a free slot costs a comparison and one `then`, no suspended frame
  // (measured in bench:breaker; an async layer costs about as much as the three policies together).
  const middleware = function concurrencyLimit(
    ctx: Context,
    next: (ctx?: Context) => Promise<void>,
  ) {
    if (passesThrough(ctx)) return next()
    const upstream = ctx.get(targetKey)?.upstream ?? fallback
    const limited = limitOf(upstream)
    const { bulkhead } = limited
    // With a queue, a full bulkhead is not yet a refusal: the request waits below.
    if (queue === 0 || bulkhead.active < bulkhead.limit) {
      if (!bulkhead.tryEnter()) return Promise.reject(bulkhead.overloaded())
      return run(next, limited)
    }
    return waitThenRun(ctx, next, limited, upstream)
  } as ConcurrencyLimit

  /** `next()` holding a slot: it is given back however `next()` ends. */
  const run = (next: () => Promise<void>, limited: Limited): Promise<void> => {
    let done: Promise<void>
    try {
      done = next()
    } catch (error) {
      limited.left()
      return Promise.reject(error)
    }
    return done.then(limited.left, limited.failed)
  }

  const waitThenRun = async (
    ctx: Context,
    next: () => Promise<void>,
    limited: Limited,
    upstream: string,
  ): Promise<void> => {
    if (ctx.get(deadlineKey) === undefined) await limited.bulkhead.enter(ctx)
    else await queued(ctx, limited.bulkhead, upstream)
    return run(next, limited)
  }

  middleware.bulkhead = (upstream) => limits.get(upstream)?.bulkhead

  /** Wait for a slot, at most `queueTimeout` and never past the message's deadline (then -32001). */
  const queued = async (ctx: Context, bulkhead: Bulkhead, upstream: string): Promise<void> => {
    const deadline = ctx.get(deadlineKey)!
    const left = deadline - Date.now()
    try {
      if (left <= 0) throw bulkhead.overloaded()
      await bulkhead.enter(ctx, left)
    } catch (error) {
      if (Date.now() < deadline || ctx.aborted) throw error
      throw new McpxError(
        ErrorCode.RequestTimeout,
        `Request to upstream "${upstream}" timed out waiting for a free slot`,
        { data: { upstream }, unsent: true },
      )
    }
  }
  const removeStats = o.statsRegistry?.add({
    kind: 'bulkhead',
    name: fallback,
    describe: {
      active: { kind: 'gauge', help: 'Requests in flight under the limits.' },
      queued: { kind: 'gauge', help: 'Requests waiting for a slot.' },
      rejected: {
        kind: 'counter',
        help: 'Requests refused: over the limit, the queue full, or a wait timed out.',
      },
    },
    read() {
      let active = 0
      let queued = 0
      let rejected = rejectedBefore
      for (const { bulkhead: b } of limits.values()) {
        active += b.active
        queued += b.queued
        rejected += b.rejected
      }
      return { active, queued, rejected }
    },
  })
  middleware.close = () => removeStats?.()
  return middleware
}
