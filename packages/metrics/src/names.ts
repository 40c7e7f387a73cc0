// Metric and label names that Prometheus parses and that `promtool check
// metrics` (promlint) passes without a problem line: snake_case, `_total`
// on counters only, no suffix a histogram's series use, no type and no
// abbreviated or non-base unit in the name. The unit lists follow
// prometheus/client_golang's promlint (testutil/promlint/validations).
import { fail } from './validate.js'

const METRIC_NAME = /^[a-z_][a-z0-9_]*$/
const LABEL_NAME = /^[a-z_][a-z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
/** promlint's UnitAbbreviations: a whole `_`-separated segment. */
const ABBREVIATIONS = new Set([
  's',
  'ms',
  'us',
  'ns',
  'sec',
  'b',
  'kb',
  'mb',
  'gb',
  'tb',
  'pb',
  'm',
  'h',
  'd',
])
const NON_BASE: Readonly<Record<string, string>> = {
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  weeks: 'seconds',
  kelvins: 'kelvin',
  fahrenheit: 'celsius',
  rankine: 'celsius',
  inches: 'meters',
  yards: 'meters',
  miles: 'meters',
  bits: 'bytes',
  calories: 'joules',
  pounds: 'grams',
  ounces: 'grams',
}
const BASE = ['amperes', 'bytes', 'celsius', 'grams', 'joules', 'kelvin', 'meters', 'metres']
const PREFIXES = [
  'pico',
  'nano',
  'micro',
  'milli',
  'centi',
  'deci',
  'deca',
  'hecto',
  'kilo',
  'kibi',
  'mega',
  'mibi',
  'giga',
  'gibi',
  'tera',
  'tebi',
  'peta',
  'pebi',
]
const PREFIXED = new Set(PREFIXES.flatMap((p) => [...BASE, 'seconds'].map((unit) => p + unit)))

export type FamilyType = 'counter' | 'gauge' | 'histogram'

/** Why `name` is not a good metric name for a family of `type`, or undefined. */
export function metricNameProblem(name: string, type: FamilyType): string | undefined {
  if (!METRIC_NAME.test(name)) return 'snake_case: [a-z_][a-z0-9_]*'
  if (name.startsWith('__')) return 'without the reserved __ prefix'
  if (type === 'counter' && !name.endsWith('_total')) return 'a counter name ending in _total'
  if (type !== 'counter' && name.endsWith('_total'))
    return 'a name not ending in _total (counters only)'
  for (const suffix of ['_bucket', '_count', '_sum']) {
    if (name.endsWith(suffix)) return `a name not ending in ${suffix} (a histogram's series use it)`
  }
  for (const segment of name.split('_')) {
    if (TYPES.has(segment)) return `a name without the type word "${segment}"`
    if (ABBREVIATIONS.has(segment)) return `a name without the abbreviated unit "${segment}"`
    const base = NON_BASE[segment] ?? (PREFIXED.has(segment) ? baseOf(segment) : undefined)
    if (base !== undefined) return `in base units ("${base}", not "${segment}")`
  }
  return undefined
}

function baseOf(prefixed: string): string {
  const prefix = PREFIXES.find((p) => prefixed.startsWith(p)) ?? ''
  return prefixed.slice(prefix.length)
}

/** Throws unless `name` is a good metric name for `type` (see {@link metricNameProblem}). */
export function checkMetricName(option: string, name: unknown, type: FamilyType): string {
  if (typeof name !== 'string') fail(option, 'a string')
  const problem = metricNameProblem(name, type)
  if (problem !== undefined) fail(option, `${problem}, got ${JSON.stringify(name)}`)
  return name
}

/** Throws unless `labels` are distinct snake_case label names (without `le` on a histogram). */
export function checkLabelNames(
  option: string,
  labels: unknown,
  type: FamilyType,
): readonly string[] {
  if (labels === undefined) return []
  if (!Array.isArray(labels)) fail(option, 'an array of label names')
  const seen = new Set<string>()
  labels.forEach((label: unknown, i) => {
    const at = `${option}[${i}]`
    if (typeof label !== 'string' || !LABEL_NAME.test(label)) {
      fail(at, `a snake_case label name ([a-z_][a-z0-9_]*), got ${JSON.stringify(label)}`)
    }
    if (label.startsWith('__')) fail(at, 'a label name without the reserved __ prefix')
    if (label === 'le' && type === 'histogram') fail(at, 'a label other than le (the bucket bound)')
    if (label === 'quantile') fail(at, 'a label other than quantile (summaries only)')
    if (seen.has(label)) fail(at, `a label named once, got ${label} twice`)
    seen.add(label)
  })
  return [...seen]
}

/** `acquireTimeouts` → `acquire_timeouts`, `HTTPErrors` → `http_errors`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
}

type WellFormed = { isWellFormed(): boolean; toWellFormed(): string }

/**
 * `value` with each lone surrogate replaced by U+FFFD, as UTF-8 writes it:
 * two label values that differ only there are one value on the wire, so
 * they must be one series (`'a\ud800'` and `'a\ud801'` are both `a�`).
 */
export function wellFormed(value: string): string {
  const v = value as unknown as WellFormed
  return v.isWellFormed() ? value : v.toWellFormed()
}
