import {
  type Context,
  type HealthStatus,
  type Middleware,
  type StatsRegistry,
  targetKey,
  type UpstreamHealth,
} from '@mcpx/core'
import {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
  createCircuitBreaker,
} from './circuit-breaker.js'
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
  'strategy',
  'openDuration',
  'halfOpenProbes',
  'halfOpenSuccesses',
  'isFailure',
  'now',
  'random',
  'per',
  'maxCircuits',
  'upstream',
  'healthRegistry',
  'statsRegistry',
]

const STATUS: Record<CircuitState['kind'], HealthStatus> = {
  closed: 'ready',
  open: 'open',
  'half-open': 'half-open',
}

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
  const halfOpenProbes = policy.halfOpenProbes ?? 1

  /** Insertion order is use order: a hit moves its entry to the end. */
  const circuits = new Map<string, CircuitBreaker>()
  let rejected = 0

  // The last circuit used, looked up again only when the key changes: the common case of one
  // upstream per gateway (or a run of messages to one) costs a string comparison.
  let lastKey: string | undefined
  let last: CircuitBreaker | undefined
  const circuitOf = (upstream: string, key: string): CircuitBreaker => {
    if (key === lastKey && last) return last
    let found = circuits.get(key)
    if (found) {
      // Use order, for the bound: a circuit used again moves to the end.
      circuits.delete(key)
      circuits.set(key, found)
    } else found = make(upstream, key)
    lastKey = key
    last = found
    return found
  }

  const make = (upstream: string, key: string): CircuitBreaker => {
    const made = createCircuitBreaker(policy)
    // Per upstream, the circuit speaks for the replica; per tool, one tool's circuit does not.
    if (healthRegistry && key === upstream) {
      made.onStateChange((state) => healthRegistry.report(upstream, 'breaker', STATUS[state.kind]))
    }
    made.onRejected(() => {
      rejected++
    })
    circuits.set(key, made)
    if (circuits.size > maxCircuits) {
      const [oldest, old] = circuits.entries().next().value as [string, CircuitBreaker]
      circuits.delete(oldest)
      // Forgotten while not closed: its upstream must not stay marked unavailable for good.
      if (healthRegistry && !oldest.includes('\u0000') && old.state.kind !== 'closed') {
        healthRegistry.report(oldest, 'breaker', 'ready')
      }
      old.close()
    }
    return made
  }

  const keyOf = (upstream: string, method: string, params: unknown): string => {
    if (method !== 'tools/call') return upstream
    const name = (params as { name?: unknown } | undefined)?.name
    return typeof name === 'string' ? `${upstream}\u0000${name}` : upstream
  }

  // Not an async function: on a closed circuit the layer costs a comparison and one `then`, no
  // suspended frame (measured in bench:breaker; an async layer costs about as much as the three
  // policies together).
  const middleware = function breaker(ctx: Context, next: (ctx?: Context) => Promise<void>) {
    if (passesThrough(ctx)) return next()
    const target = ctx.get(targetKey)
    const upstream = target?.upstream ?? fallback
    const circuit = circuitOf(
      upstream,
      per === 'upstream'
        ? upstream
        : keyOf(upstream, target?.method ?? ctx.method, target ? target.params : ctx.params),
    )
    const permit = circuit.tryAcquire()
    if (permit === 0) return Promise.reject(circuit.rejection(upstream))
    if (circuit.state.kind === 'half-open') return probe(ctx, next, circuit, permit, upstream)
    let done: Promise<void>
    try {
      done = next()
    } catch (error) {
      return Promise.reject(settleFailure(ctx, circuit, permit, error))
    }
    return done.then(
      () => circuit.record(permit, true),
      (error: unknown) => {
        throw settleFailure(ctx, circuit, permit, error)
      },
    )
  } as Breaker

  /**
   * A trial call of a half-open circuit. While its trials take every probe
   * place the upstream is reported `open`, so that a router sends the rest
   * of its share to its siblings instead of to a refusal; `half-open` again
   * once a place frees (the state listener reports the close or re-open).
   */
  const probe = async (
    ctx: Context,
    next: (ctx?: Context) => Promise<void>,
    circuit: CircuitBreaker,
    permit: number,
    upstream: string,
  ): Promise<void> => {
    // Per tool, one tool's circuit does not speak for the replica.
    const reports = healthRegistry !== undefined && circuit === circuits.get(upstream)
    if (reports) reportProbes(upstream, circuit)
    try {
      await next()
    } catch (error) {
      settleFailure(ctx, circuit, permit, error)
      if (reports) reportProbes(upstream, circuit)
      throw error
    }
    circuit.record(permit, true)
    if (reports) reportProbes(upstream, circuit)
  }
  const reportProbes = (upstream: string, circuit: CircuitBreaker) => {
    const state = circuit.state
    if (state.kind !== 'half-open') return
    healthRegistry!.report(
      upstream,
      'breaker',
      state.probes < halfOpenProbes ? 'half-open' : 'open',
    )
  }

  /** Ends a permit whose call failed, and gives back the error to rethrow. */
  const settleFailure = (
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

  middleware.circuit = (upstream, tool) =>
    circuits.get(per === 'tool' && tool !== undefined ? `${upstream}\u0000${tool}` : upstream)

  const removeStats = statsRegistry?.add({
    kind: 'breaker',
    name: fallback,
    describe: {
      circuits: { kind: 'gauge', help: 'Circuits kept (one per upstream, or upstream and tool).' },
      open: { kind: 'gauge', help: 'Circuits open now.' },
      halfOpen: { kind: 'gauge', help: 'Circuits half-open now (a trial call allowed).' },
      opened: { kind: 'counter', help: 'Times a circuit opened.' },
      rejected: { kind: 'counter', help: 'Calls answered at once by an open circuit.' },
    },
    read() {
      let open = 0
      let halfOpen = 0
      let opened = 0
      for (const circuit of circuits.values()) {
        const { kind } = circuit.state
        if (kind === 'open') open++
        else if (kind === 'half-open') halfOpen++
        opened += circuit.opened
      }
      return { circuits: circuits.size, open, halfOpen, opened, rejected }
    },
  })

  middleware.close = () => {
    removeStats?.()
    for (const circuit of circuits.values()) circuit.close()
  }
  return middleware
}
