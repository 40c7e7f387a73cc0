import type { Context } from '@mcpx/core'

/** One member of an upstream group ("replicas of one upstream"). */
export interface Replica {
  /** The replica's upstream name, unique within its group. */
  readonly name: string
  /**
   * Its share of the traffic relative to its siblings, `> 0`. The router
   * normalizes a missing weight to 1.
   */
  readonly weight: number
}

/**
 * Picks one replica of a group for each message. One balancer serves one
 * group; its state is O(replicas) and never grows per key or per client.
 */
export interface Balancer {
  /**
   * Pick one of `healthy` (non-empty, in declaration order; may be a subset
   * of the group when some are unhealthy). Returns an element of `healthy`.
   */
  pick(healthy: readonly Replica[], ctx: Context): Replica
  /** Optional: a request to `replica` started (least in-flight and power of two count them). */
  start?(replica: Replica): void
  /** Optional: a request to `replica` settled; the router calls it in `finally`. */
  end?(replica: Replica): void
}

/**
 * Where a sticky strategy reads its key:
 * - `'session'`: `ctx.session.id`;
 * - `'principal'`: the authenticated subject (`ctx.get(principalKey)?.subject`);
 * - `'client-address'`: `ctx.session.remoteAddress`;
 * - `{ header }`: the first value of that request header (case-insensitive);
 * - a function of the context.
 *
 * A key that is undefined or empty counts as no key: the message then goes
 * to a weighted random replica.
 */
export type HashKey =
  | 'session'
  | 'principal'
  | 'client-address'
  | { header: string }
  | ((ctx: Context) => string | undefined)

/** How a group spreads its messages over its replicas. */
export type BalanceStrategy =
  /** Each healthy replica in turn, in declaration order. */
  | 'round-robin'
  /** Smooth weighted round robin (nginx's algorithm). */
  | 'weighted-round-robin'
  /** The replica with the fewest requests in flight per unit of weight; ties rotate. */
  | 'least-inflight'
  /** A replica drawn at random, in proportion to its weight. */
  | 'random'
  /** Two distinct random replicas; the one with fewer requests in flight wins. */
  | 'power-of-two'
  /** Weighted rendezvous hashing on `key`: a key stays put unless its replica leaves. */
  | { type: 'consistent-hash'; key: HashKey }
  /** Bucket ranges proportional to weight, for canaries that keep their clients when they grow. */
  | { type: 'sticky-split'; key: HashKey }
  /** Your own choice; it must return one of `healthy`. */
  | { type: 'custom'; pick: (healthy: readonly Replica[], ctx: Context) => Replica }
