import { createStatsRegistry, type Middleware, type StatsRegistry } from '@mcpx/core'
import { accessLog, type Metrics, metrics } from '@mcpx/metrics'
import type { MetricsConfig } from './config-types.js'
import { accessLoggerOf } from './log.js'

/** Where diagnostics go (the gateway's `Log`). */
type Log = (line: string) => void

/** The `metrics` section as middleware, and what the rest of the gateway reports to. */
export interface Observability {
  /** accessLog → metrics: first in the stack, above auth, so that refusals are counted and logged too. */
  readonly above: Middleware[]
  /** `m.attempts()`: last above `forward()`, below the resilience layers (one per attempt). */
  readonly attempts: Middleware | undefined
  /** Served at the section's path. */
  readonly metrics: Metrics | undefined
  /** Core's stats registry the pools, breakers, bulkheads, cache and pins report to; exposed by `metrics`. */
  readonly stats: StatsRegistry | undefined
}

const NONE: Observability = { above: [], attempts: undefined, metrics: undefined, stats: undefined }

/**
 * Build the `metrics` section: nothing without it (or with `enabled: false`).
 * Access log entries go to the gateway's log (stderr), never stdout: stdout
 * is the protocol under `--serve stdio`. On the gateway's own log they are
 * pino entries with the entry's fields (JSON), or one `accessLine` each (text).
 */
export function createObservability(config: MetricsConfig | undefined, log: Log): Observability {
  if (config === undefined || !config.enabled) return NONE
  const stats = createStatsRegistry()
  const m = metrics({
    ...config.options,
    statsRegistry: stats,
    log: (line) => log(`[mcpx metrics] ${line}`),
  })
  const above: Middleware[] = []
  if (config.accessLog) {
    above.push(
      accessLog({
        ...config.accessLog,
        log: accessLoggerOf(log),
        onLoggerError: (error, suppressed) =>
          log(
            `[mcpx metrics] the access log failed (${(error as Error)?.message ?? 'unknown error'}; ${suppressed} more since the last report)`,
          ),
      }),
    )
  }
  above.push(m)
  return { above, attempts: m.attempts(), metrics: m, stats }
}
