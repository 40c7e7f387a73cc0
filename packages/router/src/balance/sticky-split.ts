import type { Context } from '@mcpx/core'
import { hashUnit } from '../hash.js'
import type { Balancer, HashKey, Replica } from './balancer.js'
import { rendezvous } from './consistent-hash.js'
import { hashKey } from './hash-key.js'
import { pickWeighted } from './pick-weighted.js'

/** How finely the key space is split: a replica's share is a multiple of 0.01%. */
export const STICKY_BUCKETS = 10_000

/**
 * A traffic split that keeps clients where they are while it changes. A key
 * hashes to one of {@link STICKY_BUCKETS} buckets; the replicas own
 * consecutive bucket ranges in proportion to weight, in declaration order.
 * So with the canary first or last, raising its weight from 10 to 20 only
 * widens its range: every client already on the canary stays on it (and
 * lowering it moves only clients off it).
 *
 * When a bucket's owner is not healthy, its keys go to the {@link rendezvous}
 * winner among the healthy replicas (still sticky per key), and come back
 * when it recovers. A message without a key goes to a weighted random
 * replica. A replica whose weight is under 1/{@link STICKY_BUCKETS} of the
 * total owns no bucket.
 *
 * @param replicas - The whole group, in declaration order; their weights set the ranges.
 * @param key - Where the key comes from; see {@link HashKey}.
 * @param group - The group's name, for the TypeError on an invalid key.
 * @param rand - Uniform in [0, 1), for messages without a key.
 * @example
 * ```ts
 * const balancer = stickySplit(
 *   [{ name: 'stable', weight: 90 }, { name: 'canary', weight: 10 }],
 *   'principal',
 *   'search',
 * )
 * balancer.pick(healthy, ctx) // the same side for a principal on every message
 * ```
 */
export function stickySplit(
  replicas: readonly Replica[],
  key: HashKey,
  group: string,
  rand: () => number = Math.random,
): Balancer {
  const read = hashKey(key, group)
  const owners = replicas.map((replica) => replica.name)
  const ends = bucketEnds(replicas)
  return {
    pick(healthy: readonly Replica[], ctx: Context) {
      const value = read(ctx)
      if (value === undefined) return healthy[pickWeighted(healthy, rand())]!
      const bucket = Math.floor(hashUnit(value) * STICKY_BUCKETS)
      const owner = owners[ends.findIndex((end) => bucket < end)]
      return healthy.find((replica) => replica.name === owner) ?? rendezvous(healthy, value)
    },
  }
}

/** The exclusive end of each replica's bucket range; the last is {@link STICKY_BUCKETS}. */
function bucketEnds(replicas: readonly Replica[]): number[] {
  let total = 0
  for (const replica of replicas) total += replica.weight
  let cumulative = 0
  return replicas.map((replica) => {
    cumulative += replica.weight
    // Multiply first: 90 * 10_000 / 100 is exact where 0.9 * 10_000 might not be.
    return Math.round((cumulative * STICKY_BUCKETS) / total)
  })
}
