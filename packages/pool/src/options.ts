import {
  RESTART_KEYS,
  type ResolvedRestartOptions,
  type RestartOptions,
  resolveRestartOptions,
} from './backoff.js'
import { poolModeDefaults, poolOptionKeys } from './option-keys.js'
import { integer, knownKeys, ms, object, oneOf } from './validate.js'

/** How a pool lends its connections (docs/pool-design.md §3.2). */
export type PoolMode = 'shared' | 'per-session' | 'per-request'

/** What happens to a lease whose connection died without the pool closing it (§3.3). */
export type ConnectionLostPolicy = 'end-session' | 'reopen'

/** An HTTP health endpoint, for HTTP upstreams (issue 11 point 4; §3.4). */
export interface HttpHealthOptions {
  /**
   * The absolute `http:`/`https:` URL to GET; 2xx is healthy. A URL rather
   * than a path: a `Connector` exposes no URL of its own (only a secret-free
   * `describe` for logs), and a health endpoint may sit elsewhere.
   */
  readonly url: string | URL
  /** Ms between checks. @defaultValue 10_000 */
  readonly interval?: number
  /** Ms one check may take; then it counts as a failure (and is aborted). @defaultValue 2_000 */
  readonly timeout?: number
  /** Successes in a row that mark the upstream ready again. @defaultValue 2 */
  readonly healthyThreshold?: number
  /** Failures in a row that mark it unhealthy. @defaultValue 3 */
  readonly unhealthyThreshold?: number
}

/** Health checks (§3.4). */
export interface HealthCheckOptions {
  /** Ms between MCP `ping`s to a connection that had no answered request meanwhile; 0: no pings. @defaultValue 30_000 */
  readonly pingInterval?: number
  /** Ms a `ping` may take before it counts as missed. @defaultValue 5_000 */
  readonly pingTimeout?: number
  /** Missed pings in a row after which a connection is evicted and replaced. @defaultValue 2 */
  readonly pingFailures?: number
  /** Ms between pings on an idle connection so intermediaries keep it (HTTP, WebSocket); 0: only the health pings. @defaultValue 0 */
  readonly keepAlive?: number
  /** An HTTP health endpoint. @defaultValue none */
  readonly http?: HttpHealthOptions
}

/** Options every mode takes. */
interface CommonPoolOptions {
  /** Connections kept open whatever the traffic. @defaultValue shared 1, per-request 1, per-session 0 */
  readonly min?: number
  /** Connections open at once, spares included (≥ 1). @defaultValue shared 4, per-request 4, per-session 100 */
  readonly max?: number
  /** shared: requests per connection before another opens (up to `max`), then leases wait. @defaultValue 32 */
  readonly maxInFlight?: number
  /** Idle started connections kept beyond those in use, within `max`. @defaultValue per-session 1, else 0 */
  readonly spares?: number
  /** Ms an idle connection above `min` is kept before it closes. @defaultValue 300_000 */
  readonly idleTimeout?: number
  /** Ms after which a connection takes no new lease and closes once idle; 0: no limit. @defaultValue 0 */
  readonly maxLifetime?: number
  /** Ms a lease may wait for a connection; then -32011 naming the upstream. Keep it below the request timeout. @defaultValue 10_000 */
  readonly acquireTimeout?: number
  /**
   * Leases waiting at once for a connection to free up (beyond those a
   * connection being opened for them will take); past it the next fails at
   * once (-32011, no queueing); 0: never wait for a busy connection. @defaultValue 64
   */
  readonly maxWaiting?: number
  /** On `close()`: ms in-flight leases get before their connections close. @defaultValue 10_000 */
  readonly drainTimeout?: number
  /**
   * per-session: ms without a request, notification or server request after
   * which a lease ends, and with it the downstream session (an SDK client's
   * `close()` sends no DELETE and would otherwise hold a child for the
   * session's own idle time, 30 min); 0: the session's idle time. @defaultValue 300_000
   */
  readonly leaseIdleTimeout?: number
  /** per-request: ms a connection whose lease was abandoned waits before its next owner. @defaultValue 2_000 */
  readonly quarantine?: number
  /** Health checks. */
  readonly health?: HealthCheckOptions
  /** Restarts of a connection that died (stdio children above all). */
  readonly restart?: RestartOptions
}

/**
 * Options of a pool. `'end-session'` needs a session that owns the
 * connection, so only `per-session` takes it (and defaults to it).
 */
export type PoolOptions = CommonPoolOptions &
  (
    | { readonly mode?: 'shared' | 'per-request'; readonly onConnectionLost?: 'reopen' }
    | { readonly mode: 'per-session'; readonly onConnectionLost?: ConnectionLostPolicy }
  )

/** {@link PoolOptions} checked, with every default applied, frozen. */
export interface ResolvedPoolOptions {
  readonly mode: PoolMode
  readonly min: number
  readonly max: number
  readonly maxInFlight: number
  readonly spares: number
  readonly idleTimeout: number
  readonly maxLifetime: number
  readonly acquireTimeout: number
  readonly maxWaiting: number
  readonly drainTimeout: number
  readonly leaseIdleTimeout: number
  readonly quarantine: number
  readonly onConnectionLost: ConnectionLostPolicy
  readonly health: {
    readonly pingInterval: number
    readonly pingTimeout: number
    readonly pingFailures: number
    readonly keepAlive: number
    readonly http: ResolvedHttpHealthOptions | undefined
  }
  readonly restart: ResolvedRestartOptions
}

export interface ResolvedHttpHealthOptions {
  readonly url: string
  readonly interval: number
  readonly timeout: number
  readonly healthyThreshold: number
  readonly unhealthyThreshold: number
}

const MODES: readonly PoolMode[] = ['shared', 'per-session', 'per-request']
/** The keys of {@link PoolOptions}: `pool()` refuses any other, besides its connection options. */
export const POOL_KEYS: ReadonlySet<string> = new Set(poolOptionKeys.pool)
const HEALTH_KEYS: ReadonlySet<string> = new Set(poolOptionKeys.health)
const HTTP_HEALTH_KEYS: ReadonlySet<string> = new Set(poolOptionKeys.http)
const DEFAULTS = poolModeDefaults

/** Check `options` once, at factory time (a TypeError naming the option), apply the defaults, freeze. */
export function resolvePoolOptions(options: PoolOptions = {}): ResolvedPoolOptions {
  const o = object(
    'options',
    options as CommonPoolOptions & { mode?: unknown; onConnectionLost?: unknown },
  )
  const mode = oneOf('mode', o.mode, 'shared', MODES)
  const d = DEFAULTS[mode]
  const max = integer('max', o.max, d.max, 1)
  const min = integer('min', o.min, Math.min(d.min, max))
  if (min > max) throw new TypeError('[@mcpx/pool] min must be ≤ max')
  const spares = integer('spares', o.spares, Math.min(d.spares, max))
  if (spares > max) throw new TypeError('[@mcpx/pool] spares must be ≤ max')
  const onConnectionLost = oneOf('onConnectionLost', o.onConnectionLost, d.onConnectionLost, [
    'end-session',
    'reopen',
  ])
  if (onConnectionLost === 'end-session' && mode !== 'per-session') {
    // §3.3: a shared or per-request connection belongs to no session that could end.
    throw new TypeError(`[@mcpx/pool] onConnectionLost 'end-session' needs mode 'per-session'`)
  }
  return Object.freeze({
    mode,
    min,
    max,
    maxInFlight: integer('maxInFlight', o.maxInFlight, 32, 1),
    spares,
    idleTimeout: ms('idleTimeout', o.idleTimeout, 300_000, 1),
    maxLifetime: ms('maxLifetime', o.maxLifetime, 0),
    acquireTimeout: ms('acquireTimeout', o.acquireTimeout, 10_000, 1),
    maxWaiting: integer('maxWaiting', o.maxWaiting, 64),
    drainTimeout: ms('drainTimeout', o.drainTimeout, 10_000),
    leaseIdleTimeout: ms('leaseIdleTimeout', o.leaseIdleTimeout, 300_000),
    quarantine: ms('quarantine', o.quarantine, 2_000),
    onConnectionLost,
    health: resolveHealth(o.health),
    restart: resolveRestartOptions(
      knownKeys('restart.', object('restart', o.restart), RESTART_KEYS),
    ),
  })
}

function resolveHealth(options: HealthCheckOptions | undefined): ResolvedPoolOptions['health'] {
  const o = knownKeys('health.', object('health', options), HEALTH_KEYS)
  return Object.freeze({
    pingInterval: ms('health.pingInterval', o.pingInterval, 30_000),
    pingTimeout: ms('health.pingTimeout', o.pingTimeout, 5_000, 1),
    pingFailures: integer('health.pingFailures', o.pingFailures, 2, 1),
    keepAlive: ms('health.keepAlive', o.keepAlive, 0),
    http: o.http === undefined ? undefined : resolveHttpHealth(o.http),
  })
}

function resolveHttpHealth(options: HttpHealthOptions): ResolvedHttpHealthOptions {
  const o = knownKeys('health.http.', object('health.http', options), HTTP_HEALTH_KEYS)
  return Object.freeze({
    url: absoluteUrl(o.url),
    interval: ms('health.http.interval', o.interval, 10_000, 1),
    timeout: ms('health.http.timeout', o.timeout, 2_000, 1),
    healthyThreshold: integer('health.http.healthyThreshold', o.healthyThreshold, 2, 1),
    unhealthyThreshold: integer('health.http.unhealthyThreshold', o.unhealthyThreshold, 3, 1),
  })
}

function absoluteUrl(value: unknown): string {
  let url: URL | undefined
  try {
    url = typeof value === 'string' || value instanceof URL ? new URL(value) : undefined
  } catch {}
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new TypeError('[@mcpx/pool] health.http.url must be an absolute http: or https: URL')
  }
  return url.href
}
