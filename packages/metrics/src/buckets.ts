// Fixed-bucket histograms: the bounds, the bucket a value falls in, and the
// percentiles read back from the counts.
import { formatValue } from './exposition.js'
import { fail } from './validate.js'

/**
 * The default bounds of `mcpx_request_duration_seconds`, in seconds: from
 * 25 µs (an in-process gateway adds about 2 µs, an in-memory upstream a few
 * tens) up to 5 minutes, a superset of the OpenTelemetry MCP semantic
 * conventions' `mcp.server.operation.duration` bounds (10 ms … 300 s), so
 * that those buckets can be summed from these.
 */
export const defaultDurationBuckets: readonly number[] = Object.freeze([
  0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
  1, 2, 5, 10, 30, 60, 120, 300,
])

/** Bounds as a histogram family keeps them: checked, and their `le` label values written once. */
export interface Bounds {
  readonly values: Float64Array
  /** `le` values, one per bound and `+Inf` last. */
  readonly le: readonly string[]
}

/** Throws unless `buckets` are finite, strictly increasing and at most 100. */
export function boundsOf(option: string, buckets: readonly number[] | undefined): Bounds {
  const list = buckets ?? defaultDurationBuckets
  if (!Array.isArray(list) || list.length === 0 || list.length > 100) {
    fail(option, 'an array of 1 to 100 bucket bounds')
  }
  list.forEach((bound: unknown, i) => {
    if (typeof bound !== 'number' || !Number.isFinite(bound)) {
      fail(`${option}[${i}]`, 'a finite number')
    }
    if (i > 0 && bound <= (list[i - 1] as number)) {
      fail(`${option}[${i}]`, `greater than the bound before it (${list[i - 1]})`)
    }
  })
  return {
    values: Float64Array.from(list),
    le: [...list.map((bound) => formatValue(bound)), '+Inf'],
  }
}

/**
 * The index of the first bound ≥ `value` (`bounds.length` for the +Inf
 * bucket): Prometheus's `le`. A scan from the lowest bound, not a binary
 * search: most messages fall in the first few buckets (an in-process
 * message in the first), where the scan stops after a comparison or two.
 */
export function bucketOf(bounds: Float64Array, value: number): number {
  const n = bounds.length
  let i = 0
  while (i < n && (bounds[i] as number) < value) i++
  return i
}

/**
 * The `q` quantile of the observations counted in `counts` (one per bucket,
 * not cumulative, +Inf last), as Prometheus's `histogram_quantile` reads it
 * (linear within the bucket), then clamped to the observed `min` and `max`:
 * the lowest bucket starts at `min`, the +Inf bucket ends at `max`.
 */
export function quantileOf(
  bounds: Float64Array,
  counts: Float64Array,
  total: number,
  min: number,
  max: number,
  q: number,
): number {
  const rank = q * total
  let seen = 0
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] as number
    if (n > 0 && seen + n >= rank) {
      const lower = Math.max(min, i === 0 ? min : (bounds[i - 1] as number))
      const upper = Math.min(max, i < bounds.length ? (bounds[i] as number) : max)
      const value = lower + ((upper - lower) * (rank - seen)) / n
      return Math.min(max, Math.max(min, value))
    }
    seen += n
  }
  return max
}
