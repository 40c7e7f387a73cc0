import { type CollisionPolicy, createMatcher, type Route, type RouterOptions } from '@mcpx/router'
import { at, isObject, number, object, oneOf, Problems, shown, string, strings } from './check.js'
import { checkAuth } from './config-auth.js'
import { checkBreaker, checkConcurrency, checkRetry, checkTimeouts } from './config-breaker.js'
import { checkFailover } from './config-failover.js'
import { checkLogging } from './config-logging.js'
import { checkMetrics, metricsPathProblem } from './config-metrics.js'
import { checkRateLimits } from './config-ratelimit.js'
import { checkRedis, checkSessions, sessionsProblem } from './config-redis.js'
import { configSchema } from './config-schema.js'
import { checkTransformers } from './config-transformers.js'
import type { ConfigFile, GatewayConfig, ServeConfig, UpstreamConfig } from './config-types.js'
import { checkUpstreams, NAME } from './config-upstreams.js'
import { HEALTH_PATH, READY_PATH } from './health.js'
import type { FrontEnd } from './serve.js'

export type { ConfigFile, GatewayConfig } from './config-types.js'
export { NAME }

/** A config checked whole: either every problem in it, or the config to build. */
export type Checked =
  | { ok: true; config: GatewayConfig }
  | { ok: false; problems: readonly string[] }

const TOP = [
  // The file's JSON Schema, for editors (config.schema.json): the gateway does not read it.
  '$schema',
  'serve',
  'auth',
  'rateLimits',
  'timeouts',
  'retry',
  'breaker',
  'concurrency',
  'transformers',
  'metrics',
  'logging',
  'redis',
  'sessions',
  'upstreams',
  'routes',
  'router',
] as const
const SERVE = ['transport', 'host', 'port', 'path', 'allowedHosts', 'shutdownTimeout'] as const
const FRONT_ENDS: readonly FrontEnd[] = ['http', 'sse', 'websocket', 'stdio']
const ROUTE = ['tools', 'resources', 'prompts', 'methods', 'to', 'priority'] as const
const PATTERN_KINDS = ['tools', 'resources', 'prompts', 'methods'] as const
/** The router's plain count options, passed through as they are (integers ≥ 0). */
const COUNTS = ['memo', 'retryInterval', 'maxItems', 'maxTasks'] as const

const ROUTER = [
  'default',
  'collisions',
  'pageSize',
  'cursorKey',
  'separator',
  'maxLength',
  ...COUNTS,
] as const
const COLLISIONS: readonly CollisionPolicy[] = ['first', 'error']
/** Cursor HMAC keys shorter than this are refused by the router. */
const MIN_CURSOR_KEY = 16
const SEPARATOR = /^[A-Za-z0-9_.-]{1,4}$/

/**
 * Check a parsed config file (untrusted JSON) against the gateway's schema:
 * unknown keys, wrong types, out-of-range numbers, routes and defaults naming
 * no upstream, authenticators `@mcpx/auth`, limits `@mcpx/ratelimit` and
 * transformers `@mcpx/transformers` would refuse. Every problem is reported,
 * each under its JSON path; secrets are never shown.
 *
 * @example
 * ```ts
 * const checked = checkConfig(JSON.parse(text))
 * if (!checked.ok) for (const line of checked.problems) console.error(line)
 * ```
 */
export function checkConfig(value: unknown): Checked {
  return checkConfigRules(value, true)
}

/**
 * The checker's rules; with `schema`, then the zod v4 schema the config's
 * JSON Schema and docs are generated from (issue 15 §3). Both must accept a
 * file. The rules give the precise messages and run the packages' own
 * option checks, so the schema runs only when they found nothing: it is a
 * second gate, refusing what the rules might miss. Exported for the test
 * that keeps the two in agreement, which needs the rules alone.
 */
export function checkConfigRules(value: unknown, schema = false): Checked {
  const problems = new Problems()
  if (!isObject(value)) {
    problems.add('', `must be an object, got ${shown(value)}`)
    return { ok: false, problems: problems.list }
  }
  const file = object(value, '', problems, TOP)!
  const serve = checkServe(file.serve, problems)
  const auth = checkAuth(file.auth, problems)
  const redis = checkRedis(file.redis, problems)
  const shared = { written: file.redis !== undefined, config: redis }
  const sessions = checkSessions(file.sessions, problems, shared)
  const rateLimits = checkRateLimits(file.rateLimits, problems, shared)
  const timeouts = checkTimeouts(file.timeouts, problems)
  const retry = checkRetry(file.retry, problems)
  const breaker = checkBreaker(file.breaker, problems)
  const concurrency = checkConcurrency(file.concurrency, problems)
  const upstreams = checkUpstreams(file.upstreams, problems)
  const { failover, backups } = checkFailover(file.upstreams, upstreams, problems)
  // Names as written, so that a route to an upstream with a problem of its own is not also wrong.
  const names = isObject(file.upstreams) ? Object.keys(file.upstreams) : []
  const routed = { names: names.filter((name) => !backups.includes(name)), backups }
  const routes = checkRoutes(file.routes, routed, problems)
  const router = checkRouter(file.router, routed, problems)
  const transformers = checkTransformers(file.transformers, routed, problems, shared)
  const metrics = checkMetrics(file.metrics, problems)
  const logging = checkLogging(file.logging, problems)
  const clash = metricsPathProblem(metrics, serve)
  if (clash !== undefined) problems.list.push(clash)
  const unserved = sessionsProblem(sessions, serve)
  if (unserved !== undefined) problems.list.push(unserved)
  if (schema && problems.list.length === 0) schemaProblems(value, problems)
  if (problems.list.length > 0 || !upstreams) return { ok: false, problems: problems.list }
  const routable = Object.fromEntries(routed.names.map((name) => [name, upstreams[name]!]))
  return {
    ok: true,
    config: {
      auth,
      rateLimits,
      timeouts,
      retry,
      breaker,
      concurrency,
      transformers,
      metrics,
      logging,
      failover,
      redis,
      sessions,
      serve,
      upstreams,
      router: routerOptions(routable, routes, router),
    },
  }
}

function checkServe(value: unknown, problems: Problems): ServeConfig {
  const serve = object(value, 'serve', problems, SERVE) ?? {}
  const path = string(serve.path, 'serve.path', problems)
  if (path !== undefined && !path.startsWith('/')) problems.add('serve.path', 'must start with /')
  if (path === HEALTH_PATH || path === READY_PATH) {
    problems.add('serve.path', `${path} is the gateway's health endpoint: choose another path`)
  }
  const shutdownTimeout = number(serve.shutdownTimeout, 'serve.shutdownTimeout', problems, {
    min: 0,
    max: 3_600_000,
    integer: true,
  })
  return {
    transport: oneOf(serve.transport, 'serve.transport', problems, FRONT_ENDS) ?? 'http',
    host: string(serve.host, 'serve.host', problems) ?? '127.0.0.1',
    port: number(serve.port, 'serve.port', problems, { min: 0, max: 65535, integer: true }) ?? 3000,
    path: path ?? '/mcp',
    allowedHosts: strings(serve.allowedHosts, 'serve.allowedHosts', problems) ?? [],
    shutdownTimeout: shutdownTimeout ?? 10_000,
  }
}

function checkRoutes(value: unknown, names: Names, problems: Problems): Route[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) {
    problems.add('routes', `must be an array of routes, got ${shown(value)}`)
    return []
  }
  return value.flatMap((item, i) => {
    const route = checkRoute(item, at('routes', i), names, problems)
    return route ? [route] : []
  })
}

function checkRoute(
  value: unknown,
  path: string,
  names: Names,
  problems: Problems,
): Route | undefined {
  if (!isObject(value)) return problems.add(path, `must be a route object, got ${shown(value)}`)
  const route = object(value, path, problems, ROUTE)!
  const to = checkName(route.to, at(path, 'to'), names, problems)
  if (route.to === undefined) problems.add(at(path, 'to'), 'is required')
  const priority = number(route.priority, at(path, 'priority'), problems)
  const kinds = PATTERN_KINDS.filter((kind) => route[kind] !== undefined)
  if (kinds.length === 0) problems.add(path, 'needs tools, resources, prompts or methods')
  const patterns = kinds.map((kind) => [kind, checkPatterns(route[kind], at(path, kind), problems)])
  if (to === undefined || patterns.some(([, list]) => list === undefined)) return undefined
  return { ...Object.fromEntries(patterns), to, ...(priority !== undefined && { priority }) }
}

/** One glob or a non-empty list of them, each compiled now so that a bad one has its path. */
function checkPatterns(value: unknown, path: string, problems: Problems): string[] | undefined {
  const list = typeof value === 'string' ? [value] : strings(value, path, problems)
  if (list === undefined) return undefined
  if (list.length === 0) return problems.add(path, 'must be a pattern or a non-empty array of them')
  let ok = true
  list.forEach((pattern, i) => {
    const where = typeof value === 'string' ? path : at(path, i)
    try {
      createMatcher([{ pattern, value: true }], { memo: 0 })
    } catch (error) {
      const why = (error as Error).message.replace(/^\[@mcpx\/router\] matcher entries\[0\]: /, '')
      ok = problems.add(where, why.replace(/^pattern /, '')) ?? false
    }
  })
  return ok ? list : undefined
}

/** The upstreams as written: those the router gets, and the backups (reached only through failover). */
interface Names {
  names: readonly string[]
  backups: readonly string[]
}

/** A string naming one of the routed upstreams. */
function checkName(
  value: unknown,
  path: string,
  { names, backups }: Names,
  problems: Problems,
): string | undefined {
  const name = string(value, path, problems)
  if (name === undefined || names.length === 0) return undefined
  if (names.includes(name)) return name
  if (backups.includes(name)) {
    return problems.add(path, `names "${name}", a backup: only failover reaches it`)
  }
  const known = names.map((n) => `"${n}"`).join(', ')
  return problems.add(path, `names no upstream: "${name}" (the upstreams are ${known})`)
}

type RouterFile = NonNullable<ConfigFile['router']>
type Count = (typeof COUNTS)[number]

/** The `router` section checked: the file's keys, the plain counts gathered apart. */
interface RouterSection extends Omit<RouterFile, Count> {
  counts: Pick<RouterFile, Count>
}

function checkRouter(value: unknown, names: Names, problems: Problems): RouterSection {
  const router = object(value, 'router', problems, ROUTER) ?? {}
  const cursorKey = string(router.cursorKey, 'router.cursorKey', problems)
  if (cursorKey !== undefined && cursorKey.length < MIN_CURSOR_KEY) {
    // The key itself is a secret: not shown.
    problems.add('router.cursorKey', `must be at least ${MIN_CURSOR_KEY} characters`)
  }
  const separator = string(router.separator, 'router.separator', problems)
  if (separator !== undefined && !SEPARATOR.test(separator)) {
    problems.add('router.separator', 'must be 1 to 4 characters, each one of A-Z a-z 0-9 _ . -')
  }
  return {
    default: checkName(router.default, 'router.default', names, problems),
    collisions: oneOf(router.collisions, 'router.collisions', problems, COLLISIONS),
    pageSize: number(router.pageSize, 'router.pageSize', problems, { min: 0, integer: true }),
    cursorKey,
    separator,
    maxLength: number(router.maxLength, 'router.maxLength', problems, {
      min: 1,
      max: 128,
      integer: true,
    }),
    counts: Object.fromEntries(
      COUNTS.map((key) => {
        const min = key === 'retryInterval' ? 10 : 0
        return [key, number(router[key], `router.${key}`, problems, { min, integer: true })]
      }).filter(([, n]) => n !== undefined),
    ),
  }
}

/**
 * The router's options. With one upstream, that upstream is also the default:
 * it serves whatever no list names (vendor methods, a tool called before it
 * was listed), as it would with no router in front of it.
 */
function routerOptions(
  upstreams: Record<string, UpstreamConfig>,
  routes: Route[],
  section: RouterSection,
): Omit<RouterOptions, 'log'> {
  const names = Object.keys(upstreams)
  const fallback = section.default ?? (names.length === 1 ? names[0] : undefined)
  const { separator, maxLength } = section
  return {
    upstreams: Object.fromEntries(names.map((name) => [name, upstreams[name]!.entry])),
    routes,
    ...(fallback !== undefined && { default: fallback }),
    ...(section.collisions !== undefined && { collisions: section.collisions }),
    ...(section.pageSize !== undefined && { pageSize: section.pageSize }),
    ...(section.cursorKey !== undefined && { cursorKey: section.cursorKey }),
    ...section.counts,
    ...((separator !== undefined || maxLength !== undefined) && {
      namespace: {
        ...(separator !== undefined && { separator }),
        ...(maxLength !== undefined && { maxLength }),
      },
    }),
  }
}

/** What the zod schema refuses that the rules let through, each under its path. */
function schemaProblems(value: unknown, problems: Problems): void {
  for (const issue of configSchema.safeParse(value).error?.issues ?? []) {
    const path = issue.path.reduce<string>(
      (at_, key) => at(at_, typeof key === 'number' ? key : String(key)),
      '',
    )
    problems.add(path, `${issue.message} (the config schema)`)
  }
}
