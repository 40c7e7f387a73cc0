import type { HealthStatus, StatsSource, UpstreamHealth } from '@mcpx/core'
import {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
  createCircuitBreaker,
} from './circuit-breaker.js'

const STATUS: Record<CircuitState['kind'], HealthStatus> = {
  closed: 'ready',
  open: 'open',
  'half-open': 'half-open',
}

/** What {@link Circuits} needs, fixed by `breaker()` when it runs. */
export interface CircuitsOptions {
  readonly policy: CircuitBreakerOptions
  readonly maxCircuits: number
  readonly healthRegistry: UpstreamHealth | undefined
}

/**
 * `breaker()`'s circuits: one per upstream, and with `per: 'tool'` one per
 * upstream and tool. The two are kept apart. Upstream names come from the
 * configuration, so their bound is a guard; tool names come from clients,
 * so theirs is a cache, whose overflow forgets a closed circuit first and
 * never touches an upstream's (junk names must not reset an open circuit or
 * mark a dead upstream ready). Only an upstream's circuit speaks for its
 * replica in the health registry. Counters survive the circuits forgotten.
 */
export class Circuits {
  rejected = 0
  readonly #upstreams = new Map<string, CircuitBreaker>()
  /** Use order (a hit moves its entry to the end), keyed `upstream \0 tool`. */
  readonly #tools = new Map<string, CircuitBreaker>()
  readonly #options: CircuitsOptions
  readonly #halfOpenProbes: number
  /** Times the circuits already forgotten opened. */
  #openedBefore = 0
  // The last circuit used, looked up again only when the key changes: the common case of one
  // upstream per gateway (or a run of messages to one) costs a string comparison.
  #lastKey: string | undefined
  #last: CircuitBreaker | undefined

  constructor(options: CircuitsOptions) {
    this.#options = options
    this.#halfOpenProbes = options.policy.halfOpenProbes ?? 1
  }

  /** The circuit of `upstream`, or of its `tool` when given; made on first use. */
  of(upstream: string, tool: string | undefined): CircuitBreaker {
    const key = tool === undefined ? upstream : `${upstream}\u0000${tool}`
    if (key === this.#lastKey && this.#last) return this.#last
    const found = tool === undefined ? this.#upstream(upstream) : this.#tool(key)
    this.#lastKey = key
    this.#last = found
    return found
  }

  /** The circuit of `upstream` (or of its `tool`), if it has one yet. */
  get(upstream: string, tool?: string): CircuitBreaker | undefined {
    if (tool === undefined) return this.#upstreams.get(upstream)
    return this.#tools.get(`${upstream}\u0000${tool}`)
  }

  /**
   * During a trial call of `upstream`'s own circuit: `open` while its
   * trials take every probe place, so that a router sends the rest of the
   * replica's share to its siblings instead of to a refusal; `half-open`
   * again once a place frees (the state listener reports a close or re-open).
   */
  reportProbes(upstream: string, circuit: CircuitBreaker): void {
    const health = this.#options.healthRegistry
    if (health === undefined || this.#upstreams.get(upstream) !== circuit) return
    const state = circuit.state
    if (state.kind !== 'half-open') return
    health.report(upstream, 'breaker', state.probes < this.#halfOpenProbes ? 'half-open' : 'open')
  }

  /** The stats source's `describe` and `read()` (kind `'breaker'`). */
  source(name: string): StatsSource {
    return {
      kind: 'breaker',
      name,
      describe: {
        circuits: {
          kind: 'gauge',
          help: 'Circuits kept (one per upstream, or upstream and tool).',
        },
        open: { kind: 'gauge', help: 'Circuits open now.' },
        halfOpen: { kind: 'gauge', help: 'Circuits half-open now (a trial call allowed).' },
        opened: { kind: 'counter', help: 'Times a circuit opened.' },
        rejected: { kind: 'counter', help: 'Calls answered at once by an open circuit.' },
      },
      read: () => {
        let open = 0
        let halfOpen = 0
        let opened = this.#openedBefore
        for (const circuits of [this.#upstreams, this.#tools]) {
          for (const circuit of circuits.values()) {
            const { kind } = circuit.state
            if (kind === 'open') open++
            else if (kind === 'half-open') halfOpen++
            opened += circuit.opened
          }
        }
        const circuits = this.#upstreams.size + this.#tools.size
        return { circuits, open, halfOpen, opened, rejected: this.rejected }
      },
    }
  }

  close(): void {
    for (const circuit of this.#upstreams.values()) circuit.close()
    for (const circuit of this.#tools.values()) circuit.close()
  }

  #upstream(upstream: string): CircuitBreaker {
    const found = this.#upstreams.get(upstream)
    if (found) return found
    const made = this.#make()
    const health = this.#options.healthRegistry
    if (health) {
      made.onStateChange((state) => health.report(upstream, 'breaker', STATUS[state.kind]))
    }
    this.#upstreams.set(upstream, made)
    if (this.#upstreams.size > this.#options.maxCircuits) {
      const [oldest, old] = this.#upstreams.entries().next().value as [string, CircuitBreaker]
      this.#forget(this.#upstreams, oldest, old)
      // Forgotten while not closed: its upstream must not stay marked unavailable for good.
      if (health && old.state.kind !== 'closed') health.report(oldest, 'breaker', 'ready')
    }
    return made
  }

  #tool(key: string): CircuitBreaker {
    const tools = this.#tools
    let found = tools.get(key)
    if (found) {
      tools.delete(key)
      tools.set(key, found)
      return found
    }
    if (tools.size >= this.#options.maxCircuits) this.#evictTool()
    found = this.#make()
    tools.set(key, found)
    return found
  }

  /** The closed circuit used longest ago, else (none closed) the one used longest ago. */
  #evictTool(): void {
    let victim: [string, CircuitBreaker] | undefined
    for (const entry of this.#tools) {
      if (entry[1].state.kind === 'closed') {
        victim = entry
        break
      }
      victim ??= entry
    }
    this.#forget(this.#tools, victim![0], victim![1])
  }

  #make(): CircuitBreaker {
    const made = createCircuitBreaker(this.#options.policy)
    made.onRejected(() => {
      this.rejected++
    })
    return made
  }

  #forget(circuits: Map<string, CircuitBreaker>, key: string, circuit: CircuitBreaker): void {
    circuits.delete(key)
    this.#openedBefore += circuit.opened
    if (this.#last === circuit) {
      this.#last = undefined
      this.#lastKey = undefined
    }
    circuit.close()
  }
}
