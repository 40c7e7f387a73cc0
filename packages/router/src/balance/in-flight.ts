import type { Balancer, Replica } from './balancer.js'

/** A balancer that counts requests in flight, so `start` and `end` are always there. */
export type CountingBalancer = Balancer & Required<Pick<Balancer, 'start' | 'end'>>

/** Requests in flight per replica, shared by least in-flight and power of two. */
export interface InFlight {
  /** The requests to `replica` started and not yet settled. */
  count(replica: Replica): number
  start(replica: Replica): void
  end(replica: Replica): void
}

/**
 * One counter per replica of the group, keyed by name. Names outside the
 * group are ignored rather than added, so the table stays O(replicas); an
 * `end` without its `start` never takes a counter below zero.
 *
 * @example
 * ```ts
 * const load = inFlight(replicas)
 * load.start(replicas[0])
 * load.count(replicas[0]) // 1
 * ```
 */
export function inFlight(replicas: readonly Replica[]): InFlight {
  const counts = new Map<string, number>()
  for (const replica of replicas) counts.set(replica.name, 0)
  return {
    count: (replica) => counts.get(replica.name) ?? 0,
    start(replica) {
      const n = counts.get(replica.name)
      if (n !== undefined) counts.set(replica.name, n + 1)
    },
    end(replica) {
      const n = counts.get(replica.name)
      if (n !== undefined && n > 0) counts.set(replica.name, n - 1)
    },
  }
}

/**
 * Whether `a` is less loaded than `b`: fewer requests in flight per unit of
 * weight, compared without dividing.
 */
export function lessLoaded(load: InFlight, a: Replica, b: Replica): boolean {
  return load.count(a) * b.weight < load.count(b) * a.weight
}
