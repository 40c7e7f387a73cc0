import { type Clock, cachedClock } from '@mcpx/core'
import { LRUCache } from 'lru-cache'
import type { AlgorithmKind, Check, Decision, RateLimitStore, State } from './types.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most keys kept per limit (per `limitId`); the least recently used
   * key goes first, and comes back full (its limit unspent) when it is next
   * seen. An integer from 1 to 1,000,000: the table for it is allocated up
   * front, per limit; past that, use the Redis store.
   * @defaultValue 10_000
   */
  maxKeys?: number
  /**
   * The clock, in milliseconds since the epoch. For tests: by default a
   * cached `Date.now()` that is at most 1 ms stale (as old as the event loop's turn, in a longer one), and follows fake timers.
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
  const { maxKeys, now, clock } = settingsOf(options)
  const store = storeOf(maxKeys)
  return {
    consume: (checks) => consumeAt(store, checks, now),
    size: (limitId) => store.limits.get(limitId)?.states.size ?? 0,
    close() {
      clock?.close()
    },
  }
}

interface Settings {
  readonly maxKeys: number
  readonly now: () => number
  /** The clock `now` reads, when the store made it (and so stops it). */
  readonly clock: Clock | undefined
}

/**
 * lru-cache allocates its table for `max` when it is made, one per limit at
 * its first request: 1,000,000 keys is ~17 MB. A larger bound (a typo) would
 * exhaust the heap at the first request, not at start-up.
 */
const MAX_KEYS = 1_000_000

function settingsOf(options: MemoryStoreOptions): Settings {
  const maxKeys = options.maxKeys ?? 10_000
  if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > MAX_KEYS) {
    throw new TypeError(
      `[@mcpx/ratelimit] memoryStore() maxKeys must be an integer from 1 to ${MAX_KEYS}`,
    )
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('[@mcpx/ratelimit] memoryStore() now must be a function')
  }
  const clock = options.now === undefined ? cachedClock() : undefined
  return { maxKeys, now: options.now ?? clock!.now, clock }
}

/** One store's limits, and the scratch space `consume` grows to the longest set of checks seen, then reuses. */
interface Store {
  readonly maxKeys: number
  readonly limits: Map<string, Limit>
  readonly decisions: Decision[]
  readonly nexts: State[]
  readonly found: (State | undefined)[]
  readonly starts: (State | undefined)[]
  readonly lastId: string[]
  readonly lastLimit: (Limit | undefined)[]
  readonly lrus: LRUCache<string, State>[]
  /** One result array per number of checks, over the same decision objects. */
  readonly results: Decision[][]
}

function storeOf(maxKeys: number): Store {
  return {
    maxKeys,
    limits: new Map(),
    decisions: [],
    nexts: [],
    found: [],
    starts: [],
    lastId: [],
    lastLimit: [],
    lrus: [],
    results: [],
  }
}

function consumeAt(store: Store, checks: readonly Check[], now: () => number): readonly Decision[] {
  const count = checks.length
  const result = store.results[count] ?? grow(store, count)
  if (evaluateAll(store, checks, now())) chargeAll(store, checks)
  return result
}

/** Evaluates every check, refused or not, so that each decision is filled in; true when all allow. */
function evaluateAll(store: Store, checks: readonly Check[], at: number): boolean {
  const { decisions, nexts, found, starts, lrus } = store
  let allowed = true
  for (let i = 0; i < checks.length; i++) {
    const check = checks[i]!
    const lru = limitOf(store, check, i)
    const stored = lru.get(check.key, GET_OPTIONS)
    lrus[i] = lru
    found[i] = stored
    const start = i === 0 ? stored : startOf(store, checks, i, stored)
    starts[i] = start
    if (!check.algorithm.evaluate(start, at, check.cost, decisions[i]!, nexts[i]!)) {
      allowed = false
    }
  }
  return allowed
}

/** Keeps each check's next state: in place when the key was held. */
function chargeAll(store: Store, checks: readonly Check[]): void {
  const { nexts, found, lrus } = store
  for (let i = 0; i < checks.length; i++) {
    const check = checks[i]!
    const size = check.algorithm.stateSize
    const next = nexts[i]!
    const stored = found[i]
    if (stored === undefined) lrus[i]!.set(check.key, next.slice(0, size))
    else for (let k = 0; k < size; k++) stored[k] = next[k]!
  }
}

function limitOf(store: Store, check: Check, i: number): LRUCache<string, State> {
  // Checks at one position usually name the same limit message after message: a
  // string compared by identity is cheaper than a Map lookup.
  const last = store.lastLimit[i]
  if (
    last !== undefined &&
    store.lastId[i] === check.limitId &&
    last.kind === check.algorithm.kind
  ) {
    return last.states
  }
  let limit = store.limits.get(check.limitId)
  if (limit === undefined) {
    limit = { kind: check.algorithm.kind, states: new LRUCache({ max: store.maxKeys }) }
    store.limits.set(check.limitId, limit)
  } else if (limit.kind !== check.algorithm.kind) {
    // Two algorithms would read each other's states as their own.
    throw new TypeError(
      `[@mcpx/ratelimit] limit "${check.limitId}" is used with both ${limit.kind} and ${check.algorithm.kind}`,
    )
  }
  store.lastId[i] = check.limitId
  store.lastLimit[i] = limit
  return limit.states
}

function grow(store: Store, count: number): Decision[] {
  const { decisions } = store
  while (decisions.length < count) {
    decisions.push({ allowed: false, limit: 0, remaining: 0, retryAfterMs: 0, resetMs: 0 })
    store.nexts.push(new Array<number>(STATE_SIZE).fill(0))
    store.found.push(undefined)
    store.starts.push(undefined)
  }
  const result = decisions.slice(0, count)
  store.results[count] = result
  return result
}

/**
 * The state check `i` starts from: the stored one, unless an earlier check
 * of this call has the same limit and key, whose outcome comes first.
 */
function startOf(store: Store, checks: readonly Check[], i: number, stored: State | undefined) {
  const check = checks[i]!
  for (let j = i - 1; j >= 0; j--) {
    const other = checks[j]!
    if (other.limitId === check.limitId && other.key === check.key) {
      return store.decisions[j]!.allowed ? store.nexts[j] : store.starts[j]
    }
  }
  return stored
}
