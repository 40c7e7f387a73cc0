import { type PoolMode, type PoolOptions, poolModeDefaults, poolOptionKeys } from '@mcpx/pool'
import { at, httpUrl, number, object, oneOf, type Problems, shown } from './check.js'

const {
  pool: POOL,
  health: HEALTH,
  http: HTTP_HEALTH,
  restart: RESTART,
  crashLoop: CRASH_LOOP,
} = poolOptionKeys
const MODES: readonly PoolMode[] = ['shared', 'per-session', 'per-request']
const LOST = ['end-session', 'reopen'] as const

/** `@mcpx/pool`'s per-mode defaults, which the cross-checks below depend on. */
const DEFAULTS = poolModeDefaults
/** Node's timers take at most 2^31 − 1 ms; a longer delay fires after 1 ms instead. */
const MAX_TIMER = 2_147_483_647

type Section = Record<string, unknown>

/** Whole milliseconds ≥ `min` that a Node timer can wait. */
function ms(value: unknown, path: string, problems: Problems, min = 0): number | undefined {
  const n = number(value, path, problems, { min, integer: true })
  if (n === undefined || n <= MAX_TIMER) return n
  return problems.add(path, `must be at most ${MAX_TIMER} ms (about 24.8 days), got ${shown(n)}`)
}

/** A count ≥ `min` (connections, requests, pings). */
function count(value: unknown, path: string, problems: Problems, min = 0): number | undefined {
  const n = number(value, path, problems, { min, integer: true })
  if (n === undefined || Number.isSafeInteger(n)) return n
  return problems.add(path, `must be at most ${Number.MAX_SAFE_INTEGER}, got ${shown(n)}`)
}

/** The keys of `checked` whose value is defined, in their order: what the file said, nothing added. */
const given = (checked: Section): Section =>
  Object.fromEntries(Object.entries(checked).filter(([, v]) => v !== undefined))

/**
 * An upstream's `pool` section: `@mcpx/pool`'s `PoolOptions` as written,
 * every rule `pool()` applies checked here (its per-mode defaults included),
 * so that a bad value is a problem under its path rather than a `TypeError`
 * at start-up. Defaults are left to `pool()`.
 */
export function checkPool(
  value: unknown,
  path: string,
  problems: Problems,
): PoolOptions | undefined {
  const section = object(value, path, problems, POOL)
  if (section === undefined) return undefined
  const before = problems.list.length
  const mode = oneOf(section.mode, at(path, 'mode'), problems, MODES)
  const d = DEFAULTS[mode ?? 'shared']
  const max = count(section.max, at(path, 'max'), problems, 1)
  const limit = max ?? d.max
  const bounded = (key: 'min' | 'spares') => {
    const n = count(section[key], at(path, key), problems)
    if (n === undefined || n <= limit) return n
    const which = max === undefined ? `max (${limit} by default)` : `max (${limit})`
    return problems.add(at(path, key), `must be ≤ ${which}, got ${n}`)
  }
  const onConnectionLost = oneOf(
    section.onConnectionLost,
    at(path, 'onConnectionLost'),
    problems,
    LOST,
  )
  if (onConnectionLost === 'end-session' && mode !== 'per-session') {
    // A shared or per-request connection belongs to no session that could end (pool design §3.3).
    problems.add(at(path, 'onConnectionLost'), "'end-session' needs mode 'per-session'")
  }
  const options = given({
    mode,
    min: bounded('min'),
    max,
    maxInFlight: count(section.maxInFlight, at(path, 'maxInFlight'), problems, 1),
    spares: bounded('spares'),
    idleTimeout: ms(section.idleTimeout, at(path, 'idleTimeout'), problems, 1),
    maxLifetime: ms(section.maxLifetime, at(path, 'maxLifetime'), problems),
    acquireTimeout: ms(section.acquireTimeout, at(path, 'acquireTimeout'), problems, 1),
    maxWaiting: count(section.maxWaiting, at(path, 'maxWaiting'), problems),
    drainTimeout: ms(section.drainTimeout, at(path, 'drainTimeout'), problems),
    leaseIdleTimeout: ms(section.leaseIdleTimeout, at(path, 'leaseIdleTimeout'), problems),
    quarantine: ms(section.quarantine, at(path, 'quarantine'), problems),
    onConnectionLost,
    health: checkHealth(section.health, at(path, 'health'), problems),
    restart: checkRestart(section.restart, at(path, 'restart'), problems),
  })
  return problems.list.length === before ? (options as PoolOptions) : undefined
}

function checkHealth(value: unknown, path: string, problems: Problems): Section | undefined {
  const health = object(value, path, problems, HEALTH)
  if (health === undefined) return undefined
  return given({
    pingInterval: ms(health.pingInterval, at(path, 'pingInterval'), problems),
    pingTimeout: ms(health.pingTimeout, at(path, 'pingTimeout'), problems, 1),
    pingFailures: count(health.pingFailures, at(path, 'pingFailures'), problems, 1),
    keepAlive: ms(health.keepAlive, at(path, 'keepAlive'), problems),
    http: checkHttpHealth(health.http, at(path, 'http'), problems),
  })
}

function checkHttpHealth(value: unknown, path: string, problems: Problems): Section | undefined {
  const http = object(value, path, problems, HTTP_HEALTH)
  if (http === undefined) return undefined
  if (http.url === undefined) problems.add(at(path, 'url'), 'is required')
  return given({
    url: httpUrl(http.url, at(path, 'url'), problems),
    interval: ms(http.interval, at(path, 'interval'), problems, 1),
    timeout: ms(http.timeout, at(path, 'timeout'), problems, 1),
    healthyThreshold: count(http.healthyThreshold, at(path, 'healthyThreshold'), problems, 1),
    unhealthyThreshold: count(http.unhealthyThreshold, at(path, 'unhealthyThreshold'), problems, 1),
  })
}

function checkRestart(value: unknown, path: string, problems: Problems): Section | undefined {
  const restart = object(value, path, problems, RESTART)
  if (restart === undefined) return undefined
  const baseDelay = ms(restart.baseDelay, at(path, 'baseDelay'), problems)
  let maxDelay = ms(restart.maxDelay, at(path, 'maxDelay'), problems)
  const base = baseDelay ?? 500
  if (maxDelay !== undefined && maxDelay < base) {
    const which = baseDelay === undefined ? `baseDelay (${base} by default)` : `baseDelay (${base})`
    maxDelay = problems.add(at(path, 'maxDelay'), `must be ≥ ${which}, got ${maxDelay}`)
  }
  const loop = object(restart.crashLoop, at(path, 'crashLoop'), problems, CRASH_LOOP)
  const where = at(path, 'crashLoop')
  return given({
    baseDelay,
    maxDelay,
    factor: number(restart.factor, at(path, 'factor'), problems, { min: 1 }),
    jitter: number(restart.jitter, at(path, 'jitter'), problems, { min: 0, max: 1 }),
    stableAfter: ms(restart.stableAfter, at(path, 'stableAfter'), problems),
    crashLoop:
      loop &&
      given({
        failures: count(loop.failures, at(where, 'failures'), problems, 1),
        windowMs: ms(loop.windowMs, at(where, 'windowMs'), problems, 1),
      }),
  })
}
