/** The shape of an exponential backoff: what {@link backoffDelay} computes from. */
export interface Backoff {
  /** The cap before the first retry (attempt 1), in ms. */
  readonly baseDelay: number
  /** The largest cap, in ms. */
  readonly maxDelay: number
  /** How much the cap grows per attempt (≥ 1). */
  readonly factor: number
  /**
   * The share of the cap that is random, in `[0, 1]`: the delay is
   * `cap · (1 − jitter · random())`. 1 is "full jitter" (anywhere in
   * `[0, cap]`, so that many clients that failed together do not come back
   * together); 0 is none.
   */
  readonly jitter: number
}

/**
 * The delay before attempt `attempt` (1 for the first retry): exponential
 * with a cap, `min(maxDelay, baseDelay · factor^(attempt − 1))`, then
 * jittered (AWS "full jitter" when `jitter` is 1), rounded to whole ms.
 * Pure: the pool's restarts and the breaker's retries and open durations
 * share it.
 *
 * @example
 * ```ts
 * const backoff = { baseDelay: 100, maxDelay: 10_000, factor: 2, jitter: 1 }
 * backoffDelay(1, backoff, Math.random) // somewhere in [0, 100]
 * backoffDelay(4, backoff, () => 0) // 800: the cap, no jitter drawn
 * ```
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number): number {
  const cap = Math.min(backoff.maxDelay, backoff.baseDelay * backoff.factor ** (attempt - 1))
  return Math.round(cap * (1 - backoff.jitter * random()))
}
