import { LRUCache } from 'lru-cache'
import { cachedClock } from './clock.js'
import type { AlgorithmKind, Check, Decision, RateLimitStore, State } from './types.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most keys kept per limit (per `limitId`); the least recently used
   * key goes first, and comes back full (its limit unspent) when it is next
   * seen. An integer ≥ 1.
   * @defaultValue 10_000
   */
  maxKeys?: number
  /**
   * The clock, in milliseconds since the epoch. For tests: by default a
   * cached `Date.now()` that is at most 1 ms stale, and follows fake timers.
   * @defaultValue a cached `Date.now()`
   */
  now?: () => number
}

/** The in-memory store: synchronous, bounded, one process. */
export interface MemoryStore extends RateLimitStore {
  /** Reuses the returned array and its decisions between calls: copy what you keep. */
  consume(checks: readonly Check[]): readonly Decision[]
  /** How many keys are held for `limitId`. */
  size(limitId: string): number
  /** Stops the clock's timer. The store still answers afterwards. */
  close(): void
}

interface Limit {
  readonly kind: AlgorithmKind
  readonly states: LRUCache<string, State>
}

/** The largest state any algorithm keeps (the sliding window's). */
const STATE_SIZE = 3
/**
 * lru-cache's `get(k, options = {})` would make a new options object per
 * call (and writes `status` into it): one shared object spares that.
 */
const GET_OPTIONS: LRUCache.GetOptions<string, State, unknown> = {}

/**
 * Keeps rate-limit states in this process, bounded: one LRU per limit id
 * (limit ids are few and come from configuration, never from clients), each
 * holding at most `maxKeys` keys. A key evicted, or unseen for longer than
 * its algorithm's `ttlMs`, is evaluated as new; nothing runs per key.
 *
 * `consume` is atomic, as a store's must be: it evaluates every check
 * first, and charges them only when all allow. On a key already held it
 * allocates nothing: states are updated in place, and the returned array
 * and its decision objects are reused.
 *
 * @example
 * ```ts
 * const store = memoryStore({ maxKeys: 50_000 })
 * const [decision] = store.consume([
 *   { limitId: 'per-client', algorithm: tokenBucket({ capacity: 20, refillPerSecond: 5 }), key: 'client-42', cost: 1 },
 * ])
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxKeys = options.maxKeys ?? 10_000
  if (!Number.isInteger(maxKeys) || maxKeys < 1) {
    throw new TypeError('[@mcpx/ratelimit] memoryStore() maxKeys must be an integer ≥ 1')
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('[@mcpx/ratelimit] memoryStore() now must be a function')
  }
  const clock = options.now === undefined ? cachedClock() : undefined
  const now = options.now ?? clock!.now
  const limits = new Map<string, Limit>()
  // Scratch space, grown to the longest set of checks seen, then reused.
  const decisions: Decision[] = []
  const nexts: State[] = []
  const found: (State | undefined)[] = []
  const starts: (State | undefined)[] = []
  const lastId: string[] = []
  const lastLimit: (Limit | undefined)[] = []
  const lrus: LRUCache<string, State>[] = []
  /** One result array per number of checks, over the same decision objects. */
  const results: Decision[][] = []

  function limitOf(check: Check, i: number): LRUCache<string, State> {
    // Checks at one position usually name the same limit message after message: a
    // string compared by identity is cheaper than a Map lookup.
    const last = lastLimit[i]
    if (last !== undefined && lastId[i] === check.limitId && last.kind === check.algorithm.kind) {
      return last.states
    }
    let limit = limits.get(check.limitId)
    if (limit === undefined) {
      limit = { kind: check.algorithm.kind, states: new LRUCache({ max: maxKeys }) }
      limits.set(check.limitId, limit)
    } else if (limit.kind !== check.algorithm.kind) {
      // Two algorithms would read each other's states as their own.
      throw new TypeError(
        `[@mcpx/ratelimit] limit "${check.limitId}" is used with both ${limit.kind} and ${check.algorithm.kind}`,
      )
    }
    lastId[i] = check.limitId
    lastLimit[i] = limit
    return limit.states
  }

  function grow(count: number): Decision[] {
    while (decisions.length < count) {
      decisions.push({ allowed: false, limit: 0, remaining: 0, retryAfterMs: 0, resetMs: 0 })
      nexts.push(new Array<number>(STATE_SIZE).fill(0))
      found.push(undefined)
      starts.push(undefined)
    }
    results[count] = decisions.slice(0, count)
    return results[count]
  }

  /**
   * The state check `i` starts from: the stored one, unless an earlier check
   * of this call has the same limit and key, whose outcome comes first.
   */
  function startOf(checks: readonly Check[], i: number, stored: State | undefined) {
    const check = checks[i]!
    for (let j = i - 1; j >= 0; j--) {
      const other = checks[j]!
      if (other.limitId === check.limitId && other.key === check.key) {
        return decisions[j]!.allowed ? nexts[j] : starts[j]
      }
    }
    return stored
  }

  function consume(checks: readonly Check[]): readonly Decision[] {
    const count = checks.length
    const result = results[count] ?? grow(count)
    const at = now()
    let allowed = true
    for (let i = 0; i < count; i++) {
      const check = checks[i]!
      const lru = limitOf(check, i)
      const stored = lru.get(check.key, GET_OPTIONS)
      lrus[i] = lru
      found[i] = stored
      const start = i === 0 ? stored : startOf(checks, i, stored)
      starts[i] = start
      // Every check is evaluated, refused or not, so that each decision is filled in.
      if (!check.algorithm.evaluate(start, at, check.cost, decisions[i]!, nexts[i]!)) {
        allowed = false
      }
    }
    if (allowed) {
      for (let i = 0; i < count; i++) {
        const check = checks[i]!
        const size = check.algorithm.stateSize
        const next = nexts[i]!
        const stored = found[i]
        if (stored === undefined) lrus[i]!.set(check.key, next.slice(0, size))
        else for (let k = 0; k < size; k++) stored[k] = next[k]!
      }
    }
    return result
  }

  return {
    consume,
    size: (limitId) => limits.get(limitId)?.states.size ?? 0,
    close() {
      clock?.close()
    },
  }
}
