// The Prometheus text format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): what it
// escapes and how it writes numbers. Everything that a series writes on
// every scrape (its label pairs) is escaped once, when the series is made.

/** The Content-Type of {@link MetricsRegistry.exposition}'s text. */
export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8'

/** A label value as the text format takes it: `\` → `\\`, `"` → `\"`, line feed → `\n`, nothing else. */
export function escapeLabelValue(value: string): string {
  // Most values need nothing: one test, no copy.
  if (!/[\\"\n]/.test(value)) return value
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))
}

/** HELP text: `\` → `\\`, line feed → `\n`. */
export function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'))
}

/** `a="x",b="y"` for `names` and `values`, escaped. */
export function labelPairs(names: readonly string[], values: readonly string[]): string {
  let out = ''
  for (let i = 0; i < names.length; i++) {
    out += `${i === 0 ? '' : ','}${names[i]}="${escapeLabelValue(values[i] ?? '')}"`
  }
  return out
}

/** A sample value: Go's ParseFloat reads all of these (`+Inf`, `-Inf`, `NaN`, `1e-7`). */
export function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

/** The HELP and TYPE lines of a family. */
export function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`
}

/** One sample line: `name{pairs} value`, or `name value` without labels. */
export function sample(name: string, pairs: string, value: number): string {
  return pairs === ''
    ? `${name} ${formatValue(value)}\n`
    : `${name}{${pairs}} ${formatValue(value)}\n`
}
