import type { Replica } from './balancer.js'
import { type CountingBalancer, inFlight, lessLoaded } from './in-flight.js'

/**
 * The replica with the fewest requests in flight per unit of weight (with
 * equal weights: the fewest in flight). The scan starts one place further on
 * each pick, so ties rotate instead of always going to the first replica.
 * It counts through `start` and `end`, which the router calls around each
 * request.
 *
 * @param replicas - The whole group, in declaration order.
 * @example
 * ```ts
 * const balancer = leastInflight(replicas)
 * const replica = balancer.pick(healthy, ctx)
 * balancer.start(replica)
 * try { await send(replica) } finally { balancer.end(replica) }
 * ```
 */
export function leastInflight(replicas: readonly Replica[]): CountingBalancer {
  const load = inFlight(replicas)
  let offset = 0
  return {
    pick(healthy) {
      offset = (offset + 1) % healthy.length
      let best = healthy[offset]!
      for (let i = 1; i < healthy.length; i++) {
        const replica = healthy[(offset + i) % healthy.length]!
        if (lessLoaded(load, replica, best)) best = replica
      }
      return best
    },
    start: load.start,
    end: load.end,
  }
}
