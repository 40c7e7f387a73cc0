import {
  abortSource,
  addHeaders,
  answerHeadersKey,
  type Context,
  createKey,
  deadlineKey,
  ErrorCode,
  type Key,
  McpxError,
  type Middleware,
  type Next,
  sourceKey,
  targetKey,
} from '@mcpx/core'
import { cacheable, deepFreeze, frozenCopy, utf8Length } from './cache-entry.js'
import { type Keyed, paramsText } from './cache-key.js'
import { type CacheOptions, settingsOf } from './cache-options.js'
import { CacheStats } from './cache-stats.js'
import type { CacheEntry, CacheStore, CacheWrite } from './cache-store.js'
import { ABANDONED, type Flight, Flights, type Outcome } from './single-flight.js'

export type { CacheOptions, CachePolicy, CachePolicyInput } from './cache-options.js'

/** How `cache()` answered the current message: core's `Context.get(cacheStatusKey)`. */
export type CacheStatus = 'hit' | 'stale' | 'miss' | 'coalesced' | 'bypass'

/** Set by `cache()` on each message it considered: for metrics and access logs. */
export const cacheStatusKey: Key<CacheStatus> = createKey<CacheStatus>('mcpx.cache')

/** The `cache()` middleware, and what else it does. */
export interface Cache extends Middleware {
  /** Where its entries live. */
  readonly store: CacheStore
  /**
   * Drop every entry tagged `tag`: `uri:<uri>` (reads of a resource),
   * `list:<upstream>:<method>` (an upstream's list pages), `call:<upstream>`
   * (its tool results), `prompt:<upstream>` (its prompts). Never rejects.
   */
  invalidate(tag: string): Promise<void>
  /** Stop its clock, drop its stats source, close the store it made. */
  close(): Promise<void>
}

const RESOLVED: Promise<void> = Promise.resolve()
const LISTS = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'])
/** What each `list_changed` makes stale, besides the list itself (tag suffixes per upstream). */
const CHANGED: Readonly<Record<string, readonly string[]>> = {
  'notifications/tools/list_changed': ['list:%:tools/list', 'call:%'],
  'notifications/prompts/list_changed': ['list:%:prompts/list', 'prompt:%'],
  'notifications/resources/list_changed': [
    'list:%:resources/list',
    'list:%:resources/templates/list',
  ],
}
type Json = Record<string, unknown>

/**
 * A response cache below the router (issue 13), for `resources/read`,
 * `prompts/get`, each upstream's list pages and `tools/call` of the tools
 * you opt in. The key is the upstream's method and params (as canonical
 * JSON, without `_meta`), the upstream and, by default, the principal. A hit
 * answers without calling `next()`; concurrent identical misses reach the
 * upstream once; errors and `isError` results are never stored; stored
 * results are deeply frozen copies, shared by every hit. Invalidation follows
 * the upstreams' `list_changed` and `resources/updated` as they pass on the
 * way to clients (readme/cache.md says what it cannot see).
 *
 * @example
 * ```ts
 * const proxy = createProxy({ terminal: forward([docs, search]) })
 * proxy.use(router({ upstreams: { docs: {}, search: {} } }))
 * proxy.use(cache({ ttlMs: 30_000, staleWhileRevalidateMs: 60_000, tools: { include: ['search_*'] } }))
 * ```
 */
export function cache(options: CacheOptions = {}): Cache {
  const s = settingsOf(options)
  const { store } = s
  const flights = new Flights()
  const stats = new CacheStats(s)
  const swrSuffix = s.swrMs > 0 ? `, stale-while-revalidate=${Math.floor(s.swrMs / 1000)}` : ''

  /** The entry the message would have, if the cache handles it. */
  const keyOf = (ctx: Context): Keyed | undefined => {
    const target = ctx.get(targetKey)
    const method = target?.method ?? ctx.method
    const params = (target ? target.params : ctx.params) as Json | undefined
    const upstream = target?.upstream ?? s.fallback
    let tag: string
    if (method === 'resources/read') {
      const uri = params?.uri
      if (typeof uri !== 'string' || !s.resources(uri)) return undefined
      tag = `uri:${uri}`
    } else if (method === 'tools/call') {
      // A task's result is a handle to work in progress, not an answer.
      const name = (ctx.params as Json | undefined)?.name
      if (typeof name !== 'string' || params?.task !== undefined || !s.tools(name, ctx))
        return undefined
      tag = `call:${upstream}`
    } else if (method === 'prompts/get') {
      const name = (ctx.params as Json | undefined)?.name
      if (typeof name !== 'string' || !s.prompts(name)) return undefined
      tag = `prompt:${upstream}`
    } else if (LISTS.has(method) && s.lists) tag = `list:${upstream}:${method}`
    else return undefined
    const text = paramsText(params)
    if (text === undefined) return undefined
    return { key: `${method}\n${upstream}\n${s.vary(ctx)}\n${text}`, tags: [tag] }
  }

  const header = (ctx: Context, value: string): void => {
    if (!s.cacheControl) return
    if (ctx.get(answerHeadersKey) === undefined) {
      ctx.set(answerHeadersKey, Object.freeze({ 'cache-control': value }))
    } else addHeaders(ctx, answerHeadersKey, { 'cache-control': value })
  }
  const maxAge = (ctx: Context, until: number, now: number): void =>
    header(
      ctx,
      `${s.visibility}, max-age=${Math.max(0, Math.floor((until - now) / 1000))}${swrSuffix}`,
    )

  const serve = (ctx: Context, entry: CacheEntry, status: 'hit' | 'stale', now: number): void => {
    ctx.result = entry.value as typeof ctx.result
    ctx.set(cacheStatusKey, status)
    stats.count(status)
    if (status === 'hit') maxAge(ctx, entry.freshUntil, now)
    else header(ctx, `${s.visibility}, max-age=0`)
  }

  /** Store failures answer from the upstream: the cache is an optimisation, never a point of failure. */
  const bypass = (ctx: Context, next: Next, error: unknown): Promise<void> => {
    stats.storeFailed(error)
    ctx.set(cacheStatusKey, 'bypass')
    return next()
  }
  /** Run a store operation whose failure only costs the cache: never throws, never rejects. */
  const quietly = (work: () => void | Promise<void>): Promise<void> | undefined => {
    try {
      const done = work()
      if (done !== undefined) return done.catch((error: unknown) => stats.storeFailed(error))
    } catch (error) {
      stats.storeFailed(error)
    }
    return undefined
  }

  /** The entry to keep for `result`, or undefined when it is not kept (and why is no one's business but the log's). */
  const admit = (
    ctx: Context,
    keyed: Keyed,
    result: unknown,
    startedAt: number,
    flight: Flight,
  ) => {
    if (flight.invalidated || !cacheable(result)) return undefined
    let ttl = s.ttlMs
    if (s.policy !== undefined) {
      const target = ctx.get(targetKey)
      let verdict: ReturnType<NonNullable<typeof s.policy>>
      try {
        verdict = s.policy({
          method: target?.method ?? ctx.method,
          upstream: target?.upstream ?? s.fallback,
          params: target ? target.params : ctx.params,
          result,
          ttlMs: ttl,
          ctx,
        })
      } catch (error) {
        s.log(
          `[@mcpx/transformers] cache policy threw (${(error as Error)?.message}); the answer is not stored`,
        )
        return undefined
      }
      if (verdict === false || verdict === 0) return undefined
      if (typeof verdict === 'number') {
        if (!Number.isFinite(verdict) || verdict < 0) return undefined
        ttl = Math.floor(verdict)
      }
    }
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
    const write: CacheWrite = {
      value: deepFreeze(JSON.parse(json)),
      json,
      tags: keyed.tags,
      startedAt,
      freshUntil: now + ttl,
      staleUntil: now + ttl + s.swrMs,
      size,
    }
    return write
  }

  /** After the upstream answered `ctx` (the leader's message or a refresh's fork): store, and say what followers get. */
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
    const write = admit(ctx, keyed, result, startedAt, flight)
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
    stats.count('miss')
    ctx.set(cacheStatusKey, 'miss')
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
        ctx.set(cacheStatusKey, 'coalesced')
        stats.count('coalesced')
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

  /** One background refresh of a stale entry, bounded; its failure leaves the stale entry until it expires. */
  const refresh = (ctx: Context, next: Next, keyed: Keyed): void => {
    if (flights.get(keyed.key) !== undefined) return
    const flight = flights.start(keyed.key, keyed.tags)
    // Started once the message has unwound: its next() is then settled, as strict compose requires.
    const timer = setTimeout(() => void refreshNow(ctx, next, keyed, flight), 0)
    ;(timer as { unref?: () => void }).unref?.()
  }
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

  const answer = (
    ctx: Context,
    next: Next,
    keyed: Keyed,
    entry: CacheEntry | undefined,
  ): Promise<void> => {
    if (entry !== undefined) {
      const now = s.now()
      if (now < entry.freshUntil) {
        serve(ctx, entry, 'hit', now)
        return RESOLVED
      }
      if (now < entry.staleUntil) {
        serve(ctx, entry, 'stale', now)
        refresh(ctx, next, keyed)
        return RESOLVED
      }
      void quietly(() => store.delete(keyed.key))
    }
    const flight = flights.get(keyed.key)
    return flight === undefined ? lead(ctx, next, keyed) : follow(ctx, next, keyed, flight)
  }

  const invalidate = (tag: string): Promise<void> => {
    flights.invalidate(tag)
    try {
      const done = store.invalidate(tag)
      if (done !== undefined) return done.catch((error: unknown) => stats.storeFailed(error))
    } catch (error) {
      stats.storeFailed(error)
    }
    return RESOLVED
  }

  /** Server-to-client: the upstreams' own word that something changed. */
  const toClient = (ctx: Context, next: Next): Promise<void> => {
    if (ctx.method === 'notifications/resources/updated') {
      const uri = (ctx.params as Json | undefined)?.uri
      if (typeof uri === 'string') void invalidate(`uri:${uri}`)
    } else {
      const changed = CHANGED[ctx.method]
      if (changed !== undefined) {
        const source = ctx.get(sourceKey) ?? s.fallback
        for (const tag of changed) void invalidate(tag.replaceAll('%', source))
      }
    }
    return next()
  }

  // Not async: a hit on the memory store settles with no promise of its own and no suspended frame.
  const middleware = function cache(ctx: Context, next: Next): Promise<void> {
    if (ctx.direction === 'toClient') return toClient(ctx, next)
    if (ctx.kind !== 'request') return next()
    const keyed = keyOf(ctx)
    if (keyed === undefined) return next()
    let found: CacheEntry | undefined | Promise<CacheEntry | undefined>
    try {
      found = store.get(keyed.key, keyed.tags)
    } catch (error) {
      return bypass(ctx, next, error)
    }
    if (found instanceof Promise) {
      return found.then(
        (entry) => answer(ctx, next, keyed, entry),
        (error: unknown) => bypass(ctx, next, error),
      )
    }
    return answer(ctx, next, keyed, found)
  } as Cache

  const removeStats = s.statsRegistry?.add(stats.source(store))
  Object.defineProperty(middleware, 'store', { value: store })
  middleware.invalidate = invalidate
  middleware.close = async () => {
    removeStats?.()
    s.clock?.close()
    if (s.ownsStore) await store.close?.()
  }
  return middleware
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
