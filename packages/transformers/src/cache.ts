import {
  addHeaders,
  answerHeadersKey,
  type Context,
  cacheStatusKey,
  type MessageHeaders,
  type Middleware,
  type Next,
  sourceKey,
  targetKey,
} from '@mcpx/core'
import { cacheFlow } from './cache-flow.js'
import { type Keyed, paramsText } from './cache-key.js'
import { CacheKeyMemo, type MemoKeyed } from './cache-key-memo.js'
import { type CacheOptions, settingsOf } from './cache-options.js'
import { CacheStats } from './cache-stats.js'
import type { CacheEntry, CacheStore } from './cache-store.js'
import { Flights } from './single-flight.js'

// How `cache()` answered a message: core's key (metrics reads it without importing the cache),
// exported here too, as it was first.
export { type CacheStatus, cacheStatusKey } from '@mcpx/core'
export type { CacheOptions, CachePolicy, CachePolicyInput } from './cache-options.js'

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
const BYPASS = Symbol('bypass')
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
 * way to clients (the README says what it cannot see).
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
  const memo = new CacheKeyMemo()
  const swrSuffix = s.swrMs > 0 ? `, stale-while-revalidate=${Math.floor(s.swrMs / 1000)}` : ''

  /** The entry the message would have, if the cache handles it; BYPASS when a vary part has no text. */
  const keyOf = (ctx: Context): Keyed | typeof BYPASS | undefined => {
    const target = ctx.get(targetKey)
    const method = target?.method ?? ctx.method
    const params = (target ? target.params : ctx.params) as Json | undefined
    const upstream = target?.upstream ?? s.fallback
    if (!handles(ctx, method, params)) return undefined
    const vary = s.vary(ctx)
    // Never a shared stand-in for a part it cannot say: that would be another caller's entry.
    if (vary === undefined) return BYPASS
    const known = memo.find(method, upstream, vary, params)
    if (known !== undefined) return known
    const text = paramsText(params)
    if (text === undefined) return undefined
    const tag =
      method === 'resources/read'
        ? `uri:${params?.uri as string}`
        : method === 'tools/call'
          ? `call:${upstream}`
          : method === 'prompts/get'
            ? `prompt:${upstream}`
            : `list:${upstream}:${method}`
    const keyed = { key: `${method}\n${upstream}\n${vary}\n${text}`, tags: Object.freeze([tag]) }
    return memo.add(method, upstream, vary, params, keyed)
  }
  /** Whether the message is one the cache keeps answers to. */
  const handles = (ctx: Context, method: string, params: Json | undefined): boolean => {
    if (method === 'resources/read') {
      const uri = params?.uri
      return typeof uri === 'string' && s.resources(uri)
    }
    if (method === 'tools/call') {
      // A task's result is a handle to work in progress, not an answer.
      const name = (ctx.params as Json | undefined)?.name
      return typeof name === 'string' && params?.task === undefined && s.tools(name, ctx)
    }
    if (method === 'prompts/get') {
      const name = (ctx.params as Json | undefined)?.name
      return typeof name === 'string' && s.prompts(name)
    }
    return s.lists && LISTS.has(method)
  }

  const header = (ctx: Context, value: string): void => {
    if (s.cacheControl) answerHeaders(ctx, Object.freeze({ 'cache-control': value }))
  }
  const maxAge = (ctx: Context, until: number, now: number): void =>
    header(ctx, maxAgeText(until, now))
  const maxAgeText = (until: number, now: number): string =>
    `${s.visibility}, max-age=${Math.max(0, Math.floor((until - now) / 1000))}${swrSuffix}`
  /** A hit's header: the one made for the key's last hit while its entry and its seconds left are the same. */
  const hitHeader = (ctx: Context, keyed: Keyed, entry: CacheEntry, now: number): void => {
    if (!s.cacheControl) return
    if (!('headers' in keyed)) {
      maxAge(ctx, entry.freshUntil, now)
      return
    }
    const memoised = keyed as MemoKeyed
    const seconds = Math.max(0, Math.floor((entry.freshUntil - now) / 1000))
    if (memoised.headerUntil !== entry.freshUntil || memoised.headerSeconds !== seconds) {
      memoised.headers = Object.freeze({ 'cache-control': maxAgeText(entry.freshUntil, now) })
      memoised.headerUntil = entry.freshUntil
      memoised.headerSeconds = seconds
    }
    answerHeaders(ctx, memoised.headers as MessageHeaders)
  }

  const status = (ctx: Context, status: 'hit' | 'stale' | 'miss' | 'coalesced'): void => {
    ctx.set(cacheStatusKey, status)
    stats.count(status)
  }
  const serve = (ctx: Context, keyed: Keyed, entry: CacheEntry, hit: boolean, now: number) => {
    ctx.result = entry.value as typeof ctx.result
    if (hit) {
      status(ctx, 'hit')
      hitHeader(ctx, keyed, entry, now)
    } else {
      status(ctx, 'stale')
      header(ctx, `${s.visibility}, max-age=0`)
    }
  }

  /** Store failures answer from the upstream: the cache is an optimisation, never a point of failure. */
  const bypass = (ctx: Context, next: Next, error: unknown): Promise<void> => {
    stats.storeFailed(error)
    ctx.set(cacheStatusKey, 'bypass')
    return next()
  }
  const quietly = (work: () => void | Promise<void>): Promise<void> | undefined => {
    try {
      const done = work()
      if (done !== undefined) return done.catch((error: unknown) => stats.storeFailed(error))
    } catch (error) {
      stats.storeFailed(error)
    }
    return undefined
  }
  const flow = cacheFlow({ settings: s, stats, flights, header, maxAge, quietly, status })

  const answer = (
    ctx: Context,
    next: Next,
    keyed: Keyed,
    entry: CacheEntry | undefined,
  ): Promise<void> => {
    if (entry !== undefined) {
      const now = s.now()
      if (now < entry.freshUntil) {
        serve(ctx, keyed, entry, true, now)
        return RESOLVED
      }
      if (now < entry.staleUntil) {
        serve(ctx, keyed, entry, false, now)
        flow.refresh(ctx, next, keyed)
        return RESOLVED
      }
      void quietly(() => store.delete(keyed.key))
    }
    const flight = flights.get(keyed.key)
    return flight === undefined
      ? flow.lead(ctx, next, keyed)
      : flow.follow(ctx, next, keyed, flight)
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
    if (keyed === BYPASS) {
      ctx.set(cacheStatusKey, 'bypass')
      return next()
    }
    let found: CacheEntry | undefined | Promise<CacheEntry | undefined>
    try {
      found = store.get(keyed.key, keyed.tags)
    } catch (error) {
      return bypass(ctx, next, error)
    }
    // Not `instanceof Promise`: on a hit that costs a prototype walk; an entry never has `then`.
    if (found !== undefined && typeof (found as { then?: unknown }).then === 'function') {
      return (found as Promise<CacheEntry | undefined>).then(
        (entry) => answer(ctx, next, keyed, entry),
        (error: unknown) => bypass(ctx, next, error),
      )
    }
    return answer(ctx, next, keyed, found as CacheEntry | undefined)
  } as Cache

  const removeStats = s.statsRegistry?.add(stats.source(store))
  Object.defineProperty(middleware, 'store', { value: store })
  middleware.invalidate = invalidate
  middleware.close = async () => {
    removeStats?.()
    s.clock?.close()
    memo.clear()
    if (s.ownsStore) await store.close?.()
  }
  return middleware
}

/** Add `headers` to the answer's: set them as they are when there are none yet (the common case, no copy). */
function answerHeaders(ctx: Context, headers: MessageHeaders): void {
  if (ctx.get(answerHeadersKey) === undefined) ctx.set(answerHeadersKey, headers)
  else addHeaders(ctx, answerHeadersKey, headers)
}
