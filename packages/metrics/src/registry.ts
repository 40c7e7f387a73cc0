import { header, labelPairs, sample } from './exposition.js'
import type { FamilyBlock, FoldCount, RegistryInternals } from './internals.js'
import {
  type Counter,
  type CounterOptions,
  createCounter,
  createGauge,
  createHistogram,
  type Gauge,
  type GaugeOptions,
  type Histogram,
  type HistogramOptions,
} from './user-family.js'
import { fail, integer, options as known } from './validate.js'

/** Options of {@link createMetricsRegistry}. */
export interface MetricsRegistryOptions {
  /**
   * The most label sets the registry holds, over all its families (one
   * label set of the message families is one `method, upstream, tool`
   * combination, of the client family one client; of a user family one
   * combination of its label values). A new one past it is counted in its
   * family's overflow set, every label `other`, and in
   * `mcpx_label_values_folded_total{label="series"}`.
   * @defaultValue 2000
   */
  readonly maxSeries?: number
  /**
   * The most distinct values a label of a user family takes, unless the
   * family sets its own `maxValues`: later values are counted as `other`.
   * @defaultValue 100
   */
  readonly maxValues?: number
}

/** A set of metric families, written out together in the Prometheus text format. */
export interface MetricsRegistry {
  /**
   * A counter family (its name ends in `_total`); see {@link CounterOptions}.
   *
   * @example
   * ```ts
   * const refusals = registry.counter({ name: 'app_refusals_total', help: 'Refusals, by reason.', labels: ['reason'] })
   * refusals.labels('quota').inc()
   * ```
   */
  counter<const L extends readonly string[] = readonly []>(options: CounterOptions<L>): Counter<L>
  /**
   * A gauge family; see {@link GaugeOptions}.
   *
   * @example
   * ```ts
   * const queued = registry.gauge({ name: 'app_jobs_queued', help: 'Jobs waiting.' })
   * queued.set(jobs.length)
   * ```
   */
  gauge<const L extends readonly string[] = readonly []>(options: GaugeOptions<L>): Gauge<L>
  /**
   * A histogram family with fixed buckets (`+Inf` added); see {@link HistogramOptions}.
   *
   * @example
   * ```ts
   * const sizes = registry.histogram({ name: 'app_result_bytes', help: 'Result sizes.', buckets: [1024, 65536] })
   * sizes.observe(text.length)
   * ```
   */
  histogram<const L extends readonly string[] = readonly []>(
    options: HistogramOptions<L>,
  ): Histogram<L>
  /** Every family, in the order registered, in the Prometheus text format 0.0.4 (`prometheusContentType`). */
  exposition(): string
  /** Label sets held now, of at most {@link MetricsRegistry.maxSeries}. */
  readonly series: number
  /** See {@link MetricsRegistryOptions.maxSeries}. */
  readonly maxSeries: number
}

const internals = new WeakMap<MetricsRegistry, RegistryInternals>()

/** The internals of a registry made by this copy of the package, or an option error. */
export function internalsOf(option: string, registry: unknown): RegistryInternals {
  const found = internals.get(registry as MetricsRegistry)
  if (found === undefined) fail(option, 'a registry made by createMetricsRegistry()')
  return found
}

const FOLDED = 'mcpx_label_values_folded_total'
const SERIES = 'mcpx_metrics_series'
const MAX_SERIES = 'mcpx_metrics_series_max'

/**
 * Create a registry: the families `metrics()` keeps and the user's own
 * counters, gauges and histograms, under one bound on label sets, written
 * out together for Prometheus.
 *
 * @example
 * ```ts
 * const registry = createMetricsRegistry({ maxSeries: 5000 })
 * const searches = registry.counter({
 *   name: 'app_searches_total',
 *   help: 'Searches run, by index.',
 *   labels: ['index'],
 * })
 * searches.labels('docs').inc()
 * const text = registry.exposition() // serve with prometheusContentType
 * ```
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): MetricsRegistry {
  const o = known('', options, ['maxSeries', 'maxValues'], 'createMetricsRegistry() options')
  const maxSeries = integer('maxSeries', o.maxSeries, 2000, 1)
  const maxValues = integer('maxValues', o.maxValues, 100, 1)
  const blocks: FamilyBlock[] = []
  const names = new Set<string>([FOLDED, SERIES, MAX_SERIES])
  /** Family → label → messages folded. */
  const folds = new Map<string, Map<string, FoldCount>>()
  let used = 0
  const foldsOf = (family: string): Map<string, FoldCount> => {
    let labels = folds.get(family)
    if (labels === undefined) {
      labels = new Map()
      folds.set(family, labels)
    }
    return labels
  }

  const inner: RegistryInternals = {
    maxValues,
    take() {
      if (used >= maxSeries) return false
      used++
      return true
    },
    release(n) {
      used = Math.max(0, used - n)
    },
    add(block) {
      for (const name of block.names) {
        if (names.has(name)) fail('name', `a name not registered yet, got ${name} again`)
      }
      for (const name of block.names) names.add(name)
      blocks.push(block)
    },
    folds(family, label) {
      const labels = foldsOf(family)
      let count = labels.get(label)
      if (count === undefined) {
        count = { n: 0 }
        labels.set(label, count)
      }
      return count
    },
  }

  const registry: MetricsRegistry = {
    counter: (opts) => createCounter(inner, opts),
    gauge: (opts) => createGauge(inner, opts),
    histogram: (opts) => createHistogram(inner, opts),
    exposition() {
      const out: string[] = []
      const taken = new Set(names)
      for (const block of blocks) block.write(out, taken)
      out.push(
        header(
          FOLDED,
          'Messages and calls counted under other because a label reached its value limit, or the registry its series limit (label="series").',
          'counter',
        ),
      )
      for (const [family, labels] of folds) {
        for (const [label, count] of labels) {
          out.push(sample(FOLDED, labelPairs(['family', 'label'], [family, label]), count.n))
        }
      }
      out.push(header(SERIES, 'Label sets held by the registry.', 'gauge'))
      out.push(sample(SERIES, '', used))
      out.push(header(MAX_SERIES, 'The most label sets the registry holds.', 'gauge'))
      out.push(sample(MAX_SERIES, '', maxSeries))
      return out.join('')
    },
    get series() {
      return used
    },
    maxSeries,
  }
  internals.set(registry, inner)
  return registry
}
