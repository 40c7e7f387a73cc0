import { accessLog, metrics } from '@mcpx/metrics'
import { at, boolean, object, type Problems, string } from './check.js'
import type { AccessLogSection, MetricsConfig, MetricsOptionsSection } from './config-types.js'
import { HEALTH_PATH, READY_PATH } from './health.js'
import { checkWith, type Options, type RefusalReader } from './refusals.js'

// The `metrics` section: `@mcpx/metrics`' `metrics()` and `accessLog()` options a file can write
// (no functions: the logger, the client and the filter are the gateway's or nobody's), each value
// checked by the factory itself, and where the gateway serves the exposition.

const METRICS = [
  'enabled',
  'path',
  'maxUpstreams',
  'maxTools',
  'maxClients',
  'methods',
  'buckets',
  'tracing',
  'accessLog',
] as const
const OPTIONS = [
  'maxUpstreams',
  'maxTools',
  'maxClients',
  'methods',
  'buckets',
  'tracing',
] as const satisfies readonly (keyof MetricsOptionsSection)[]
const ACCESS_LOG = [
  'requests',
  'errors',
  'notifications',
  'health',
  'arguments',
  'maxFieldLength',
  'maxArgumentsBytes',
] as const satisfies readonly (keyof AccessLogSection)[]

const READER: RefusalReader = { prefix: '[@mcpx/metrics] ' }
const DEFAULT_PATH = '/metrics'

/** The `metrics` section; undefined when it is absent (no metrics, no endpoint, no access log). */
export function checkMetrics(value: unknown, problems: Problems): MetricsConfig | undefined {
  const file = object(value, 'metrics', problems, METRICS)
  if (file === undefined) return undefined
  const before = problems.list.length
  const enabled = boolean(file.enabled, 'metrics.enabled', problems) ?? true
  const path = string(file.path, 'metrics.path', problems) ?? DEFAULT_PATH
  if (!/^\/[^?#\s]*$/.test(path)) {
    problems.add('metrics.path', 'must start with / and have no query, fragment or space')
  }
  const options = pick(file, OPTIONS)
  // The package also takes { tracer }, which a file cannot write: on or off only.
  boolean(file.tracing, 'metrics.tracing', problems)
  if (typeof options.tracing !== 'boolean') delete options.tracing
  const build = (o: Options) => void metrics({ ...o, log: () => {} })
  const ok = checkWith(options, 'metrics', problems, build, READER)
  const logged = checkAccessLog(file.accessLog, problems)
  if (!ok || problems.list.length > before) return undefined
  return { enabled, path, options: options as MetricsOptionsSection, accessLog: logged }
}

/** `accessLog()`'s options, as the factory checks them. */
function checkAccessLog(value: unknown, problems: Problems): AccessLogSection | undefined {
  const path = 'metrics.accessLog'
  const section = object(value, path, problems, ACCESS_LOG)
  if (section === undefined) return undefined
  const before = problems.list.length
  // The package also takes a function (a redactor), which a file cannot write: true or false only.
  boolean(section.arguments, at(path, 'arguments'), problems)
  const options = pick(section, ACCESS_LOG)
  if (typeof options.arguments !== 'boolean') delete options.arguments
  const build = (o: Options) => void accessLog({ ...o, log: () => {} })
  const ok = checkWith(options, path, problems, build, READER)
  return ok && problems.list.length === before ? (options as AccessLogSection) : undefined
}

/**
 * The metrics path against the front end's own paths, checked again once the
 * command line's `--serve` and `--path` have been applied: one listener serves both.
 */
export function metricsPathProblem(
  metricsConfig: MetricsConfig | undefined,
  serve: { transport: string; path: string },
): string | undefined {
  if (metricsConfig?.enabled !== true) return undefined
  const { path } = metricsConfig
  if (path === HEALTH_PATH || path === READY_PATH) {
    return `metrics.path: ${path} is the gateway's health endpoint: choose another`
  }
  const taken = serve.transport === 'sse' ? ['/sse', '/messages'] : [serve.path]
  if (!taken.includes(path)) return undefined
  return `metrics.path: ${path} is the MCP endpoint's path: choose another`
}

/** The keys of `section` in `keys`, as written (the factories fill in their own defaults). */
function pick(section: Options, keys: readonly string[]): Options {
  return Object.fromEntries(
    keys.filter((k) => section[k] !== undefined).map((k) => [k, section[k]]),
  )
}
