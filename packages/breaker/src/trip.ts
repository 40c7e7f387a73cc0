import { backoffDelay } from '@mcpx/core'
import { between, fail, integer, options as known, ms } from './validate.js'

// What decides when a circuit opens (its strategy's counter) and for how long (its open
// duration), apart from the circuit's state machine in circuit-breaker.ts.

/** When a closed circuit opens. */
export type TripStrategy =
  | {
      readonly kind: 'consecutive'
      /** Failures in a row (a success resets the count) that open it. @defaultValue 5 */
      readonly failures?: number
    }
  | {
      readonly kind: 'rate'
      /** The share of failures, in `(0, 1]`, at or above which it opens. @defaultValue 0.5 */
      readonly threshold?: number
      /** The sliding window the rate is measured over, in ms. @defaultValue 10_000 */
      readonly window?: number
      /** Outcomes the window must hold before the rate counts at all. @defaultValue 20 */
      readonly minRequests?: number
      /**
       * Buckets the window is kept in (at most 1,000, and no more than `window`
       * ms): outcomes age out one bucket (`window / buckets` ms) at a time.
       * @defaultValue 10
       */
      readonly buckets?: number
    }

/** An open duration that grows with each re-open (`backoffDelay(opens, …)`), back to `baseDelay` once it closes. */
export interface OpenBackoff {
  /** The first open duration, in ms. @defaultValue 30_000 */
  readonly baseDelay?: number
  /** The longest, in ms. @defaultValue the larger of 300_000 and `baseDelay` */
  readonly maxDelay?: number
  /** How much longer each re-open lasts (≥ 1). @defaultValue 2 */
  readonly factor?: number
  /** The random share of each duration, in `[0, 1]` (see core's `Backoff`). @defaultValue 0 */
  readonly jitter?: number
}

/** Counts a closed circuit's outcomes. */
export interface TripCounter {
  success(): void
  /** Count a failure; whether the circuit should open. */
  failure(): boolean
  reset(): void
}

type Consecutive = Extract<TripStrategy, { kind: 'consecutive' }>
type Rate = Extract<TripStrategy, { kind: 'rate' }>

/** The counter of `strategy` (checked: a TypeError naming the option). */
export function tripCounter(strategy: TripStrategy | undefined, now: () => number): TripCounter {
  const kind = strategy?.kind ?? 'consecutive'
  if (kind === 'consecutive') {
    const s = known('strategy', strategy as Consecutive, ['kind', 'failures'])
    return new ConsecutiveCounter(integer('strategy.failures', s.failures, 5, 1))
  }
  if (kind !== 'rate') fail('strategy.kind', "'consecutive' or 'rate'")
  const s = known('strategy', strategy as Rate, [
    'kind',
    'threshold',
    'window',
    'minRequests',
    'buckets',
  ])
  const window = ms('strategy.window', s.window, 10_000)
  return new RateWindow(
    now,
    between('strategy.threshold', s.threshold, 0.5, 0, 1, true),
    window,
    integer('strategy.minRequests', s.minRequests, 20, 1),
    integer('strategy.buckets', s.buckets, Math.min(10, window), 1, Math.min(1_000, window)),
  )
}

/** How long the circuit stays open after its `opens`-th opening in a row (checked). */
export function openDuration(value: number | OpenBackoff | undefined, random: () => number) {
  if (value === undefined || typeof value === 'number') {
    const duration = ms('openDuration', value, 30_000)
    return () => duration
  }
  const o = known('openDuration', value, ['baseDelay', 'maxDelay', 'factor', 'jitter'])
  const baseDelay = ms('openDuration.baseDelay', o.baseDelay, 30_000)
  const maxDelay = ms('openDuration.maxDelay', o.maxDelay, Math.max(300_000, baseDelay))
  if (maxDelay < baseDelay) fail('openDuration.maxDelay', '≥ openDuration.baseDelay')
  const backoff = {
    baseDelay,
    maxDelay,
    factor: between('openDuration.factor', o.factor, 2, 1),
    jitter: between('openDuration.jitter', o.jitter, 0, 0, 1),
  }
  // At least 1 ms: full jitter may draw 0, and a circuit should be open for some time.
  return (opens: number) => Math.max(1, backoffDelay(opens, backoff, random))
}

class ConsecutiveCounter implements TripCounter {
  #failures = 0
  constructor(readonly limit: number) {}
  success(): void {
    this.#failures = 0
  }
  failure(): boolean {
    return ++this.#failures >= this.limit
  }
  reset(): void {
    this.#failures = 0
  }
}

/**
 * The failure rate over a sliding window, in a fixed ring of buckets: memory
 * is `buckets` slots whatever the traffic. A slot holds the counts of one
 * bucket-long stretch of time (`epochs` says which); a stale slot is zeroed
 * when its time comes round again, so old outcomes age out a bucket at a time.
 */
class RateWindow implements TripCounter {
  readonly #epochs: Float64Array
  readonly #totals: Float64Array
  readonly #failures: Float64Array
  readonly #width: number

  constructor(
    readonly now: () => number,
    readonly threshold: number,
    window: number,
    readonly minRequests: number,
    buckets: number,
  ) {
    this.#width = window / buckets
    this.#epochs = new Float64Array(buckets).fill(Number.NEGATIVE_INFINITY)
    this.#totals = new Float64Array(buckets)
    this.#failures = new Float64Array(buckets)
  }

  success(): void {
    this.#totals[this.#slot(Math.floor(this.now() / this.#width))]! += 1
  }

  failure(): boolean {
    const epoch = Math.floor(this.now() / this.#width)
    const slot = this.#slot(epoch)
    this.#totals[slot]! += 1
    this.#failures[slot]! += 1
    let total = 0
    let failures = 0
    const n = this.#epochs.length
    for (let i = 0; i < n; i++) {
      const e = this.#epochs[i]!
      if (e <= epoch && e > epoch - n) {
        total += this.#totals[i]!
        failures += this.#failures[i]!
      }
    }
    return total >= this.minRequests && failures >= this.threshold * total
  }

  reset(): void {
    this.#epochs.fill(Number.NEGATIVE_INFINITY)
  }

  /** The slot of `epoch`, zeroed first if it held an older one. */
  #slot(epoch: number): number {
    const n = this.#epochs.length
    const slot = ((epoch % n) + n) % n
    if (this.#epochs[slot] !== epoch) {
      this.#epochs[slot] = epoch
      this.#totals[slot] = 0
      this.#failures[slot] = 0
    }
    return slot
  }
}
