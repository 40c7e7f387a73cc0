import type { Balancer, Replica } from './balancer.js'

/**
 * Each replica in turn, in declaration order. The turn walks the whole
 * group and skips replicas missing from `healthy`, so an unhealthy replica
 * keeps its place in the order and takes its next turn when it returns.
 *
 * @param replicas - The whole group, in declaration order.
 * @example
 * ```ts
 * const balancer = roundRobin([{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }])
 * balancer.pick(healthy, ctx) // a, then b, then a, …
 * ```
 */
export function roundRobin(replicas: readonly Replica[]): Balancer {
  const order = replicas.map((replica) => replica.name)
  let next = 0
  let fallback = 0
  return {
    pick(healthy) {
      // The common case: every replica is healthy, so `healthy` is the group in order.
      const whole = healthy.length === order.length ? healthy[next] : undefined
      if (whole?.name === order[next]) {
        next = (next + 1) % order.length
        return whole!
      }
      // Some replica is out: find the next one in turn (groups are small; no allocation per pick).
      for (let i = 0; i < order.length; i++) {
        const index = (next + i) % order.length
        const replica = healthy.find((one) => one.name === order[index])
        if (replica) {
          next = (index + 1) % order.length
          return replica
        }
      }
      // `healthy` holds no replica of the group (the router never does this): rotate over it.
      fallback = (fallback + 1) % healthy.length
      return healthy[fallback]!
    },
  }
}
