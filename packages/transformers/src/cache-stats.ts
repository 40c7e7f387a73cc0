import { type Context, McpxError, type StatsSource, targetKey } from '@mcpx/core'
import type { CacheStore } from './cache-store.js'
import type { Outcome } from './single-flight.js'

/** At most one store-failure line per this many ms: a Redis that is down must not flood the log. */
const LOG_EVERY_MS = 10_000

type Counted = 'hit' | 'stale' | 'miss' | 'coalesced'

/** `cache()`'s counters, its stats source and its log lines. */
export class CacheStats {
  hits = 0
  stale = 0
  misses = 0
  coalesced = 0
  refreshFailures = 0
  storeErrors = 0
  readonly #log: (line: string) => void
  readonly #now: () => number
  readonly #name: string
  #loggedAt = Number.NEGATIVE_INFINITY
  #unlogged = 0

  constructor(settings: { log: (line: string) => void; now: () => number; name: string }) {
    this.#log = settings.log
    this.#now = settings.now
    this.#name = settings.name
  }

  count(status: Counted): void {
    if (status === 'hit') this.hits++
    else if (status === 'stale') this.stale++
    else if (status === 'miss') this.misses++
    else this.coalesced++
  }

  /** A store operation failed: the message went to the upstream (or the write was dropped). */
  storeFailed(error: unknown): void {
    this.storeErrors++
    const now = this.#now()
    if (now - this.#loggedAt < LOG_EVERY_MS) {
      this.#unlogged++
      return
    }
    const more = this.#unlogged > 0 ? ` (and ${this.#unlogged} more since the last line)` : ''
    this.#loggedAt = now
    this.#unlogged = 0
    const why = error instanceof Error ? error.message : 'unknown error'
    this.#log(`cache "${this.#name}": store failed (${why}); answering from the upstream${more}`)
  }

  /** A background refresh brought nothing to store: the stale entry is served until it expires. */
  refreshFailed(fork: Context, outcome: Outcome): void {
    this.refreshFailures++
    const target = fork.get(targetKey)
    const what = `${target?.method ?? fork.method} on "${target?.upstream ?? 'default'}"`
    const why =
      outcome.kind === 'abandoned'
        ? 'cancelled or timed out'
        : outcome.kind === 'error'
          ? McpxError.is(outcome.error)
            ? outcome.error.message
            : 'internal error'
          : 'its answer is not cacheable'
    this.#log(
      `cache "${this.#name}": refresh of ${what} failed (${why}); the stale entry stays until it expires`,
    )
  }

  /** The stats source of kind 'cache' (core's `StatsSource`, read by metrics). */
  source(store: CacheStore): StatsSource {
    return {
      kind: 'cache',
      name: this.#name,
      describe: {
        hits: { kind: 'counter', help: 'Requests answered from a fresh entry.' },
        stale: {
          kind: 'counter',
          help: 'Requests answered from a stale entry while one refresh ran.',
        },
        misses: { kind: 'counter', help: 'Requests sent to the upstream for want of an entry.' },
        coalesced: {
          kind: 'counter',
          help: 'Requests that shared an identical miss in flight instead of asking the upstream.',
        },
        evictions: { kind: 'counter', help: 'Entries dropped to make room.' },
        refreshFailures: {
          kind: 'counter',
          help: 'Background refreshes that failed (the stale entry stayed).',
        },
        storeErrors: {
          kind: 'counter',
          help: 'Store operations that failed (the cache was bypassed).',
        },
        entries: { kind: 'gauge', help: 'Entries held (0 when the store cannot tell).' },
        bytes: { kind: 'gauge', help: 'Serialized bytes held (0 when the store cannot tell).' },
      },
      read: () => {
        const held = store.stats?.()
        return {
          hits: this.hits,
          stale: this.stale,
          misses: this.misses,
          coalesced: this.coalesced,
          evictions: held?.evictions ?? 0,
          refreshFailures: this.refreshFailures,
          storeErrors: this.storeErrors,
          entries: held?.entries ?? 0,
          bytes: held?.bytes ?? 0,
        }
      },
    }
  }
}
