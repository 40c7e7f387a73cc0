import type { Algorithm, Decision, State } from './types.js'
import { positive, windowLength } from './validate.js'

/** Options of {@link slidingWindow}. */
export interface SlidingWindowOptions {
  /** The cost accepted per window. A positive finite number. */
  limit: number
  /** The window's length in milliseconds, an integer ≥ 1. */
  windowMs: number
}

/**
 * A sliding window, as the two-window counter approximation (the one
 * Cloudflare and Redis' own rate-limiter examples use; not a sliding log,
 * whose memory grows with the limit). It counts the cost accepted in the
 * current aligned window and in the one before, and estimates the cost of
 * the last `windowMs` as `previous · (1 − f) + current`, where `f` is the
 * fraction of the current window already gone: it assumes the previous
 * window's cost was spread evenly over it. A message passes when the
 * estimate plus its cost is at most `limit`.
 *
 * What it guarantees:
 * - the cost accepted in each aligned window is at most `limit` (the
 *   estimate is never below `current`);
 * - the cost accepted in any interval of length `windowMs` is at most
 *   `2 · limit` (it spans at most two aligned windows). It is at most
 *   `limit` when arrivals are uniform; what goes beyond is the
 *   approximation's error, which comes from traffic bunched at the end of
 *   the previous window.
 *
 * The state is `[windowIndex, current, previous]`, 2 numbers per key
 * whatever the limit.
 *
 * @example
 * ```ts
 * // 1,000 messages per hour per client, without a fixed window's boundary bursts.
 * const perHour = slidingWindow({ limit: 1000, windowMs: 3_600_000 })
 * ```
 */
export function slidingWindow(options: SlidingWindowOptions): Algorithm {
  const limit = positive('slidingWindow', 'limit', options.limit)
  const windowMs = windowLength('slidingWindow', options.windowMs)
  return Object.freeze({
    kind: 'sliding-window',
    limit,
    windowMs,
    params: Object.freeze([limit, windowMs]),
    ttlMs: 2 * windowMs + 1000,
    stateSize: 3,
    evaluate(state: State | undefined, now: number, cost: number, out: Decision, next: State) {
      let index = Math.floor(now / windowMs)
      // A clock that stepped back (an NTP step, a Redis failover) must not reopen a spent window.
      if (state !== undefined && state[0]! > index) index = state[0]!
      let current = 0
      let previous = 0
      if (state !== undefined) {
        if (state[0] === index) {
          current = state[1]!
          previous = state[2]!
        } else if (state[0] === index - 1) {
          previous = state[1]!
        }
      }
      const start = index * windowMs
      const estimate = previous * (1 - Math.max(0, now - start) / windowMs) + current
      const allowed = estimate + cost <= limit
      if (allowed) {
        current += cost
        next[0] = index
        next[1] = current
        next[2] = previous
      }
      out.allowed = allowed
      out.limit = limit
      out.remaining = Math.max(0, Math.floor(limit - estimate - (allowed ? cost : 0)))
      out.retryAfterMs = allowed
        ? 0
        : retryAfter(limit, windowMs, index, now, cost, current, previous)
      out.resetMs = (current > 0 ? start + 2 * windowMs : start + windowMs) - now
      return allowed
    },
  } as const)
}

/**
 * The earliest time the same check passes if nothing else arrives: later in
 * this window, as the previous window's weight falls, when this window's
 * own count leaves room; otherwise in the next one, where this window's
 * count becomes the falling part. The formula is exact, floating point is
 * not: the answer is then moved to the first millisecond at which
 * `evaluate()`'s own arithmetic passes (a step or two at most), so a retry
 * at `retryAfterMs` is never refused by a rounding.
 */
function retryAfter(
  limit: number,
  windowMs: number,
  index: number,
  now: number,
  cost: number,
  current: number,
  previous: number,
): number {
  if (cost > limit) return Number.POSITIVE_INFINITY
  const start = index * windowMs
  const at =
    previous > 0 && current + cost <= limit
      ? start + windowMs * (1 - (limit - current - cost) / previous)
      : start + windowMs + windowMs * Math.max(0, 1 - (limit - cost) / current)
  const passes = (wait: number) =>
    estimateAt(windowMs, index, current, previous, now + wait) + cost <= limit
  let wait = Math.max(1, Math.ceil(at - now))
  // The estimate only falls with time, and is 0 two windows on: both loops end.
  while (!passes(wait)) wait++
  while (wait > 1 && passes(wait - 1)) wait--
  return wait
}

/**
 * The estimate `evaluate()` makes at time `t` from the state it keeps now
 * (window `index`, its `current` and `previous` counts), computed the way
 * it computes it.
 */
function estimateAt(
  windowMs: number,
  index: number,
  current: number,
  previous: number,
  t: number,
): number {
  const at = Math.max(index, Math.floor(t / windowMs))
  if (at === index) return previous * (1 - Math.max(0, t - at * windowMs) / windowMs) + current
  if (at === index + 1) return current * (1 - Math.max(0, t - at * windowMs) / windowMs) + 0
  return 0
}
