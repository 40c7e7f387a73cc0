import type { Replica } from './balancer.js'
import { type CountingBalancer, inFlight, lessLoaded } from './in-flight.js'
import { pickWeighted } from './pick-weighted.js'

/**
 * The power of two random choices (Mitzenmacher): two distinct replicas
 * drawn in proportion to weight; the one with fewer requests in flight per
 * unit of weight wins, and a tie goes to the first draw. Nearly as even as
 * least in-flight without every balancer herding onto the same idlest
 * replica. It counts through `start` and `end`, which the router calls
 * around each request.
 *
 * @param replicas - The whole group, in declaration order.
 * @param rand - Uniform in [0, 1); inject a seeded generator in tests.
 * @example
 * ```ts
 * const balancer = powerOfTwo(replicas)
 * const replica = balancer.pick(healthy, ctx)
 * balancer.start(replica)
 * try { await send(replica) } finally { balancer.end(replica) }
 * ```
 */
export function powerOfTwo(
  replicas: readonly Replica[],
  rand: () => number = Math.random,
): CountingBalancer {
  const load = inFlight(replicas)
  return {
    pick(healthy) {
      const first = pickWeighted(healthy, rand())
      if (healthy.length === 1) return healthy[first]!
      const second = pickWeighted(healthy, rand(), first)
      return lessLoaded(load, healthy[second]!, healthy[first]!)
        ? healthy[second]!
        : healthy[first]!
    },
    start: load.start,
    end: load.end,
  }
}
