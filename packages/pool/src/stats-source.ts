import type { StatsSource } from '@mcpx/core'
import type { PoolStats } from './stats.js'

/** The fields of {@link PoolStats} that are numbers: each becomes a stat. */
type PoolNumber = {
  [K in keyof PoolStats]: PoolStats[K] extends number ? K : never
}[keyof PoolStats]

// `satisfies` a Record over every numeric field (and no other): a field added to PoolStats
// without a line here fails the typecheck. Kinds follow stats.ts' TSDoc (docs/pool-design.md §3.6).
const describe = Object.freeze({
  up: {
    kind: 'gauge',
    help: '1 while the pool is ready (a connection ready, or none needed yet), else 0.',
  },
  connections: {
    kind: 'gauge',
    help: 'Connections open or opening, spares and retiring ones included.',
  },
  ready: { kind: 'gauge', help: 'Ready connections that take leases.' },
  starting: { kind: 'gauge', help: 'Connections starting, not ready yet.' },
  backingOff: { kind: 'gauge', help: 'Connections waiting out a backoff before they restart.' },
  failed: { kind: 'gauge', help: 'Connections that crash-looped and will not restart.' },
  inUse: { kind: 'gauge', help: 'Connections with a request in flight or an owner.' },
  idle: { kind: 'gauge', help: 'Ready connections nobody uses.' },
  spares: { kind: 'gauge', help: 'Started connections kept for the next per-session lease.' },
  pending: { kind: 'gauge', help: 'Leases waiting for a connection.' },
  inFlight: { kind: 'gauge', help: 'Requests in flight over all connections.' },
  quarantined: {
    kind: 'gauge',
    help: 'Connections waiting out quarantine before their next owner.',
  },
  sessions: { kind: 'gauge', help: 'Downstream sessions the pool serves.' },
  opened: { kind: 'counter', help: 'Connections opened, restarts included.' },
  restarts: { kind: 'counter', help: 'Starts after a child died.' },
  evictions: {
    kind: 'counter',
    help: 'Connections the pool closed itself (idle timeout, max lifetime).',
  },
  acquireTimeouts: {
    kind: 'counter',
    help: 'Leases that waited acquireTimeout and got -32011.',
  },
  rejected: { kind: 'counter', help: 'Leases refused at once because maxWaiting were waiting.' },
} as const satisfies Record<PoolNumber | 'up', StatsSource['describe'][string]>)
// Shared by every pool's source: frozen all the way down, so no reader can change another's.
for (const description of Object.values(describe)) Object.freeze(description)

const numbers = Object.keys(describe).filter((key) => key !== 'up') as PoolNumber[]

/**
 * The pool as a `StatsSource` for core's stats registry (kind `'pool'`,
 * named after its upstream): every number of {@link PoolStats}, gauges and
 * counters as its TSDoc says, plus a gauge `up`, 1 while the pool's state is
 * `ready`. Each `read()` takes one `stats()` snapshot.
 *
 * @example
 * ```ts
 * const stats = createStatsRegistry()
 * const remove = stats.add(poolStatsSource(files))
 * stats.sources()[0].read() // { up: 1, connections: 2, ready: 2, …, rejected: 0 }
 * remove() // on close
 * ```
 */
export function poolStatsSource(pool: { readonly name: string; stats(): PoolStats }): StatsSource {
  const name = pool.name
  return {
    kind: 'pool',
    name,
    describe,
    read() {
      const stats = pool.stats()
      const values: Record<string, number> = { up: stats.state === 'ready' ? 1 : 0 }
      for (const key of numbers) values[key] = stats[key]
      return values
    },
  }
}
