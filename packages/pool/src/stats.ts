/**
 * A pool's state, derived from its connections' supervisors
 * (docs/pool-design.md §3.5, §3.7): `starting` (none ready, some starting),
 * `ready` (at least one ready, or no connection needed yet), `backing-off`
 * (none ready, some waiting to restart), `failed` (every connection
 * crash-looped), `draining` (`close()` waits for in-flight leases), `closed`.
 */
export type PoolState = 'starting' | 'ready' | 'backing-off' | 'failed' | 'draining' | 'closed'

/**
 * One upstream pool's numbers (docs/pool-design.md §3.6), a fresh object per
 * read, for `@mcpx/metrics` through core's stats interface. Gauges return to
 * their idle values when sessions end; counters only grow.
 */
export interface PoolStats {
  /** The upstream's configured name. */
  readonly upstream: string
  readonly state: PoolState
  // Gauges.
  /** Connections open or opening, spares and retiring ones (past `maxLifetime`, finishing their requests) included. */
  readonly connections: number
  /** Ready connections that take leases (a retiring one does not). */
  readonly ready: number
  readonly starting: number
  readonly backingOff: number
  readonly failed: number
  /** Connections with a request in flight or an owner (a session's or a request's lease). */
  readonly inUse: number
  /** Ready connections nobody uses. */
  readonly idle: number
  /** Started connections kept for the next per-session lease. */
  readonly spares: number
  /** Leases waiting for a connection. */
  readonly pending: number
  /** Requests in flight over all connections. */
  readonly inFlight: number
  /** per-request: connections waiting out `quarantine` before their next owner. */
  readonly quarantined: number
  /** Downstream sessions the pool serves. */
  readonly sessions: number
  // Counters.
  /** Connections opened, restarts included. */
  readonly opened: number
  /** Starts after a child died. */
  readonly restarts: number
  /** Connections the pool closed itself: idle past `idleTimeout`, older than `maxLifetime`, missed pings. */
  readonly evictions: number
  /** Leases that waited `acquireTimeout` and got -32011 (not those whose deadline came first: -32001). */
  readonly acquireTimeouts: number
  /** Leases refused at once because `maxWaiting` were waiting. */
  readonly rejected: number
}
