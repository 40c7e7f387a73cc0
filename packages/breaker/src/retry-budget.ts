// The retry budget of issue 12 §3: retries at most `ratio` of the requests
// offered over a sliding window, plus a small minimum, so that an upstream
// failing every request sees at most (1 + ratio) times the traffic it would
// see without retries, never a retry storm.
//
// Three models were on the table:
// - Envoy's `retry_budget` (budget_percent 20 %, min_retry_concurrency 3)
//   bounds the retries *in flight* to a share of the requests in flight. It
//   needs a `done()` for every retry, and it bounds concurrency, not counts:
//   against an upstream that fails fast every retry is over at once, so any
//   number of them pass in sequence.
// - gRPC's retry throttling (`maxTokens`, `tokenRatio`) is a token bucket
//   driven by outcomes: a failure takes 1 token, a success gives back
//   `tokenRatio`, and retries stop at `maxTokens / 2`. It needs every
//   outcome reported, has no notion of time (a quiet upstream never earns
//   its retries back without successes), and bounds failures, not retries.
// - Finagle's `RetryBudget` (20 %, 10 per second, ttl 10 s; Linkerd's and
//   tower's are the same): each request deposits `ratio` of a retry that
//   expires after the window; a retry withdraws one.
// The acceptance test counts attempts against requests ("≤ 1.2 × requests
// plus the minimum"), which is the third model's promise, so that is the one
// implemented: counts in a fixed ring of buckets, no outcome reporting.

import { between, fn, integer } from './validate.js'

/** Options of {@link createRetryBudget}. */
export interface RetryBudgetOptions {
  /**
   * Retries allowed per request offered in the window, on top of
   * `minRetries`: 0.2 lets one request in five be retried once. A finite
   * number ≥ 0.
   *
   * @defaultValue 0.2
   */
  ratio?: number
  /**
   * Retries allowed in any window whatever the traffic, so that an upstream
   * with few requests can still have a failure retried. An integer ≥ 0.
   *
   * @defaultValue 10
   */
  minRetries?: number
  /**
   * The window the counts cover, in ms. Tracked in 10 buckets, so a request
   * ages out between 0.9 and 1 window after it was offered (never later),
   * and a retry between 1 and 1.1 windows after it was granted (never
   * sooner). An integer ≥ 10.
   *
   * @defaultValue 10_000
   */
  window?: number
  /**
   * The clock, in ms, read once per call. Inject one in tests, or a cached
   * clock where `Date.now()` shows in a profile.
   *
   * @defaultValue `() => Date.now()` (looked up on each call, so fake timers drive it)
   */
  now?: () => number
}

/** A retry budget: see {@link createRetryBudget}. */
export interface RetryBudget {
  /** A request was offered: call once per first attempt, never for a retry. */
  onRequest(): void
  /** Whether one more retry may go now; a `true` counts it against the budget. */
  tryRetry(): boolean
  /** Retries granted since the budget was made (monotonic). */
  readonly granted: number
  /** Retries refused since the budget was made (monotonic). */
  readonly denied: number
}

/** Buckets per window: the resolution with which requests and retries age out. */
const BUCKETS = 10

/**
 * A retry budget over a sliding window: a retry is granted while
 *
 * `retries in the window (this one included) ≤ ratio · requests in the window + minRetries`
 *
 * where, at time t, "the window" is `(t − window, t]`. The guarantee is
 * exact, not approximate: requests are counted over at most the window and
 * retries over at least it (see {@link RetryBudgetOptions.window}), so the
 * bucketing errs on the side of fewer retries. Consequences:
 *
 * - in any window, retries ≤ `ratio · requests + minRetries`;
 * - over a run of any length T, retries ≤ `ratio · requests + minRetries ·
 *   (⌊T / window⌋ + 1)`: with the upstream failing every request, total
 *   attempts stay ≤ `(1 + ratio) · requests` plus the minimum once per
 *   window the run spans.
 *
 * Memory is fixed (two rings of 11 numbers); `onRequest()` and `tryRetry()`
 * allocate nothing and read the clock once each. A clock that steps back (or
 * reads NaN) is taken as standing still. Share one budget per upstream across every
 * retrying request to it: a budget per request would bound nothing.
 *
 * @example
 * ```ts
 * const budget = createRetryBudget({ ratio: 0.2, minRetries: 10, window: 10_000 })
 * budget.onRequest() // first attempt
 * // … it failed with a retryable error:
 * if (budget.tryRetry()) {
 *   // send the retry
 * } else {
 *   // give up: answer with the failure
 * }
 * ```
 */
export function createRetryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const ratio = between('ratio', options.ratio, 0.2, 0)
  const minRetries = integer('minRetries', options.minRetries, 10, 0)
  const window = integer('window', options.window, 10_000, BUCKETS)
  const now = fn('now', options.now, () => Date.now())
  return new WindowedBudget(ratio, minRetries, window, now)
}

/**
 * Slot `b mod (BUCKETS + 1)` holds bucket `b`, for the buckets from
 * `head − BUCKETS` to `head`. Requests are summed over the newest BUCKETS of
 * them, retries over all BUCKETS + 1: bucket b spans `[b, b + 1) · window /
 * BUCKETS`, so the first range starts after `t − window` and the second at
 * or before it.
 */
class WindowedBudget implements RetryBudget {
  granted = 0
  denied = 0
  readonly #ratio: number
  readonly #minRetries: number
  readonly #window: number
  readonly #now: () => number
  readonly #requests = new Float64Array(BUCKETS + 1)
  readonly #retries = new Float64Array(BUCKETS + 1)
  #head = Number.NEGATIVE_INFINITY
  #slot = 0
  #requestSum = 0
  #retrySum = 0

  constructor(ratio: number, minRetries: number, window: number, now: () => number) {
    this.#ratio = ratio
    this.#minRetries = minRetries
    this.#window = window
    this.#now = now
  }

  onRequest(): void {
    const slot = this.#advance()
    this.#requests[slot]!++
    this.#requestSum++
  }

  tryRetry(): boolean {
    const slot = this.#advance()
    if (this.#retrySum + 1 > this.#ratio * this.#requestSum + this.#minRetries) {
      this.denied++
      return false
    }
    this.#retries[slot]!++
    this.#retrySum++
    this.granted++
    return true
  }

  /** Move the ring on to the current bucket; returns its slot. */
  #advance(): number {
    // For integer ms, now · BUCKETS is an exact integer and so is the floor of its quotient: a
    // time on a bucket edge lands in the later bucket, never a rounding error away from it.
    const bucket = Math.floor((this.#now() * BUCKETS) / this.#window)
    // Also false for NaN and Infinity: a clock that steps back or breaks is taken as standing still.
    if (!(bucket > this.#head && bucket < Number.POSITIVE_INFINITY)) return this.#slot
    const size = BUCKETS + 1
    if (bucket - this.#head > BUCKETS) {
      this.#requests.fill(0)
      this.#retries.fill(0)
      this.#requestSum = 0
      this.#retrySum = 0
    } else {
      for (let b = this.#head + 1; b <= bucket; b++) {
        // Bucket b − BUCKETS leaves the requests' range; b − BUCKETS − 1 (b's slot) leaves both.
        this.#requestSum -= this.#requests[mod(b - BUCKETS, size)]!
        const slot = mod(b, size)
        this.#retrySum -= this.#retries[slot]!
        this.#requests[slot] = 0
        this.#retries[slot] = 0
      }
    }
    this.#head = bucket
    this.#slot = mod(bucket, size)
    return this.#slot
  }
}

const mod = (a: number, n: number): number => ((a % n) + n) % n
