import type { UpstreamHealth } from '@mcpx/core'

/**
 * The circuit breakers' word in the health registry across reloads. Each
 * generation builds its own breaker, whose circuits start closed, but the
 * registry outlives it: an open circuit of the replaced breaker would keep
 * its replica unavailable for good (the router skips it, so the new circuit
 * never sees a call to close on). Each generation writes through its own
 * view; `reset` takes back the word of a replaced one where it spoke last.
 */
export class CircuitHealth {
  /** Per replica, the generation whose breaker reported on it last. */
  readonly #last = new Map<string, object>()

  constructor(readonly registry: UpstreamHealth) {}

  /** What `generation`'s breaker writes to. */
  view(generation: object): UpstreamHealth {
    const { registry } = this
    return {
      isAvailable: (upstream) => registry.isAvailable(upstream),
      statusOf: (upstream) => registry.statusOf(upstream),
      onChange: (listener) => registry.onChange(listener),
      report: (upstream, writer, status) => {
        this.#last.set(upstream, generation)
        registry.report(upstream, writer, status)
      },
    }
  }

  /** `generation` was replaced: its circuits are gone, as closed as the new ones start. */
  reset(generation: object): void {
    for (const [upstream, last] of this.#last) {
      if (last !== generation) continue
      this.#last.delete(upstream)
      this.registry.report(upstream, 'breaker', 'ready')
    }
  }
}
