import { Breaker, type CircuitBreaker } from './circuit.js'
import { isFailure as defaultIsFailure } from './failure.js'
import { type OpenBackoff, openDuration, type TripStrategy, tripCounter } from './trip.js'
import { fn, integer, options as known } from './validate.js'

export type { CircuitBreaker, CircuitState, Disposable } from './circuit.js'
export { type CircuitOpenData, CircuitOpenError } from './circuit-open-error.js'
export type { OpenBackoff, TripStrategy } from './trip.js'

/** Options of {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** When it opens. @defaultValue `{ kind: 'consecutive', failures: 5 }` */
  readonly strategy?: TripStrategy
  /** How long it stays open, in ms, or a growing duration. @defaultValue 30_000 */
  readonly openDuration?: number | OpenBackoff
  /** Trial calls let through at once while half-open; more are refused like open ones. @defaultValue 1 */
  readonly halfOpenProbes?: number
  /** Successful trial calls that close it (one failed trial reopens it). @defaultValue 1 */
  readonly halfOpenSuccesses?: number
  /** What counts against the upstream, for {@link CircuitBreaker.execute}. @defaultValue {@link isFailure} */
  readonly isFailure?: (error: unknown) => boolean
  /** The clock, in ms. @defaultValue Date.now */
  readonly now?: () => number
  /** The open duration's jitter source, in `[0, 1)`. @defaultValue Math.random */
  readonly random?: () => number
}

/**
 * Create a circuit breaker: a pure policy, closed → open after the strategy's
 * threshold, open → half-open when the open duration is up, half-open →
 * closed after `halfOpenSuccesses` successful trial calls or back to open
 * (for longer, with an {@link OpenBackoff}) after a failed one.
 *
 * It half-opens on time with one `unref`'d timer per open period, so that
 * listeners (the router's health registry, which skips open upstreams and
 * so sends them no call) learn it then; it also half-opens lazily when a
 * call or a read of `state` finds the time up first (an injected clock).
 *
 * @example
 * ```ts
 * const breaker = createCircuitBreaker({
 *   strategy: { kind: 'rate', threshold: 0.5, window: 10_000, minRequests: 20 },
 *   openDuration: { baseDelay: 5_000, maxDelay: 60_000, factor: 2 },
 * })
 * breaker.onStateChange((state) => {
 *   health.report('math-1', 'breaker', state.kind === 'closed' ? 'ready' : state.kind)
 * })
 * const result = await breaker.execute((signal) => callUpstream(params, signal))
 *
 * // The allocation-free pair, in a middleware:
 * const permit = breaker.tryAcquire()
 * if (permit === 0) throw breaker.rejection('math-1')
 * ```
 */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const o = known('', options, CIRCUIT_OPTION_KEYS, 'createCircuitBreaker() options')
  const now = fn('now', o.now, Date.now)
  const halfOpenProbes = integer('halfOpenProbes', o.halfOpenProbes, 1, 1)
  const halfOpenSuccesses = integer('halfOpenSuccesses', o.halfOpenSuccesses, 1, 1)
  return new Breaker({
    now,
    halfOpenProbes,
    halfOpenSuccesses,
    isFailure: fn('isFailure', o.isFailure, defaultIsFailure),
    strategy: tripCounter(o.strategy, now),
    openFor: openDuration(o.openDuration, fn('random', o.random, Math.random)),
  })
}

/** The keys of {@link CircuitBreakerOptions}: `breaker()` takes them too. */
export const CIRCUIT_OPTION_KEYS: readonly string[] = [
  'strategy',
  'openDuration',
  'halfOpenProbes',
  'halfOpenSuccesses',
  'isFailure',
  'now',
  'random',
]
