// What a miss does (issue 13): the leader asks the upstream and stores the
// answer, followers of an identical miss in flight wait for it, and a stale
// entry gets one background refresh.

import {
  abortSource,
  type Context,
  deadlineKey,
  ErrorCode,
  McpxError,
  type Next,
  targetKey,
} from '@mcpx/core'
import { cacheable, deepFreeze, frozenCopy, utf8Length } from './cache-entry.js'
import type { Keyed } from './cache-key.js'
import type { Settings } from './cache-options.js'
import type { CacheStats } from './cache-stats.js'
import type { CacheWrite } from './cache-store.js'
import { ABANDONED, type Flight, type Flights, type Outcome } from './single-flight.js'

/** What the flow shares with the hit path in `cache()`. */
export interface FlowParts {
  readonly settings: Settings
  readonly stats: CacheStats
  readonly flights: Flights
  /** Set the answer's `cache-control`. */
  readonly header: (ctx: Context, value: string) => void
  /** Set `cache-control` for an entry fresh until `until`. */
  readonly maxAge: (ctx: Context, until: number, now: number) => void
  /** Run a store operation whose failure only costs the cache: never throws, never rejects. */
  readonly quietly: (work: () => void | Promise<void>) => Promise<void> | undefined
  /** Count a coalesced answer and say so on the message (core's `cacheStatusKey`). */
  readonly status: (ctx: Context, status: 'miss' | 'coalesced') => void
}

/** The miss paths of one `cache()`. */
export interface Flow {
  /** Ask the upstream for `keyed`, with followers waiting on this flight. */
  lead(ctx: Context, next: Next, keyed: Keyed): Promise<void>
  /** Wait for the flight in progress for `keyed`; lead a new one if it was abandoned. */
  follow(ctx: Context, next: Next, keyed: Keyed, first: Flight): Promise<void>
  /** One background refresh of a stale entry, unless one is in flight. */
  refresh(ctx: Context, next: Next, keyed: Keyed): void
}

export function cacheFlow(parts: FlowParts): Flow {
  const { settings: s, stats, flights, header, maxAge, quietly, status } = parts
  const store = s.store

  /**
   * After the upstream answered `ctx` (the leader's message or a refresh's
   * fork): what followers get, and the store's write when there is one. The
   * write is awaited (bounded by the store) after the followers have their
   * answer, so that a replica asked next finds the entry.
   */
  const landed = (
    ctx: Context,
    keyed: Keyed,
    flight: Flight,
    startedAt: number,
    aborted: () => boolean,
  ): [Outcome, Promise<void> | undefined] => {
    if (ctx.error !== undefined) {
      header(ctx, 'no-store')
      const failed: Outcome = { kind: 'error', error: ctx.error, thrown: false }
      return [aborted() ? ABANDONED : failed, undefined]
    }
    const result = ctx.result
    const write = admit(s, ctx, keyed, result, startedAt, flight)
    if (write === undefined) {
      header(ctx, 'no-store')
      const value = flight.followers > 0 ? frozenCopy(result) : result
      return [{ kind: 'result', value, stored: false }, undefined]
    }
    maxAge(ctx, write.freshUntil, s.now())
    return [
      { kind: 'result', value: write.value, stored: true },
      quietly(() => store.set(keyed.key, write)),
    ]
  }

  const lead = async (ctx: Context, next: Next, keyed: Keyed): Promise<void> => {
    const flight = flights.start(keyed.key, keyed.tags)
    const startedAt = s.now()
    status(ctx, 'miss')
    let outcome: Outcome = ABANDONED
    let writing: Promise<void> | undefined
    try {
      await next()
      ;[outcome, writing] = landed(ctx, keyed, flight, startedAt, () => ctx.aborted)
    } catch (error) {
      // The leader's own cancellation says nothing of the upstream: followers try again.
      if (!ctx.aborted) outcome = { kind: 'error', error, thrown: true }
      throw error
    } finally {
      flight.land(outcome)
    }
    if (writing !== undefined) await writing
  }

  const follow = async (ctx: Context, next: Next, keyed: Keyed, first: Flight): Promise<void> => {
    let flight: Flight | undefined = first
    while (flight !== undefined) {
      flight.followers++
      const outcome = await waitFor(flight.done, ctx)
      if (outcome.kind === 'result') {
        ctx.result = outcome.value as typeof ctx.result
        status(ctx, 'coalesced')
        if (!outcome.stored) header(ctx, 'no-store')
        return
      }
      if (outcome.kind === 'error') {
        stats.count('coalesced')
        if (outcome.thrown) throw outcome.error
        ctx.error = outcome.error as McpxError
        return
      }
      flight = flights.get(keyed.key)
    }
    return lead(ctx, next, keyed)
  }

  const refresh = (ctx: Context, next: Next, keyed: Keyed): void => {
    if (flights.get(keyed.key) !== undefined) return
    const flight = flights.start(keyed.key, keyed.tags)
    // Started once the message has unwound: its next() is then settled, as strict compose requires.
    const timer = setTimeout(() => void refreshNow(ctx, next, keyed, flight), 0)
    ;(timer as { unref?: () => void }).unref?.()
  }

  /** The refresh itself, bounded; its failure leaves the stale entry until it expires. */
  const refreshNow = async (
    ctx: Context,
    next: Next,
    keyed: Keyed,
    flight: Flight,
  ): Promise<void> => {
    const source = abortSource()
    const fork = ctx.fork({ signal: source })
    fork.set(deadlineKey, Date.now() + s.refreshTimeoutMs)
    const timer = setTimeout(
      () => source.abort(new McpxError(ErrorCode.RequestTimeout, 'Cache refresh timed out')),
      s.refreshTimeoutMs,
    )
    ;(timer as { unref?: () => void }).unref?.()
    const startedAt = s.now()
    let outcome: Outcome = ABANDONED
    let writing: Promise<void> | undefined
    try {
      await next(fork)
      ;[outcome, writing] = landed(fork, keyed, flight, startedAt, () => source.aborted)
    } catch (error) {
      if (!source.aborted) outcome = { kind: 'error', error, thrown: true }
    } finally {
      clearTimeout(timer)
      flight.land(outcome)
    }
    if (writing !== undefined) await writing
    if (outcome.kind !== 'result' || !outcome.stored) stats.refreshFailed(fork, outcome)
  }

  return { lead, follow, refresh }
}

/** The entry to keep for `result`, or undefined when it is not kept (and why is no one's business but the log's). */
function admit(
  s: Settings,
  ctx: Context,
  keyed: Keyed,
  result: unknown,
  startedAt: number,
  flight: Flight,
): CacheWrite | undefined {
  if (flight.invalidated || !cacheable(result)) return undefined
  const ttl = ttlOf(s, ctx, result)
  if (ttl === undefined) return undefined
  let json: string | undefined
  try {
    json = JSON.stringify(result)
  } catch {
    return undefined
  }
  if (json === undefined) return undefined
  const size = utf8Length(json) + utf8Length(keyed.key)
  if (size > s.maxEntryBytes) return undefined
  const now = s.now()
  return {
    value: deepFreeze(JSON.parse(json)),
    json,
    tags: keyed.tags,
    startedAt,
    freshUntil: now + ttl,
    staleUntil: now + ttl + s.swrMs,
    size,
  }
}

/** The TTL the policy gives `result` (the default without one), or undefined when it refuses it. */
function ttlOf(s: Settings, ctx: Context, result: Record<string, unknown>): number | undefined {
  if (s.policy === undefined) return s.ttlMs
  const target = ctx.get(targetKey)
  let verdict: ReturnType<NonNullable<typeof s.policy>>
  try {
    verdict = s.policy({
      method: target?.method ?? ctx.method,
      upstream: target?.upstream ?? s.fallback,
      params: target ? target.params : ctx.params,
      result,
      ttlMs: s.ttlMs,
      ctx,
    })
  } catch (error) {
    s.log(`cache policy threw (${(error as Error)?.message}); the answer is not stored`)
    return undefined
  }
  if (verdict === false || verdict === 0) return undefined
  if (typeof verdict !== 'number') return s.ttlMs
  return Number.isFinite(verdict) && verdict >= 0 ? Math.floor(verdict) : undefined
}

/** The flight's outcome, or the follower's own cancellation first. */
function waitFor(done: Promise<Outcome>, ctx: Context): Promise<Outcome> {
  if (ctx.aborted) return Promise.reject(cancelled(ctx.reason))
  return new Promise((resolve, reject) => {
    const off = ctx.onAbort((reason) => reject(cancelled(reason)))
    done.then((outcome) => {
      off()
      resolve(outcome)
    })
  })
}

function cancelled(reason: unknown): McpxError {
  return McpxError.is(reason)
    ? reason
    : new McpxError(ErrorCode.RequestCancelled, 'Request cancelled')
}
