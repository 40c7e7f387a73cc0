/**
 * What one writer says about one upstream replica: pool reports `ready` or
 * `unhealthy` (health checks, a child that keeps dying), a breaker reports
 * `open` or `half-open` while its circuit is not closed (and `ready` once it
 * closes again).
 */
export type HealthStatus = 'ready' | 'unhealthy' | 'open' | 'half-open'

/** A change of one replica's availability, as {@link UpstreamHealth.onChange} reports it. */
export interface HealthChange {
  readonly upstream: string
  readonly available: boolean
}

/**
 * Upstream health, one registry per proxy: pool and breaker write it, the
 * router reads it to skip replicas that should get no traffic. A replica is
 * available unless some writer's latest word on it is `unhealthy` or `open`
 * (`half-open` lets the breaker's trial requests through); a replica nobody
 * reported on is available.
 */
export interface UpstreamHealth {
  /** Whether `upstream` may get traffic now. */
  isAvailable(upstream: string): boolean
  /** Record `writer`'s latest word on `upstream` (e.g. `report('math-1', 'breaker', 'open')`). */
  report(upstream: string, writer: string, status: HealthStatus): void
  /** Every writer's latest word on `upstream`. */
  statusOf(upstream: string): Readonly<Record<string, HealthStatus>>
  /** Call `listener` whenever a replica becomes available or unavailable; returns a function that removes it. */
  onChange(listener: (change: HealthChange) => void): () => void
}

const blocks = (status: HealthStatus) => status === 'unhealthy' || status === 'open'

/**
 * Create the health registry a proxy's pool, breaker and router share. Its
 * size is the number of (upstream, writer) pairs reported, which the
 * configuration bounds.
 *
 * @example
 * ```ts
 * const health = createHealthRegistry()
 * health.report('math-1', 'pool', 'unhealthy')
 * health.isAvailable('math-1') // false: the router skips it
 * ```
 */
export function createHealthRegistry(): UpstreamHealth {
  const statuses = new Map<string, Map<string, HealthStatus>>()
  const unavailable = new Set<string>()
  const listeners = new Set<(change: HealthChange) => void>()
  return {
    isAvailable: (upstream) => !unavailable.has(upstream),
    report(upstream, writer, status) {
      const byWriter = statuses.get(upstream) ?? new Map<string, HealthStatus>()
      statuses.set(upstream, byWriter)
      byWriter.set(writer, status)
      const available = ![...byWriter.values()].some(blocks)
      if (available !== unavailable.has(upstream)) return
      if (available) unavailable.delete(upstream)
      else unavailable.add(upstream)
      for (const listener of listeners) listener({ upstream, available })
    },
    statusOf: (upstream) => Object.fromEntries(statuses.get(upstream) ?? []),
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
