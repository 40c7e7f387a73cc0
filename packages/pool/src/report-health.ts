import type { HealthStatus, UpstreamHealth } from '@mcpx/core'
import type { Disposable, Supervisor, SupervisorState } from './supervisor.js'

/**
 * What a supervisor state says to the router (docs/pool-design.md §3.5):
 * `starting` says nothing, so that an upstream's first start is no failover
 * (health.ts: a replica nobody reported on is available), and a restart keeps
 * the `unhealthy` its crash wrote until the child is ready again.
 */
const statusOf = (state: SupervisorState): HealthStatus | undefined =>
  state.kind === 'ready' ? 'ready' : state.kind === 'starting' ? undefined : 'unhealthy'

/**
 * Write `supervisor`'s state to core's {@link UpstreamHealth} as `writer`'s
 * word on `upstream`: `ready` → `'ready'`, `backing-off` and `failed` →
 * `'unhealthy'`, `starting` → nothing. Reports the current state at once,
 * then every change, until disposed (disposing writes nothing: the last word
 * stands).
 *
 * @example
 * ```ts
 * const health = createHealthRegistry()
 * const supervisor = createSupervisor()
 * const reporting = reportHealth(health, 'files', 'pool', supervisor)
 * supervisor.ready()            // health.statusOf('files') → { pool: 'ready' }
 * supervisor.exited(1)          // → { pool: 'unhealthy' }: the router skips it
 * reporting.dispose()
 * ```
 */
export function reportHealth(
  health: UpstreamHealth,
  upstream: string,
  writer: string,
  supervisor: Supervisor,
): Disposable {
  if (typeof upstream !== 'string' || upstream === '') {
    throw new TypeError('[@mcpx/pool] reportHealth() upstream must be a non-empty string')
  }
  if (typeof writer !== 'string' || writer === '') {
    throw new TypeError('[@mcpx/pool] reportHealth() writer must be a non-empty string')
  }
  let last: HealthStatus | undefined
  const write = (state: SupervisorState) => {
    const status = statusOf(state)
    if (status === undefined || status === last) return
    last = status
    health.report(upstream, writer, status)
  }
  write(supervisor.state)
  return supervisor.onChange(write)
}
