import type { Algorithm, Decision, State } from './types.js'
import { positive, windowLength } from './validate.js'

/** Options of {@link fixedWindow}. */
export interface FixedWindowOptions {
  /** The cost accepted per window. A positive finite number. */
  limit: number
  /** The window's length in milliseconds, an integer ≥ 1. Windows are aligned to the epoch. */
  windowMs: number
}

/**
 * A fixed window: at most `limit` per aligned window of `windowMs`
 * (`[k·windowMs, (k+1)·windowMs)`), the count starting over at each
 * boundary. The cheapest algorithm, and the one whose `remaining` and reset
 * are easiest to explain; its cost is that up to `2 · limit` can pass in a
 * short interval around a boundary (use {@link slidingWindow} or a token
 * bucket where that matters).
 *
 * The state is `[windowIndex, count]`; a state of another window counts 0.
 *
 * @example
 * ```ts
 * // 100 tools/call per minute per client.
 * const perMinute = fixedWindow({ limit: 100, windowMs: 60_000 })
 * ```
 */
export function fixedWindow(options: FixedWindowOptions): Algorithm {
  const limit = positive('fixedWindow', 'limit', options.limit)
  const windowMs = windowLength('fixedWindow', options.windowMs)
  return Object.freeze({
    kind: 'fixed-window',
    limit,
    windowMs,
    params: Object.freeze([limit, windowMs]),
    ttlMs: windowMs + 1000,
    stateSize: 2,
    evaluate(state: State | undefined, now: number, cost: number, out: Decision, next: State) {
      let index = Math.floor(now / windowMs)
      // A clock that stepped back (an NTP step, a Redis failover) must not reopen a spent window.
      if (state !== undefined && state[0]! > index) index = state[0]!
      const count = state !== undefined && state[0] === index ? state[1]! : 0
      const allowed = count + cost <= limit
      if (allowed) {
        next[0] = index
        next[1] = count + cost
      }
      const resetMs = (index + 1) * windowMs - now
      out.allowed = allowed
      out.limit = limit
      out.remaining = Math.floor(limit - (allowed ? count + cost : count))
      out.retryAfterMs = allowed ? 0 : cost > limit ? Number.POSITIVE_INFINITY : resetMs
      out.resetMs = resetMs
      return allowed
    },
  } as const)
}
