import type { Algorithm, Decision, State } from './types.js'
import { positive } from './validate.js'

/** Options of {@link tokenBucket}. */
export interface TokenBucketOptions {
  /** The most tokens the bucket holds: the largest burst. A positive finite number. */
  capacity: number
  /** Tokens added per second, continuously (not in steps). A positive finite number. */
  refillPerSecond: number
}

/**
 * A token bucket: a key starts full with `capacity` tokens, a message takes
 * `cost` of them, and they come back at `refillPerSecond`, continuously, up
 * to `capacity`. It allows bursts of `capacity` and `refillPerSecond` on
 * average: the cost accepted in any interval of length T is at most
 * `capacity + refillPerSecond · T / 1000`.
 *
 * The state is `[tokens, updatedAtMs]`; a state older than `ttlMs` has
 * refilled completely, so it can be dropped.
 *
 * @example
 * ```ts
 * // Bursts of 20, 5 per second sustained.
 * const perClient = tokenBucket({ capacity: 20, refillPerSecond: 5 })
 * ```
 */
export function tokenBucket(options: TokenBucketOptions): Algorithm {
  const capacity = positive('tokenBucket', 'capacity', options.capacity)
  const refillPerSecond = positive('tokenBucket', 'refillPerSecond', options.refillPerSecond)
  const perMs = refillPerSecond / 1000
  const fillMs = Math.ceil(capacity / perMs)
  /**
   * The first whole millisecond at which `cost` passes, no other message
   * taken: `ceil(deficit / rate)`, one more when rounding left the bucket
   * a hair short then, computed as the next check will compute it.
   */
  function retryAfter(state: State | undefined, now: number, cost: number, tokens: number) {
    const wait = Math.ceil((cost - tokens) / perMs)
    if (state === undefined) return wait
    const at = now + wait
    return state[0]! + Math.max(0, at - state[1]!) * perMs < cost ? wait + 1 : wait
  }
  return Object.freeze({
    kind: 'token-bucket',
    limit: capacity,
    windowMs: fillMs,
    params: Object.freeze([capacity, refillPerSecond]),
    ttlMs: fillMs + 1000,
    stateSize: 2,
    evaluate(state: State | undefined, now: number, cost: number, out: Decision, next: State) {
      const tokens =
        state === undefined
          ? capacity
          : Math.min(capacity, state[0]! + Math.max(0, now - state[1]!) * perMs)
      const allowed = cost <= tokens
      const left = allowed ? tokens - cost : tokens
      if (allowed) {
        next[0] = left
        next[1] = now
      }
      out.allowed = allowed
      out.limit = capacity
      out.remaining = Math.floor(left)
      out.retryAfterMs = allowed
        ? 0
        : cost > capacity
          ? Number.POSITIVE_INFINITY
          : retryAfter(state, now, cost, tokens)
      out.resetMs = Math.ceil((capacity - left) / perMs)
      return allowed
    },
  } as const)
}
