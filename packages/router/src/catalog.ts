import {
  type AbortHandle,
  abortSource,
  type Context,
  ErrorCode,
  McpxError,
  type Next,
  sessionKey,
} from '@mcpx/core'
import { type Failure, failureOf, tick } from './failure.js'
import type { Group } from './group.js'
import type { ListKind } from './lists.js'
import { collectPages, type Json } from './pages.js'

/** Pages followed per upstream list before the rest is dropped (a server that pages forever). */
const MAX_PAGES = 100

/** One group's copy of one list. */
interface Entry {
  items: readonly Json[] | undefined
  /** Bumped by every invalidation; a fetch that started before the latest one leaves the entry stale. */
  wanted: number
  got: number
  loading: Promise<void> | undefined
  /** After a failure: when to ask again. */
  retryAt: number
  missing: boolean
  /** The latest failure to fetch it (what `missing` is because of). */
  failure: Failure | undefined
}

/** What {@link Catalog} needs from the router. */
export interface CatalogOptions {
  readonly retryInterval: number
  readonly maxItems: number
  readonly log: (line: string) => void
  /** Called when a group that was missing lists again (so clients hear of its items). */
  readonly onJoin: (kind: ListKind, group: Group) => void
  readonly now?: () => number
}

/**
 * Each group's copy of one list (tools, prompts, resources or templates),
 * fetched through the rest of the stack on first need, following the
 * upstream's own pages, and again after the upstream says it changed. An
 * upstream that fails to answer is left out (and logged) until
 * `retryInterval` has passed; it joins when it answers again.
 */
export class Catalog {
  readonly kind: ListKind
  readonly #entries = new Map<Group, Entry>()
  /** The same entries as an array: `ready` runs per message and a Map iterator allocates. */
  readonly #list: Entry[] = []
  readonly #options: CatalogOptions
  /** Bumped whenever any group's items change, so that the merged view knows to rebuild. */
  version = 0
  /** The latest lister: a missing upstream is asked again as it, when no one else asks. */
  #probe: { readonly ctx: Context; readonly next: Next } | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #probing: AbortHandle | undefined
  #closed = false

  constructor(kind: ListKind, groups: readonly Group[], options: CatalogOptions) {
    this.kind = kind
    this.#options = options
    for (const group of groups) {
      const entry: Entry = {
        items: undefined,
        wanted: 1,
        got: 0,
        loading: undefined,
        retryAt: 0,
        missing: false,
        failure: undefined,
      }
      this.#entries.set(group, entry)
      this.#list.push(entry)
    }
  }

  /** Whether `group`'s copy is the upstream's latest word: fetched, and no change announced since. */
  isCurrent(group: Group): boolean {
    const entry = this.#entries.get(group)
    return entry !== undefined && entry.items !== undefined && entry.got === entry.wanted
  }

  /** Every group's items as last fetched (undefined: never fetched or missing). */
  itemsOf(group: Group): readonly Record<string, unknown>[] | undefined {
    return this.#entries.get(group)?.items
  }

  /** While `group` has no copy because fetching it failed: the latest failure. */
  missingBecause(group: Group): Failure | undefined {
    const entry = this.#entries.get(group)
    return entry?.missing ? entry.failure : undefined
  }

  /** Whether every group has a current copy (or is waiting out a failure). */
  get ready(): boolean {
    let now: number | undefined
    for (const entry of this.#list) {
      if (entry.got === entry.wanted) continue
      now ??= this.#now() // the clock only when something is stale
      if (entry.retryAt <= now) return false
    }
    return true
  }

  /**
   * Fetch what is stale, as `ctx` (forks of it) through `next`; never
   * rejects. A fetch already in flight is joined; when it settles with the
   * entry still stale (it started before the latest `list_changed`, or its
   * own client went away), this caller fetches once more itself.
   */
  async refresh(ctx: Context, next: Next): Promise<void> {
    if (!this.#closed) this.#probe = { ctx, next }
    for (let pass = 0; pass < 2 && !ctx.aborted; pass++) {
      const waits = this.#stale().map(([group, entry]) => {
        entry.loading ??= this.#load(group, entry, ctx, next)
        return entry.loading
      })
      if (waits.length === 0) return
      await Promise.all(waits)
    }
  }

  /** The entries to fetch now: stale, and not waiting out a failure. */
  #stale(): [Group, Entry][] {
    const now = this.#now()
    const stale: [Group, Entry][] = []
    for (const [group, entry] of this.#entries) {
      if (entry.got !== entry.wanted && entry.retryAt <= now) stale.push([group, entry])
    }
    return stale
  }

  /** Stop asking missing upstreams (the proxy is closing). */
  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#probe = undefined
    this.#probing?.abort()
  }

  /** The upstream said its list changed: fetch it again when next needed. */
  invalidate(group: Group): void {
    const entry = this.#entries.get(group)
    if (!entry) return
    entry.wanted++
    entry.retryAt = 0
  }

  async #load(group: Group, entry: Entry, ctx: Context, next: Next): Promise<void> {
    const wanted = entry.wanted
    try {
      const items = await this.#fetch(group, ctx, next).catch((error: unknown) => {
        // An upstream without this list (-32601) has an empty one: nothing to retry or log.
        if (McpxError.is(error) && error.code === ErrorCode.MethodNotFound) return []
        throw error
      })
      entry.items = items
      entry.got = wanted
      group.answeredAt = tick()
      this.version++
      if (entry.missing) {
        entry.missing = false
        this.#options.log(`upstream "${group.name}" is back in ${this.kind.method}`)
        this.#options.onJoin(this.kind, group)
      }
    } catch (error) {
      // A client that went away mid-fetch says nothing about the upstream.
      if (!ctx.aborted) this.#failed(group, entry, error)
    } finally {
      entry.loading = undefined
    }
  }

  #failed(group: Group, entry: Entry, error: unknown): void {
    const { retryInterval, log } = this.#options
    entry.retryAt = this.#now() + retryInterval
    const why = McpxError.is(error) ? error.message : 'internal error'
    entry.failure = failureOf(why)
    const kept = entry.items ? `; its last ${this.kind.field} are kept` : ''
    log(
      `upstream "${group.name}" is missing from ${this.kind.method} (${why})${kept}; asked again in ${retryInterval} ms`,
    )
    if (!entry.items) entry.missing = true
    this.#schedule(retryInterval)
  }

  /**
   * Ask a missing upstream again after `delay` even if no client lists
   * meanwhile, as the latest lister (while its session lives), so that it
   * joins, and the clients hear of it, as soon as it answers.
   */
  #schedule(delay: number): void {
    if (this.#timer !== undefined || !this.#probe || this.#closed) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      const probe = this.#probe
      if (!probe || probe.ctx.get(sessionKey)?.closed) return
      // Due now, even if the clock says a millisecond short (timers may fire early).
      for (const entry of this.#entries.values()) entry.retryAt = 0
      // Its own signal (the context it forks from finished long ago), aborted by close().
      this.#probing = abortSource()
      void this.refresh(probe.ctx.fork({ signal: this.#probing }), probe.next)
    }, delay)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  /** The upstream's whole list, page after page, as one replica of `group` answers it. */
  async #fetch(group: Group, ctx: Context, next: Next): Promise<Json[]> {
    const { method, field } = this.kind
    const replica = group.pick(ctx)
    const page = async (cursor: string | undefined) => {
      const params = cursor === undefined ? {} : { cursor }
      const child = ctx.fork({ method, params })
      await group.send(child, next, replica, method, params, true)
      if (child.error) throw child.error
      return child.result as Json | undefined
    }
    const { maxItems, log } = this.#options
    const { items, truncated } = await collectPages(page, field, this.#valid, {
      pages: MAX_PAGES,
      items: maxItems,
    })
    if (truncated)
      log(`upstream "${group.name}" lists more than ${maxItems} ${field}; the rest are dropped`)
    return items
  }

  /** An upstream's item without its name is dropped: nothing could route to it. */
  readonly #valid = (item: unknown): item is Json =>
    typeof item === 'object' && item !== null && typeof (item as Json)[this.kind.key] === 'string'

  #now(): number {
    return (this.#options.now ?? Date.now)()
  }
}
