import type { Balancer, Replica } from './balancer.js'

/**
 * Smooth weighted round robin, nginx's algorithm (`ngx_http_upstream_get_peer`
 * in src/http/ngx_http_upstream_round_robin.c):
 * each pick adds every healthy replica's weight to its current weight, takes
 * the highest (the first on a tie) and subtracts the healthy total from it.
 * Weights 5/1/1 give `a a b a c a a`: proportional and spread out.
 *
 * Only healthy replicas take part in a pick, so with some unhealthy the rest
 * stay smooth and proportional among themselves; an unhealthy replica's
 * current weight waits, unchanged, until it returns.
 *
 * @param replicas - The whole group, in declaration order.
 * @example
 * ```ts
 * const balancer = weightedRoundRobin([
 *   { name: 'big', weight: 3 },
 *   { name: 'small', weight: 1 },
 * ])
 * balancer.pick(healthy, ctx) // big, big, small, big, …
 * ```
 */
export function weightedRoundRobin(replicas: readonly Replica[]): Balancer {
  const current = new Map<string, number>()
  for (const replica of replicas) current.set(replica.name, 0)
  return {
    pick(healthy) {
      let total = 0
      let best: Replica | undefined
      let bestWeight = -Infinity
      for (const replica of healthy) {
        // A name outside the group gets no state: it is scored but never remembered.
        const weight = (current.get(replica.name) ?? 0) + replica.weight
        if (current.has(replica.name)) current.set(replica.name, weight)
        total += replica.weight
        if (weight > bestWeight) {
          best = replica
          bestWeight = weight
        }
      }
      if (current.has(best!.name)) current.set(best!.name, bestWeight - total)
      return best!
    },
  }
}
