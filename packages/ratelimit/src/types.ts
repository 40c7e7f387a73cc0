/**
 * The contracts between the rate-limit algorithms, the stores and the
 * `rateLimit()` middleware. An algorithm is pure arithmetic over a small
 * numeric state; a store keeps one state per key and applies a set of
 * checks atomically (all pass and are charged, or none is); the Redis store
 * runs the same arithmetic in one Lua script.
 */

/** The algorithms, by the name the Redis script knows them by. */
export type AlgorithmKind = 'token-bucket' | 'fixed-window' | 'sliding-window'

/**
 * One key's state: a few numbers, kept in a plain array so that a check
 * allocates nothing. Its layout is the algorithm's own:
 * - token bucket: `[tokens, updatedAtMs]`
 * - fixed window: `[windowIndex, count]`
 * - sliding window: `[windowIndex, current, previous]`
 */
export type State = number[]

/** What a check decided. Reused between calls by stores on the hot path: copy what you keep. */
export interface Decision {
  /** Whether the cost was accepted (and charged). */
  allowed: boolean
  /** The limit's size: the bucket's capacity, or the window's limit. */
  limit: number
  /** What is left after this check (after charging, when allowed), rounded down, ≥ 0. */
  remaining: number
  /** Milliseconds until the same cost would be accepted: 0 when allowed, `Infinity` if never (cost > limit). */
  retryAfterMs: number
  /** Milliseconds until the limit is whole again (bucket full, window over). */
  resetMs: number
}

/**
 * A rate-limit algorithm: validated parameters and the pure step. `evaluate`
 * reads `state` (undefined: a key never seen, or expired) and writes into
 * `out`; when it allows, it also writes the state to keep into `next`
 * (which may be `state` itself). It never changes anything when it refuses:
 * refused messages are not charged.
 */
export interface Algorithm {
  readonly kind: AlgorithmKind
  /** Capacity (token bucket) or limit per window. */
  readonly limit: number
  /** The policy's window in milliseconds: the window, or for a bucket the time to refill from empty. */
  readonly windowMs: number
  /** The numeric parameters the Redis script takes after the kind, in order. */
  readonly params: readonly number[]
  /** Milliseconds after its last change that a key's state is no longer needed (a Redis key's TTL). */
  readonly ttlMs: number
  /** Length of a fresh state array. */
  readonly stateSize: number
  evaluate(state: State | undefined, now: number, cost: number, out: Decision, next: State): boolean
}

/** One limit applied to one key, within one atomic check. */
export interface Check {
  /** Names the limit; with `key`, it names the stored state. At most 64 characters. */
  readonly limitId: string
  readonly algorithm: Algorithm
  /** The limited thing (a client, a tool, `global`), at most 256 characters. Stores that send keys elsewhere hash it. */
  readonly key: string
  /** The message's cost, a positive finite number. */
  readonly cost: number
}

/**
 * Where states live. `consume` applies every check atomically: when all
 * allow, each is charged; when one refuses, none is. It returns one
 * decision per check, in order (a store may reuse the array and the
 * decision objects between calls). It may answer synchronously (memory)
 * or asynchronously (Redis).
 */
export interface RateLimitStore {
  consume(checks: readonly Check[]): readonly Decision[] | Promise<readonly Decision[]>
  /** Release timers and connections. */
  close?(): void | Promise<void>
}
