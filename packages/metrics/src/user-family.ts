// The user's own families: counters, gauges and histograms with labels,
// registered beside metrics()' own and written in the same exposition.
import { type Bounds, boundsOf, bucketOf } from './buckets.js'
import { header, labelPairs, sample } from './exposition.js'
import type { RegistryInternals } from './internals.js'
import { checkLabelNames, checkMetricName, type FamilyType } from './names.js'
import { SeriesTree } from './series-tree.js'
import { fail, integer, options as known, line } from './validate.js'

/** One value per label, in the order of the family's `labels`. */
export type LabelValues<L extends readonly string[]> = { readonly [K in keyof L]: string }

/** What every family takes. */
export interface FamilyOptions<L extends readonly string[]> {
  /** The metric name: snake_case, base units (`_seconds`, `_bytes`), `_total` on a counter only. */
  readonly name: string
  /** One line: the exposition's HELP. */
  readonly help: string
  /** Label names, snake_case, in the order values are given. @defaultValue none */
  readonly labels?: L
  /**
   * The most distinct values each label takes (a number for all, or per
   * label): later values are counted as `other`.
   * @defaultValue the registry's `maxValues` (100)
   */
  readonly maxValues?: number | Readonly<Partial<Record<L[number], number>>>
}

/** Options of a counter family. */
export type CounterOptions<L extends readonly string[]> = FamilyOptions<L>
/** Options of a gauge family. */
export type GaugeOptions<L extends readonly string[]> = FamilyOptions<L>
/** Options of a histogram family. */
export interface HistogramOptions<L extends readonly string[]> extends FamilyOptions<L> {
  /** Upper bounds, strictly increasing; `+Inf` is added. @defaultValue `defaultDurationBuckets` (seconds) */
  readonly buckets?: readonly number[]
}

/** One label set of a counter. */
export interface CounterSeries {
  /** Add `value` (≥ 0, finite). @defaultValue 1 */
  inc(value?: number): void
  readonly value: number
}
/** One label set of a gauge. */
export interface GaugeSeries {
  set(value: number): void
  inc(value?: number): void
  dec(value?: number): void
  readonly value: number
}
/** One label set of a histogram. */
export interface HistogramSeries {
  /** Count one observation (finite) in its bucket. */
  observe(value: number): void
  readonly count: number
  readonly sum: number
}

/** A family: `labels(...)` finds (or makes) a label set; keep the series it returns for a hot path. */
interface Family<L extends readonly string[], S> {
  readonly name: string
  /** The series of these label values (none for a family without labels). */
  labels(...values: LabelValues<L>): S
  /** Zero every series (they stay, as do their label values). */
  reset(): void
}
/** A counter family; `inc()` on a family without labels. */
export interface Counter<L extends readonly string[]> extends Family<L, CounterSeries> {
  inc(value?: number): void
}
/** A gauge family; `set()`, `inc()`, `dec()` on a family without labels. */
export interface Gauge<L extends readonly string[]> extends Family<L, GaugeSeries> {
  set(value: number): void
  inc(value?: number): void
  dec(value?: number): void
}
/** A histogram family; `observe()` on a family without labels. */
export interface Histogram<L extends readonly string[]> extends Family<L, HistogramSeries> {
  observe(value: number): void
}

function badValue(family: string, what: string): never {
  throw new TypeError(`[@mcpx/metrics] ${family}: ${what}`)
}

class CounterCell implements CounterSeries {
  value = 0
  constructor(
    readonly pairs: string,
    readonly family: string,
  ) {}
  inc(value = 1): void {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      badValue(this.family, `a counter grows by a finite number ≥ 0, got ${value}`)
    }
    this.value += value
  }
}

class GaugeCell implements GaugeSeries {
  value = 0
  constructor(
    readonly pairs: string,
    readonly family: string,
  ) {}
  set(value: number): void {
    if (!Number.isFinite(value)) badValue(this.family, `a gauge is a finite number, got ${value}`)
    this.value = value
  }
  inc(value = 1): void {
    this.set(this.value + value)
  }
  dec(value = 1): void {
    this.set(this.value - value)
  }
}

class HistogramCell implements HistogramSeries {
  count = 0
  sum = 0
  readonly counts: Float64Array
  constructor(
    readonly pairs: string,
    readonly family: string,
    readonly bounds: Bounds,
  ) {
    this.counts = new Float64Array(bounds.values.length + 1)
  }
  observe(value: number): void {
    if (!Number.isFinite(value)) badValue(this.family, `an observation is finite, got ${value}`)
    ;(this.counts[bucketOf(this.bounds.values, value)] as number)++
    this.sum += value
    this.count++
  }
}

interface Parts {
  name: string
  help: string
  labels: readonly string[]
  limits: readonly number[]
}

function partsOf(
  inner: RegistryInternals,
  options: FamilyOptions<readonly string[]>,
  type: FamilyType,
  extra: readonly string[] = [],
): Parts {
  const o = known('', options, ['name', 'help', 'labels', 'maxValues', ...extra], `${type} options`)
  const name = checkMetricName('name', o.name, type)
  const help = line('help', o.help)
  const labels = checkLabelNames('labels', o.labels, type)
  const limits = labels.map((label) => {
    const max = typeof o.maxValues === 'object' ? o.maxValues?.[label] : o.maxValues
    const option = typeof o.maxValues === 'object' ? `maxValues.${label}` : 'maxValues'
    return integer(option, max, inner.maxValues, 1)
  })
  if (typeof o.maxValues === 'object' && o.maxValues !== null) {
    for (const key of Object.keys(o.maxValues)) {
      if (!labels.includes(key))
        fail(`maxValues.${key}`, `one of the labels (${labels.join(', ')})`)
    }
  }
  return { name, help, labels, limits }
}

/** The series of a family: one made at once without labels, else a tree. */
function seriesOf<S>(
  inner: RegistryInternals,
  parts: Parts,
  make: (pairs: string) => S,
): { all: () => readonly S[]; get: (values: readonly string[]) => S; only: () => S } {
  if (parts.labels.length === 0) {
    const single = make('')
    return {
      all: () => [single],
      get: (values) => (values.length === 0 ? single : badValue(parts.name, 'takes no labels')),
      only: () => single,
    }
  }
  const tree = new SeriesTree(inner, parts.name, parts.labels, parts.limits, (values) =>
    make(labelPairs(parts.labels, values)),
  )
  return {
    all: () => tree.series,
    get: (values) => tree.get(values),
    only: () => badValue(parts.name, `has labels (${parts.labels.join(', ')}): use labels(…)`),
  }
}

export function createCounter<L extends readonly string[]>(
  inner: RegistryInternals,
  options: CounterOptions<L>,
): Counter<L> {
  const parts = partsOf(inner, options, 'counter')
  const set = seriesOf(inner, parts, (pairs) => new CounterCell(pairs, parts.name))
  inner.add({
    names: [parts.name],
    write(out) {
      out.push(header(parts.name, parts.help, 'counter'))
      for (const s of set.all()) out.push(sample(parts.name, s.pairs, s.value))
    },
  })
  return {
    name: parts.name,
    labels: (...values) => set.get(values),
    inc: (value) => set.only().inc(value),
    reset() {
      for (const s of set.all()) s.value = 0
    },
  }
}

export function createGauge<L extends readonly string[]>(
  inner: RegistryInternals,
  options: GaugeOptions<L>,
): Gauge<L> {
  const parts = partsOf(inner, options, 'gauge')
  const set = seriesOf(inner, parts, (pairs) => new GaugeCell(pairs, parts.name))
  inner.add({
    names: [parts.name],
    write(out) {
      out.push(header(parts.name, parts.help, 'gauge'))
      for (const s of set.all()) out.push(sample(parts.name, s.pairs, s.value))
    },
  })
  return {
    name: parts.name,
    labels: (...values) => set.get(values),
    set: (value) => set.only().set(value),
    inc: (value) => set.only().inc(value),
    dec: (value) => set.only().dec(value),
    reset() {
      for (const s of set.all()) s.value = 0
    },
  }
}

export function createHistogram<L extends readonly string[]>(
  inner: RegistryInternals,
  options: HistogramOptions<L>,
): Histogram<L> {
  const parts = partsOf(inner, options, 'histogram', ['buckets'])
  const bounds = boundsOf('buckets', options.buckets)
  const set = seriesOf(inner, parts, (pairs) => new HistogramCell(pairs, parts.name, bounds))
  const { name } = parts
  inner.add({
    names: [name, `${name}_bucket`, `${name}_sum`, `${name}_count`],
    write(out) {
      out.push(header(name, parts.help, 'histogram'))
      for (const s of set.all())
        writeHistogram(out, name, s.pairs, bounds, s.counts, s.sum, s.count)
    },
  })
  return {
    name,
    labels: (...values) => set.get(values),
    observe: (value) => set.only().observe(value),
    reset() {
      for (const s of set.all()) {
        s.counts.fill(0)
        s.sum = 0
        s.count = 0
      }
    },
  }
}

/** One histogram series: cumulative `_bucket` lines up to `+Inf`, then `_sum` and `_count`. */
export function writeHistogram(
  out: string[],
  name: string,
  pairs: string,
  bounds: Bounds,
  counts: Float64Array,
  sum: number,
  count: number,
): void {
  const prefix = pairs === '' ? '' : `${pairs},`
  let cumulative = 0
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i] as number
    out.push(sample(`${name}_bucket`, `${prefix}le="${bounds.le[i]}"`, cumulative))
  }
  out.push(sample(`${name}_sum`, pairs, sum))
  out.push(sample(`${name}_count`, pairs, count))
}
