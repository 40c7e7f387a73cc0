import type { Context } from '@mcpx/core'
import { hashUnit } from '../hash.js'
import type { Balancer, HashKey, Replica } from './balancer.js'
import { hashKey } from './hash-key.js'
import { pickWeighted } from './pick-weighted.js'

/**
 * Weighted rendezvous (highest random weight) hashing: every replica scores
 * the key with `-weight / ln(u)`, `u` the key and the replica's name hashed
 * to [0, 1), and the highest score wins. Scores are independent per
 * replica, so a replica that leaves moves only its own keys (spread over the
 * others in proportion to weight) and takes exactly those back when it
 * returns. Schindelhauer & Schomaker, "Weighted distributed hash tables"
 * (2005); the `-w / ln(u)` form gives each replica a share equal to its
 * weight's.
 *
 * @returns The winner among `healthy` (the first on a tie).
 * @example
 * ```ts
 * rendezvous(healthy, 'session-42') // the same replica for as long as it is healthy
 * ```
 */
export function rendezvous(healthy: readonly Replica[], key: string): Replica {
  let best = healthy[0]!
  let bestScore = -Infinity
  for (const replica of healthy) {
    // u in [0, 1): ln(u) < 0, so the score is positive and rises with u; u = 0 scores 0, the lowest.
    const score = -replica.weight / Math.log(hashUnit(key + '\0' + replica.name))
    if (score > bestScore) {
      best = replica
      bestScore = score
    }
  }
  return best
}

/**
 * A replica chosen by {@link rendezvous} on the message's key, so a key
 * (a session, a principal, …) sticks to one replica while it is healthy.
 * State is nothing: no ring, nothing per key. A message without a key goes
 * to a weighted random replica.
 *
 * @param key - Where the key comes from; see {@link HashKey}.
 * @param group - The group's name, for the TypeError on an invalid key.
 * @param rand - Uniform in [0, 1), for messages without a key.
 * @example
 * ```ts
 * const balancer = consistentHash('session', 'search')
 * balancer.pick(healthy, ctx) // the same replica for every message of a session
 * ```
 */
export function consistentHash(
  key: HashKey,
  group: string,
  rand: () => number = Math.random,
): Balancer {
  const read = hashKey(key, group)
  return {
    pick(healthy: readonly Replica[], ctx: Context) {
      const value = read(ctx)
      if (value === undefined) return healthy[pickWeighted(healthy, rand())]!
      return rendezvous(healthy, value)
    },
  }
}
