// getStats(): the message cells summed into plain numbers, for the
// in-process user (a dashboard, a health answer, a test).
import { quantileOf } from './buckets.js'
import {
  CACHE_HIT,
  isSuccess,
  type Outcome,
  outcomes,
  RATE_LIMITED,
  TOOL_ERROR,
} from './outcomes.js'
import type { Cell } from './request-cells.js'
import type { SourceStats } from './stats-sources.js'

/** Latency in milliseconds, from the duration histogram; null while nothing was counted. */
export interface LatencyStats {
  readonly count: number
  readonly minMs: number | null
  readonly maxMs: number | null
  readonly meanMs: number | null
  /** Percentiles read from the buckets (linear within one, as `histogram_quantile`), within min and max. */
  readonly p50Ms: number | null
  readonly p90Ms: number | null
  readonly p99Ms: number | null
}

/** Counts of messages and their outcomes, and their latency. */
export interface CountStats {
  readonly total: number
  /** Answered with a result that is not a tool's own error (`ok` and `cache_hit`). */
  readonly successes: number
  /** Everything else: errors, refusals and tool errors. */
  readonly failures: number
  /** successes / total; null while total is 0. */
  readonly successRate: number | null
  readonly rateLimited: number
  readonly cacheHits: number
  /** `tools/call` results with `isError: true`. */
  readonly toolErrors: number
  /** Messages per outcome. */
  readonly outcomes: Readonly<Record<Outcome, number>>
  readonly latency: LatencyStats
}

/** What `getStats()` returns. */
export interface MetricsStats extends CountStats {
  /** When counting started (the factory ran, or the last `reset()`): ms since the epoch. */
  readonly startedAt: number
  /** Messages inside the middleware now. */
  readonly inFlight: number
  /** Upstream attempts counted by `attempts()` (a retry or a failover is one more); undefined when it is not in the stack. */
  readonly attempts: number | undefined
  /**
   * Retries: with `attempts()` in the stack, the attempts that sent a
   * message's target again (exact: a retry; a failover to a backup, a
   * router's fan-out are attempts, not retries); else summed from every stats source with a `retries`
   * counter; undefined when neither is there.
   */
  readonly retries: number | undefined
  /** Attempts per upstream and outcome (empty without `attempts()`). */
  readonly upstreamAttempts: Readonly<Record<string, Readonly<Record<Outcome, number>>>>
  /** Per method (methods past the MCP list and `methods` are `other`). */
  readonly methods: Readonly<Record<string, CountStats>>
  /** Per upstream, for messages that had one. */
  readonly upstreams: Readonly<Record<string, CountStats>>
  /** Per tool, for `tools/call`. */
  readonly tools: Readonly<Record<string, CountStats>>
  /** Per client, for messages with one (see the `client` option). */
  readonly clients: Readonly<Record<string, CountStats>>
  /** Messages counted under `other` because a label reached its limit (`series`: the registry's series limit). */
  readonly folded: {
    readonly method: number
    readonly upstream: number
    readonly tool: number
    readonly client: number
    readonly series: number
  }
  /** The core stats sources' numbers: kind → name → stat (`sources.breaker.math.open`). */
  readonly sources: SourceStats
}

class Sum {
  readonly outcomes = new Float64Array(outcomes.length)
  readonly counts: Float64Array
  sumMs = 0
  count = 0
  minMs = Number.POSITIVE_INFINITY
  maxMs = Number.NEGATIVE_INFINITY

  constructor(buckets: number) {
    this.counts = new Float64Array(buckets + 1)
  }

  add(cell: Cell): void {
    for (let i = 0; i < this.outcomes.length; i++) {
      ;(this.outcomes[i] as number) += cell.outcomes[i] as number
    }
    for (let i = 0; i < this.counts.length; i++) {
      ;(this.counts[i] as number) += cell.counts[i] as number
    }
    this.sumMs += cell.sumMs
    this.count += cell.count
    this.minMs = Math.min(this.minMs, cell.minMs)
    this.maxMs = Math.max(this.maxMs, cell.maxMs)
  }

  stats(boundsMs: Float64Array): CountStats {
    const slots = this.outcomes
    let successes = 0
    for (let i = 0; i < slots.length; i++) if (isSuccess(i)) successes += slots[i] as number
    const total = this.count
    const q = (p: number) =>
      total === 0 ? null : quantileOf(boundsMs, this.counts, total, this.minMs, this.maxMs, p)
    return {
      total,
      successes,
      failures: total - successes,
      successRate: total === 0 ? null : successes / total,
      rateLimited: slots[RATE_LIMITED] as number,
      cacheHits: slots[CACHE_HIT] as number,
      toolErrors: slots[TOOL_ERROR] as number,
      outcomes: Object.fromEntries(outcomes.map((o, i) => [o, slots[i] as number])) as Record<
        Outcome,
        number
      >,
      latency: {
        count: total,
        minMs: total === 0 ? null : this.minMs,
        maxMs: total === 0 ? null : this.maxMs,
        meanMs: total === 0 ? null : this.sumMs / total,
        p50Ms: q(0.5),
        p90Ms: q(0.9),
        p99Ms: q(0.99),
      },
    }
  }
}

/** The cells summed: in total, and by `keyOf` (a cell with an empty key is in the total only). */
export function sumCells(
  cells: readonly Cell[],
  boundsMs: Float64Array,
  ...keys: ((cell: Cell) => string)[]
): { total: CountStats; by: Readonly<Record<string, CountStats>>[] } {
  const buckets = boundsMs.length
  const total = new Sum(buckets)
  const groups = keys.map(() => new Map<string, Sum>())
  for (const cell of cells) {
    total.add(cell)
    keys.forEach((keyOf, i) => {
      const key = keyOf(cell)
      if (key === '') return
      const group = groups[i] as Map<string, Sum>
      let sum = group.get(key)
      if (sum === undefined) {
        sum = new Sum(buckets)
        group.set(key, sum)
      }
      sum.add(cell)
    })
  }
  return {
    total: total.stats(boundsMs),
    // fromEntries defines each key (a tool named __proto__ stays a key).
    by: groups.map((group) =>
      Object.fromEntries(Array.from(group, ([key, sum]) => [key, sum.stats(boundsMs)])),
    ),
  }
}
