import {
  type Backoff,
  backoffDelay,
  type Context,
  deadlineKey,
  McpxError,
  type Middleware,
  type Next,
  type Target,
  targetKey,
} from '@mcpx/core'
import { isFailure } from './failure.js'
import {
  attemptOf,
  hasProgressToken,
  type Idempotent,
  type IdempotentTools,
  idempotentOf,
  neverSent,
  passesThrough,
} from './repeat.js'
import { retryAfterMs } from './retry-after.js'
import { createRetryBudget, type RetryBudget, type RetryBudgetOptions } from './retry-budget.js'
import { between, fail, fn, integer, options as known, ms } from './validate.js'

// Issue 12 §3. Retries are where a gateway turns one sick upstream into an
// outage, so every rule errs towards not retrying: a budget shared by every
// request to an upstream, no retry of a call that may have run a
// non-idempotent tool, none once progress may have reached the client, none
// for a client that has gone.

/** Options of {@link retry}. */
export interface RetryOptions {
  /**
   * Attempts in all, the first included: 3 is one call and up to two retries. An integer ≥ 1.
   * @defaultValue 3
   */
  attempts?: number
  /**
   * The wait before retry n, `backoffDelay(n, backoff, random)` (core): full
   * jitter by default, so clients that failed together do not come back together.
   * Delays in whole ms from 0; `maxDelay` defaults to the larger of 2_000 and `baseDelay`.
   * @defaultValue `{ baseDelay: 100, maxDelay: 2_000, factor: 2, jitter: 1 }`
   */
  backoff?: Partial<Backoff>
  /**
   * The longest wait an upstream's `Retry-After` (see {@link retryAfterMs})
   * may impose, in ms: it is waited when longer than the backoff, up to this.
   * @defaultValue 10_000
   */
  maxRetryAfter?: number
  /**
   * The retry budget (see {@link createRetryBudget}): one per upstream name,
   * shared by every request this middleware sees for it, so that an upstream
   * failing everything gets at most `1 + ratio` times the traffic, plus
   * `minRetries` per window.
   * @defaultValue `{ ratio: 0.2, minRetries: 10, window: 10_000 }`
   */
  budget?: Omit<RetryBudgetOptions, 'now'>
  /**
   * Upstream names given a budget of their own; requests to any further
   * upstream share one more budget, so a flood of names neither grows the
   * map nor resets a budget (an evicted one would start again with `minRetries`).
   * @defaultValue 1024
   */
  maxUpstreams?: number
  /**
   * Whether an attempt's error may be retried at all; the rules of
   * {@link retry} apply on top.
   * @defaultValue `isFailure(error)`: transport errors, timeouts, -32010, -32603
   */
  isRetryable?: (error: unknown, ctx: Context) => boolean
  /**
   * `tools/call`s that may be repeated after they reached the upstream: the
   * tools' names as their upstream knows them (`targetKey`'s params, before
   * any namespacing), or a function of that name and the upstream's name.
   * @defaultValue none: a `tools/call` is retried only when it provably never left the gateway
   */
  idempotentTools?: IdempotentTools
  /**
   * Also treat as idempotent a tool its upstream annotates `idempotentHint`
   * or `readOnlyHint` (read from core's `toolKey`, which the router sets
   * from its catalog). Annotations are the upstream's word, not a
   * guarantee: trust them only from upstreams you trust.
   * @defaultValue false
   */
  trustHints?: boolean
  /**
   * The upstream's name where no router has set `targetKey` (budgets are per name).
   * @defaultValue 'default'
   */
  upstream?: string
  /** Jitter source in `[0, 1)`. @defaultValue Math.random */
  random?: () => number
  /**
   * The clock in ms since the epoch: the budgets', and the one a deadline
   * (core's `deadlineKey`) is compared with.
   * @defaultValue `() => Date.now()`
   */
  now?: () => number
}

const OPTION_KEYS = [
  'attempts',
  'backoff',
  'maxRetryAfter',
  'budget',
  'maxUpstreams',
  'isRetryable',
  'idempotentTools',
  'trustHints',
  'upstream',
  'random',
  'now',
]

/** Everything the middleware needs, fixed when the factory runs. */
interface Policy {
  readonly attempts: number
  readonly backoff: Backoff
  readonly maxRetryAfter: number
  readonly isRetryable: (error: unknown, ctx: Context) => boolean
  readonly idempotent: Idempotent
  readonly random: () => number
  readonly now: () => number
}

/**
 * Retry a failed request through the rest of the stack, under a retry
 * budget per upstream. Place it after the router (it reads `targetKey`) and
 * before `forward()`; a `timeout()` above it is the total deadline (no
 * retry is started that could not begin before it), below it each attempt's.
 *
 * The first attempt is plain `await next()`: the success path allocates
 * nothing. After a failure, another attempt runs only if all hold:
 * - attempts are left, the client has not cancelled (`ctx.aborted`), and
 *   `isRetryable(error, ctx)`;
 * - the request carries no `_meta.progressToken`. `forward()` relays
 *   progress straight to the session, past the stack, so a middleware cannot
 *   see whether any was sent: a request that asked for progress is never
 *   retried (issue 12: a response that began to stream is never retried);
 * - it is not a `tools/call` that may have reached the upstream, unless the
 *   tool is in `idempotentTools` (or, with `trustHints`, annotated
 *   `idempotentHint` or `readOnlyHint`). Only a refusal by this gateway
 *   itself proves a call never left it (core's `unsent` mark: a bulkhead's
 *   or a pool's refusal, a deadline spent waiting for a connection);
 *   anything else, a lost connection, an upstream's -32011 or a -32603
 *   included, may have run the tool;
 * - the wait, `backoffDelay(retry, backoff, random)` or the upstream's
 *   `Retry-After` when longer (capped at `maxRetryAfter`), ends before the
 *   deadline set above, if any;
 * - the upstream's budget grants it (`tryRetry()`, asked last).
 *
 * The wait ends at once, with no further attempt, when the client cancels.
 * Each retry is `ctx.fork()` (cancelled with `ctx`) through `next(fork)`;
 * its result is copied back. When none succeeds the client gets the last
 * attempt's error unchanged. Notifications, `initialize`, `ping` and
 * server-to-client messages pass through untouched.
 *
 * @example
 * ```ts
 * proxy.use(
 *   router({ upstreams }),
 *   timeout(30_000), // the total deadline
 *   retry({ attempts: 3, idempotentTools: ['search', 'get_weather'] }),
 *   breaker(),
 * )
 * ```
 */
export function retry(options: RetryOptions = {}): Middleware {
  const o = known('', options, OPTION_KEYS, 'retry() options')
  const policy = policyOf(o)
  const budgetOf = budgets(o.budget, integer('maxUpstreams', o.maxUpstreams, 1024, 1), policy.now)
  const fallback = o.upstream ?? 'default'
  if (typeof fallback !== 'string' || fallback === '') fail('upstream', 'a non-empty string')

  return async function retry(ctx, next) {
    if (passesThrough(ctx)) return next()
    const target = ctx.get(targetKey)
    const upstream = target?.upstream ?? fallback
    const budget = budgetOf(upstream)
    budget.onRequest()
    // What the first attempt starts from: it may change them on `ctx` itself (a per-attempt timeout below).
    const deadline = ctx.get(deadlineKey)
    try {
      await next()
    } catch (error) {
      return again(policy, ctx, next, { target, upstream, deadline, budget, error, thrown: true })
    }
    const error = ctx.error
    if (error !== undefined) {
      return again(policy, ctx, next, { target, upstream, deadline, budget, error, thrown: false })
    }
  }
}

function policyOf(o: Partial<RetryOptions>): Policy {
  const b = known('backoff', o.backoff, ['baseDelay', 'maxDelay', 'factor', 'jitter'])
  const baseDelay = ms('backoff.baseDelay', b.baseDelay, 100, 0)
  const maxDelay = ms('backoff.maxDelay', b.maxDelay, Math.max(2_000, baseDelay), 0)
  if (maxDelay < baseDelay) fail('backoff.maxDelay', '≥ backoff.baseDelay')
  return {
    attempts: integer('attempts', o.attempts, 3, 1),
    backoff: {
      baseDelay,
      maxDelay,
      factor: between('backoff.factor', b.factor, 2, 1),
      jitter: between('backoff.jitter', b.jitter, 1, 0, 1),
    },
    maxRetryAfter: ms('maxRetryAfter', o.maxRetryAfter, 10_000, 0),
    isRetryable: fn('isRetryable', o.isRetryable, (error: unknown) => isFailure(error)),
    idempotent: idempotentOf(o.idempotentTools, o.trustHints),
    random: fn('random', o.random, Math.random),
    now: fn('now', o.now, () => Date.now()),
  }
}

/** The budget of each upstream name, made on first use; past `max` names, one shared budget. */
function budgets(
  value: RetryOptions['budget'],
  max: number,
  now: () => number,
): (upstream: string) => RetryBudget {
  const b = known('budget', value, ['ratio', 'minRetries', 'window'])
  const ratio = b.ratio ?? 0.2
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 0) {
    fail('budget.ratio', 'a finite number ≥ 0')
  }
  const settings: RetryBudgetOptions = {
    ratio,
    minRetries: integer('budget.minRetries', b.minRetries, 10, 0),
    window: integer('budget.window', b.window, 10_000, 10),
    now,
  }
  const byName = new Map<string, RetryBudget>()
  const overflow = createRetryBudget(settings)
  return (upstream) => {
    let budget = byName.get(upstream)
    if (budget === undefined) {
      if (byName.size >= max) return overflow
      budget = createRetryBudget(settings)
      byName.set(upstream, budget)
    }
    return budget
  }
}

/** One request's state after its first attempt failed. */
interface Failed {
  readonly target: Target | undefined
  readonly upstream: string
  readonly deadline: number | undefined
  readonly budget: RetryBudget
  /** The latest attempt's error, and whether it was thrown (else it was set as the context's `error`). */
  error: unknown
  thrown: boolean
}

/** The retries after a failed first attempt; ends as the last attempt did. */
async function again(policy: Policy, ctx: Context, next: Next, failed: Failed): Promise<void> {
  for (let retry = 1; retry < policy.attempts; retry++) {
    const wait = waitBefore(policy, retry, ctx, failed)
    if (wait === undefined || (wait > 0 && !(await sleep(wait, ctx)))) break
    const attempt = attemptOf(ctx, failed)
    try {
      await next(attempt)
      if (attempt.error === undefined) {
        ctx.error = undefined
        ctx.result = attempt.result
        return
      }
      failed.error = attempt.error
      failed.thrown = false
    } catch (error) {
      failed.error = error
      failed.thrown = true
    }
  }
  ctx.result = undefined
  if (failed.thrown) throw failed.error
  ctx.error = failed.error as McpxError
}

/** How long to wait before retry `retry`, or undefined when it must not happen. */
function waitBefore(
  policy: Policy,
  retry: number,
  ctx: Context,
  failed: Failed,
): number | undefined {
  const { error, deadline } = failed
  if (ctx.aborted || !policy.isRetryable(error, ctx)) return undefined
  // An open circuit stays open for its whole duration: retrying the same upstream only waits
  // (a backup is failover()'s business).
  if (McpxError.is(error) && error.name === 'CircuitOpenError') return undefined
  const target = failed.target
  const params = target ? target.params : ctx.params
  if (hasProgressToken(params) || (target && hasProgressToken(ctx.params))) return undefined
  if ((target?.method ?? ctx.method) === 'tools/call' && !neverSent(error)) {
    const tool = (params as { name?: unknown } | undefined)?.name
    if (typeof tool !== 'string' || !policy.idempotent(tool, failed.upstream, ctx)) {
      return undefined
    }
  }
  const now = policy.now()
  const backoff = backoffDelay(retry, policy.backoff, policy.random)
  const asked = retryAfterMs(error, now, Number.MAX_SAFE_INTEGER) ?? 0
  // Asked to wait longer than we would: give up now rather than wait out the cap and fail again.
  if (asked > policy.maxRetryAfter) return undefined
  const wait = Math.max(backoff, asked)
  // A retry that would start at or past the deadline only swaps the error for a timeout.
  if (deadline !== undefined && now + wait >= deadline) return undefined
  return failed.budget.tryRetry() ? wait : undefined
}

/** Wait `ms`; false, at once and with the timer cleared, if `ctx` is cancelled first. */
function sleep(ms: number, ctx: Context): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off()
      resolve(true)
    }, ms)
    const off = ctx.onAbort(() => {
      clearTimeout(timer)
      resolve(false)
    })
  })
}
