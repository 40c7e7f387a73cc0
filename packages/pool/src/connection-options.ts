import type { StatsRegistry, UpstreamHealth } from '@mcpx/core'
import { POOL_KEYS, type PoolOptions } from './options.js'
import { fn, knownKeys, ms, object } from './validate.js'

/** What a connection of the pool needs besides the pool's own policy. */
export interface PoolConnectionOptions {
  /** Ms a request may take before it is cancelled upstream (-32001); 0: none. @defaultValue 60_000 */
  readonly timeout?: number
  /** Most total ms of a request, whatever its progress; 0: none. @defaultValue 10 × `timeout` */
  readonly maxTotalTimeout?: number
  /** Ms to connect and finish `initialize`. @defaultValue 30_000 */
  readonly connectTimeout?: number
  /** `clientInfo` of the gateway's own handshake. @defaultValue `{ name: 'mcpx', version }` */
  readonly clientInfo?: { name: string; version: string }
  /** Core's upstream health, to write the pool's state to as writer `'pool'`. @defaultValue none */
  readonly healthRegistry?: UpstreamHealth
  /** Core's stats registry, to register the pool's numbers with (kind `'pool'`, until `close()`). @defaultValue none */
  readonly statsRegistry?: StatsRegistry
  /** Jitter's source for restarts, in `[0, 1)`. @defaultValue Math.random */
  readonly random?: () => number
  /** Diagnostics (stderr lines, dropped messages). @defaultValue writes to stderr */
  readonly log?: (upstream: string, line: string) => void
}

/** Options of {@link pool}. */
export type PoolFactoryOptions = PoolOptions & PoolConnectionOptions

/** {@link PoolConnectionOptions} checked, with the defaults applied. */
export interface ResolvedConnectionOptions {
  readonly timeout: number
  readonly maxTotalTimeout: number
  readonly connectTimeout: number
  readonly clientInfo: { name: string; version: string } | undefined
  readonly healthRegistry: UpstreamHealth | undefined
  readonly statsRegistry: StatsRegistry | undefined
  readonly random: (() => number) | undefined
  readonly log: (upstream: string, line: string) => void
}

const CONNECTION_KEYS = [
  'timeout',
  'maxTotalTimeout',
  'connectTimeout',
  'clientInfo',
  'healthRegistry',
  'statsRegistry',
  'random',
  'log',
]
const KNOWN = new Set([...POOL_KEYS, ...CONNECTION_KEYS])

const defaultLog = (upstream: string, line: string) => {
  console.error(`[mcpx pool ${upstream}] ${line}`)
}

/**
 * Check what `pool()` was given besides the pool's own policy (a TypeError
 * naming the option), refusing unknown keys of the whole options object: a
 * misspelt option would otherwise be ignored.
 */
export function resolveConnectionOptions(options: unknown): ResolvedConnectionOptions {
  const o = knownKeys('', object('options', options as PoolFactoryOptions | undefined), KNOWN)
  const timeout = ms('timeout', o.timeout, 60_000)
  const registry = <T extends object>(option: string, value: T | undefined, method: keyof T) => {
    if (value !== undefined && typeof (value as Record<keyof T, unknown>)[method] !== 'function') {
      throw new TypeError(
        `[@mcpx/pool] ${option} must be core's ${option === 'healthRegistry' ? 'createHealthRegistry()' : 'createStatsRegistry()'}`,
      )
    }
    return value
  }
  const clientInfo = o.clientInfo === undefined ? undefined : object('clientInfo', o.clientInfo)
  if (
    clientInfo &&
    (typeof clientInfo.name !== 'string' || typeof clientInfo.version !== 'string')
  ) {
    throw new TypeError('[@mcpx/pool] clientInfo must be { name: string, version: string }')
  }
  return Object.freeze({
    timeout,
    maxTotalTimeout: ms(
      'maxTotalTimeout',
      o.maxTotalTimeout,
      Math.min(10 * timeout, 2_147_483_647),
    ),
    connectTimeout: ms('connectTimeout', o.connectTimeout, 30_000, 1),
    clientInfo: clientInfo as ResolvedConnectionOptions['clientInfo'],
    healthRegistry: registry('healthRegistry', o.healthRegistry, 'report'),
    statsRegistry: registry('statsRegistry', o.statsRegistry, 'add'),
    random: o.random === undefined ? undefined : fn('random', o.random, Math.random),
    log: fn('log', o.log, defaultLog),
  })
}
