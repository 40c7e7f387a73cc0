// @mcpx/metrics: what happened, counted cheaply and bounded (issue 14).
export type { AccessLogEntry } from './access-entry.js'
export { type AccessLogger, type AccessLogOptions, accessLine, accessLog } from './access-log.js'
export { defaultDurationBuckets } from './buckets.js'
export { prometheusContentType } from './exposition.js'
export { mcpMethods } from './mcp-methods.js'
export { type Metrics, type MetricsOptions, metrics } from './metrics.js'
export { type Outcome, outcomes } from './outcomes.js'
export {
  createMetricsRegistry,
  type MetricsRegistry,
  type MetricsRegistryOptions,
} from './registry.js'
export type { CountStats, LatencyStats, MetricsStats } from './stats.js'
export { type SourceStats, statFamilyName } from './stats-sources.js'
export type {
  Counter,
  CounterOptions,
  CounterSeries,
  FamilyOptions,
  Gauge,
  GaugeOptions,
  GaugeSeries,
  Histogram,
  HistogramOptions,
  HistogramSeries,
  LabelValues,
} from './user-family.js'
