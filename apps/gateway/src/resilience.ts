import { breaker, concurrencyLimit, failover, retry, timeout } from '@mcpx/breaker'
import type { Middleware, StatsRegistry, UpstreamHealth } from '@mcpx/core'
import type { GatewayConfig } from './config-types.js'

/**
 * The `timeouts`, `retry`, `breaker` and `concurrency` sections and the
 * upstreams' `failover` lists as `@mcpx/breaker`'s middleware, in the order
 * its README gives, to go below the router (they read its `targetKey`) and
 * above `forward()`:
 *
 * timeout(total) → retry → failover → timeout(perAttempt) → concurrencyLimit → breaker
 *
 * The total deadline bounds every attempt and backup together (no retry
 * starts that could not begin before it); each retry and each backup runs
 * the layers below afresh, so it gets its own per-attempt deadline, bulkhead
 * slot and circuit. A section that is absent adds nothing: with none, the
 * stack is the router and `forward()`, as before. The circuits' states go to
 * `health`, the registry the router reads; the circuits' and bulkheads'
 * numbers to `stats` when there is one (the `metrics` section's).
 */
export function resilienceLayers(
  config: GatewayConfig,
  health: UpstreamHealth,
  stats?: StatsRegistry,
): Middleware[] {
  const reported = stats === undefined ? {} : { statsRegistry: stats }
  const { timeouts, failover: lists } = config
  const layers: Middleware[] = []
  const idempotentTools = idempotentOf(lists.idempotentTools)
  if (timeouts?.total !== undefined) layers.push(timeout(timeouts.total))
  if (config.retry) layers.push(retry({ ...config.retry, idempotentTools }))
  if (Object.keys(lists.backups).length > 0) {
    layers.push(failover({ backups: lists.backups, idempotentTools }))
  }
  if (timeouts?.perAttempt !== undefined) layers.push(timeout(timeouts.perAttempt))
  if (config.concurrency) layers.push(concurrencyLimit({ ...config.concurrency, ...reported }))
  if (config.breaker)
    layers.push(breaker({ ...config.breaker, healthRegistry: health, ...reported }))
  return layers
}

/** Each replica's idempotent tools as the predicate `retry()` and `failover()` take (tool, replica). */
function idempotentOf(byReplica: Record<string, string[]>) {
  const sets = new Map(
    Object.entries(byReplica).map(([replica, tools]) => [replica, new Set(tools)]),
  )
  return (tool: string, replica: string) => sets.get(replica)?.has(tool) ?? false
}

/**
 * The health the router reads: `health` itself, except that the replicas of
 * an upstream with backups are never all unavailable at once. The router
 * refuses a message itself (-32010 `No available replica`) when every
 * replica of its upstream is unavailable, before `failover()` below it can
 * send it to a backup; so while all of them are open (or down), it is let
 * through to one of them, where the breaker refuses it at once and
 * `failover()` moves it on. While some are available, the router still skips
 * the others.
 */
export function routerHealth(health: UpstreamHealth, guarded: readonly string[][]): UpstreamHealth {
  if (guarded.length === 0) return health
  const groupOf = new Map(guarded.flatMap((group) => group.map((replica) => [replica, group])))
  return {
    isAvailable(replica) {
      if (health.isAvailable(replica)) return true
      const group = groupOf.get(replica)
      return group !== undefined && !group.some((other) => health.isAvailable(other))
    },
    report: (upstream, writer, status) => health.report(upstream, writer, status),
    statusOf: (upstream) => health.statusOf(upstream),
    onChange: (listener) => health.onChange(listener),
  }
}
