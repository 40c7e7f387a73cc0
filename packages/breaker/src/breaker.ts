import {
  type Context,
  type Middleware,
  type StatsRegistry,
  targetKey,
  type UpstreamHealth,
} from '@mcpx/core'
import {
  CIRCUIT_OPTION_KEYS,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  createCircuitBreaker,
} from './circuit-breaker.js'
import { Circuits } from './circuits.js'
import { isFailure as defaultIsFailure } from './failure.js'
import { passesThrough } from './repeat.js'
import { fail, fn, integer, options as known } from './validate.js'

/** Options of {@link breaker}: the circuit's own ({@link CircuitBreakerOptions}) and where it lives. */
export interface BreakerOptions extends CircuitBreakerOptions {
  /**
   * One circuit per upstream, or per upstream and tool (a `tools/call` of a
   * tool that fails cuts off that tool only; other methods share the
   * upstream's circuit). @defaultValue 'upstream'
   */
  readonly per?: 'upstream' | 'tool'
  /**
   * The most circuits kept (each upstream, or upstream and tool); past it the
   * one used longest ago is forgotten (tool names come from clients).
   * @defaultValue 1024
   */
  readonly maxCircuits?: number
  /** The upstream a message goes to when no router set `targetKey` (`forward()` sends it to its first). @defaultValue 'default' */
  readonly upstream?: string
  /** Core's upstream health: each upstream's circuit state as writer `'breaker'` (the router skips open ones). @defaultValue none */
  readonly healthRegistry?: UpstreamHealth
  /** Core's stats registry: one source (kind `'breaker'`) with the circuits' counts. @defaultValue none */
  readonly statsRegistry?: StatsRegistry
}

/** The `breaker()` middleware, and what it knows. */
export interface Breaker extends Middleware {
  /** The circuit of `upstream` (and `tool`, with `per: 'tool'`), if it has one yet. */
  circuit(upstream: string, tool?: string): CircuitBreaker | undefined
  /** Stop its circuits' timers and drop its stats source. */
  close(): void
}

const KEYS = [
  ...CIRCUIT_OPTION_KEYS,
  'per',
  'maxCircuits',
  'upstream',
  'healthRegistry',
  'statsRegistry',
]

/**
 * A circuit breaker in front of each upstream (docs/breaker-design.md):
 * after the strategy's threshold of failures (by default 5 in a row of
 * transport errors, timeouts, -32603 and HTTP 5xx; never a client's own
 * invalid params) the circuit opens and every message to that upstream is
 * answered at once with -32010 `Upstream "x" is failing: circuit open` and a
 * `retry-after` (HTTP 503 where the whole request failed), without reaching
 * it; after the open duration one trial call goes through, and closes it or
 * opens it again for longer. Each state goes to the health registry, so the
 * router sends a replica's traffic elsewhere while it is open.
 *
 * Place it below the router (it reads the router's `targetKey`) and above
 * `forward()`. The success path takes a permit and records the outcome:
 * no allocation, no clock read with the consecutive strategy.
 *
 * @example
 * ```ts
 * const health = createHealthRegistry()
 * proxy.use(router({ upstreams, health }))
 * proxy.use(breaker({ healthRegistry: health, openDuration: { baseDelay: 5_000, maxDelay: 60_000, factor: 2 } }))
 * ```
 */
export function breaker(options: BreakerOptions = {}): Breaker {
  const o = known('', options, KEYS, 'breaker() options')
  const per = o.per ?? 'upstream'
  if (per !== 'upstream' && per !== 'tool') {
    fail('per', "'upstream' or 'tool'")
  }
  const maxCircuits = integer('maxCircuits', o.maxCircuits, 1024, 1)
  const fallback = o.upstream ?? 'default'
  if (typeof fallback !== 'string' || fallback === '') {
    fail('upstream', 'a non-empty string')
  }
  const isFailure = fn('isFailure', o.isFailure, defaultIsFailure)
  /** A classifier that throws counts as a failure: the permit is always ended. */
  const failed = (error: unknown): boolean => {
    try {
      return isFailure(error)
    } catch {
      return true
    }
  }
  const {
    per: _per,
    maxCircuits: _max,
    upstream: _up,
    healthRegistry,
    statsRegistry,
    ...policy
  } = o
  // Checked once here, so that a bad option fails at factory time, not at the first message.
  createCircuitBreaker(policy).close()

  const circuits = new Circuits({ policy, maxCircuits, healthRegistry })
  const toolOf = (method: string, params: unknown): string | undefined => {
    if (per !== 'tool' || method !== 'tools/call') return undefined
    const name = (params as { name?: unknown } | undefined)?.name
    return typeof name === 'string' ? name : undefined
  }

  // Not an async function: on a closed circuit the layer costs a comparison and one `then`, no
  // suspended frame (measured in bench:breaker; an async layer costs about as much as the three
  // policies together).
  const middleware = function breaker(ctx: Context, next: (ctx?: Context) => Promise<void>) {
    if (passesThrough(ctx)) return next()
    const target = ctx.get(targetKey)
    const upstream = target?.upstream ?? fallback
    const circuit = circuits.of(
      upstream,
      toolOf(target?.method ?? ctx.method, target ? target.params : ctx.params),
    )
    const permit = circuit.tryAcquire()
    if (permit === 0) return Promise.reject(circuit.rejection(upstream))
    if (circuit.state.kind === 'half-open') return probe(ctx, next, circuit, permit, upstream)
    let done: Promise<void>
    try {
      done = next()
    } catch (error) {
      return Promise.reject(settle(ctx, circuit, permit, error))
    }
    return done.then(
      () => {
        // A layer below may answer with `ctx.error` rather than throw (a retry's last error).
        if (ctx.error === undefined) circuit.record(permit, true)
        else settle(ctx, circuit, permit, ctx.error)
      },
      (error: unknown) => {
        throw settle(ctx, circuit, permit, error)
      },
    )
  } as Breaker

  /** A trial call of a half-open circuit: the health registry hears while its places are taken. */
  const probe = async (
    ctx: Context,
    next: (ctx?: Context) => Promise<void>,
    circuit: CircuitBreaker,
    permit: number,
    upstream: string,
  ): Promise<void> => {
    circuits.reportProbes(upstream, circuit)
    try {
      await next()
    } catch (error) {
      settle(ctx, circuit, permit, error)
      circuits.reportProbes(upstream, circuit)
      throw error
    }
    if (ctx.error === undefined) circuit.record(permit, true)
    else settle(ctx, circuit, permit, ctx.error)
    circuits.reportProbes(upstream, circuit)
  }

  /** Ends a permit whose call failed, and gives back the error to rethrow. */
  const settle = (
    ctx: Context,
    circuit: CircuitBreaker,
    permit: number,
    error: unknown,
  ): unknown => {
    // A client's cancel, the gateway's own limits or the client's own mistake say nothing of the upstream.
    if (ctx.aborted && !failed(ctx.reason)) circuit.release(permit)
    else if (failed(error)) circuit.record(permit, false)
    else circuit.release(permit)
    return error
  }

  middleware.circuit = (upstream, tool) => circuits.get(upstream, per === 'tool' ? tool : undefined)
  const removeStats = statsRegistry?.add(circuits.source(fallback))
  middleware.close = () => {
    removeStats?.()
    circuits.close()
  }
  return middleware
}
