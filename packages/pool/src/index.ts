export type {
  CrashLoopOptions,
  ResolvedRestartOptions,
  RestartOptions,
} from './backoff.js'
export type { PoolConnectionOptions, PoolFactoryOptions } from './connection-options.js'
export { poolModeDefaults, poolOptionKeys } from './option-keys.js'
export type {
  ConnectionLostPolicy,
  HealthCheckOptions,
  HttpHealthOptions,
  PoolMode,
  PoolOptions,
  ResolvedHttpHealthOptions,
  ResolvedPoolOptions,
} from './options.js'
export { Pool, pool } from './pool.js'
export { reportHealth } from './report-health.js'
export type { PoolState, PoolStats } from './stats.js'
export { poolStatsSource } from './stats-source.js'
export {
  createSupervisor,
  type Disposable,
  type ExitDecision,
  type Supervisor,
  type SupervisorOptions,
  type SupervisorState,
} from './supervisor.js'
