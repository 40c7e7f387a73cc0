import { poolOptionKeys } from './option-keys.js'
import { between, fn, integer, knownKeys, ms, object } from './validate.js'

const CRASH_LOOP_KEYS: ReadonlySet<string> = new Set(poolOptionKeys.crashLoop)
/** The keys of {@link RestartOptions}. */
export const RESTART_KEYS: ReadonlySet<string> = new Set(poolOptionKeys.restart)

/** When a crashed child counts as crash-looping: `failures` exits within `windowMs`. */
export interface CrashLoopOptions {
  /** Exits within `windowMs` after which the child is `failed` and not restarted. @defaultValue 5 */
  readonly failures?: number
  /** The sliding window those exits are counted in, in ms. @defaultValue 60_000 */
  readonly windowMs?: number
}

/** How a supervised child is restarted (issue 11 point 5; docs/pool-design.md §3.5). */
export interface RestartOptions {
  /** The delay before the first restart, in ms; each further one is `factor` times longer, up to `maxDelay`. @defaultValue 500 */
  readonly baseDelay?: number
  /** The longest delay before a restart, in ms. @defaultValue 30_000 */
  readonly maxDelay?: number
  /** How much longer each consecutive restart waits (≥ 1). @defaultValue 2 */
  readonly factor?: number
  /**
   * The share of the delay that is random, in `[0, 1]`: the delay is
   * `cap · (1 − jitter · random())`. 1 is full jitter (anywhere in `[0, cap]`,
   * so that many children that died together do not restart together); 0
   * is none. @defaultValue 1
   */
  readonly jitter?: number
  /** Ms a child must stay ready before its failures are forgotten. @defaultValue 10_000 */
  readonly stableAfter?: number
  /** The crash-loop limit. */
  readonly crashLoop?: CrashLoopOptions
}

/** {@link RestartOptions} with every default applied. */
export interface ResolvedRestartOptions {
  readonly baseDelay: number
  readonly maxDelay: number
  readonly factor: number
  readonly jitter: number
  readonly stableAfter: number
  readonly crashLoop: { readonly failures: number; readonly windowMs: number }
}

/** Check `options` (named `prefix` in errors), apply defaults, freeze. */
export function resolveRestartOptions(
  options: RestartOptions | undefined,
  prefix = 'restart',
): ResolvedRestartOptions {
  const o = object(prefix, options)
  const baseDelay = ms(`${prefix}.baseDelay`, o.baseDelay, 500)
  const maxDelay = ms(`${prefix}.maxDelay`, o.maxDelay, Math.max(30_000, baseDelay))
  if (maxDelay < baseDelay) {
    throw new TypeError(`[@mcpx/pool] ${prefix}.maxDelay must be ≥ ${prefix}.baseDelay`)
  }
  const loop = object(`${prefix}.crashLoop`, o.crashLoop)
  knownKeys(`${prefix}.crashLoop.`, loop, CRASH_LOOP_KEYS)
  return Object.freeze({
    baseDelay,
    maxDelay,
    factor: between(`${prefix}.factor`, o.factor, 2, 1),
    jitter: between(`${prefix}.jitter`, o.jitter, 1, 0, 1),
    stableAfter: ms(`${prefix}.stableAfter`, o.stableAfter, 10_000),
    crashLoop: Object.freeze({
      failures: integer(`${prefix}.crashLoop.failures`, loop.failures, 5, 1),
      windowMs: ms(`${prefix}.crashLoop.windowMs`, loop.windowMs, 60_000, 1),
    }),
  })
}

/** `fn(option, value, Math.random)` for a `random` option. */
export const randomOption = (option: string, value: unknown): (() => number) =>
  fn(option, value, Math.random)
