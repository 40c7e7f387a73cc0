import {
  type Context,
  type Middleware,
  type Next,
  type StatsRegistry,
  sessionKey,
  sourceKey,
  targetKey,
} from '@mcpx/core'
import { sha256 } from './pin-hash.js'
import { type Origin, type PendingTool, PinLedger } from './pin-ledger.js'
import {
  checkPinLock,
  lockHashes,
  lockOf,
  memoryPinStore,
  type PinEntry,
  type PinLock,
  type PinStore,
} from './pin-store.js'
import { unknownTool } from './rewrite-tools.js'
import { fail, fn, integer, options as known } from './validate.js'

export type { HoldReason, PendingTool } from './pin-ledger.js'

/** What every {@link pinTools} takes. */
interface PinToolsBase {
  /** Where pins (first sights and approvals) are kept. @defaultValue memoryPinStore() */
  readonly store?: PinStore
  /** Receives each line about a held-back or approved tool. @defaultValue console.warn */
  readonly log?: (line: string) => void
  /** The most held-back tools `list()` reports; past it the oldest report is dropped (the tool stays hidden). @defaultValue 1000 */
  readonly maxPending?: number
  /** Core's stats registry: one source (kind `'pins'`) with the counts. @defaultValue none */
  readonly statsRegistry?: StatsRegistry
  /** The stats source's name. @defaultValue 'tools' */
  readonly name?: string
  /** The upstream a message goes to when no router set `targetKey` (`forward()` sends it to its first): the pins' key then. @defaultValue 'default' */
  readonly upstream?: string
}

/**
 * Options of {@link pinTools}: trust on first use, or a lock (see
 * `readPinLock` in `@mcpx/transformers/node`) whose hashes are the pins;
 * in strict mode a tool the lock does not list is held back like a changed one.
 */
export type PinToolsOptions = PinToolsBase &
  (
    | {
        /** The approved definitions' hashes, per upstream (router entry) and tool. */
        readonly lock: PinLock
        /** Hold back every tool the lock does not list (else: trusted on first use). @defaultValue true */
        readonly strict?: boolean
      }
    | { readonly lock?: undefined; readonly strict?: undefined }
  )

/** The `pinTools()` middleware, and the approval API. */
export interface PinTools extends Middleware {
  /** What is held back now, oldest first: the pinned and the new hash, the fields that changed. */
  list(): readonly PendingTool[]
  /**
   * Pin `upstream`'s `tool` as it is listed now (only if its hash is
   * `expected`, when given: approve what was reviewed). `upstream` is what
   * `list()` reports: the router entry's name (its key in the router's
   * `upstreams`), not a replica's; the approved definition becomes the pin
   * of every replica of it. Resolves false when nothing matching is held
   * back; rejects when, without `expected`, replicas hold back different
   * definitions. Sessions that listed the entry are sent
   * `notifications/tools/list_changed`, so that the router and clients list again.
   */
  approve(upstream: string, tool: string, expected?: string): Promise<boolean>
  /**
   * The pins as a lock: the given lock's, overridden by pins stored under
   * it (approvals since it was loaded); without a lock, or for a tool a
   * non-strict lock does not list, the store's.
   */
  lock(): Promise<PinLock>
  /** Drop the stats source. */
  close(): void
}

const KEYS = ['store', 'lock', 'strict', 'log', 'maxPending', 'statsRegistry', 'name', 'upstream']

/** The digest of a lock: its sorted JSON (as `writePinLock` writes it) through SHA-256. */
function digestOf(hashes: ReadonlyMap<string, ReadonlyMap<string, string>>): Promise<string> {
  const entries: PinEntry[] = []
  for (const [upstream, tools] of hashes) {
    for (const [tool, hash] of tools) entries.push({ upstream, tool, record: { hash } })
  }
  return sha256(JSON.stringify(lockOf(entries)))
}

/** Pages of one upstream's list followed before the rest is left out (the router's bound). */
const MAX_PAGES = 100
const LIST_CHANGED = 'notifications/tools/list_changed'

const warn = (line: string) => console.warn(`[@mcpx/transformers] ${line}`)

/**
 * Pin each upstream tool's definition (everything but `_meta`: a SHA-256 of
 * its canonical JSON) the first time it is seen, or take the pins from a
 * lock; a tool whose definition differs later (a "rug pull": a description
 * that now tells the model to leak data) is hidden from lists and its
 * calls refused with -32602 `Unknown tool: x`, with a log line naming what
 * changed, until approved with `approve()`. A call of any tool the
 * upstream's latest list did not show is refused the same way.
 *
 * Pins are keyed by the router entry (core's `Target.group`; the upstream's
 * name without a router): every replica of an entry must serve the pinned
 * definition, and one that serves another is held back like any change.
 *
 * Place it below the router and below `rewriteTools()`, next to
 * `forward()`: it must see the upstream's own definitions.
 *
 * @example
 * ```ts
 * const pins = pinTools({ log: (line) => logger.warn(line) })
 * proxy.use(router({ upstreams }), rewriteTools({ deny: ['debug_*'] }), pins)
 * // later, after a review of pins.list():
 * await pins.approve('crm', 'search_contacts')
 * ```
 */
export function pinTools(options: PinToolsOptions = {}): PinTools {
  const o = known('', options, KEYS, 'pinTools() options')
  const store = o.store ?? memoryPinStore()
  for (const method of ['get', 'set', 'delete', 'entries'] as const) {
    if (typeof (store as unknown as Record<string, unknown>)?.[method] !== 'function') {
      fail('store', 'a PinStore (get, set, delete, entries)')
    }
  }
  const lock = o.lock === undefined ? undefined : checkPinLock(o.lock)
  if (o.strict !== undefined && typeof o.strict !== 'boolean') fail('strict', 'a boolean')
  if (o.strict !== undefined && lock === undefined) fail('strict', 'given with a lock only')
  const log = fn('log', o.log, warn)
  const maxPending = integer('maxPending', o.maxPending, 1000, 1)
  const fallback = o.upstream ?? 'default'
  if (typeof fallback !== 'string' || fallback === '') fail('upstream', 'a non-empty string')
  const name = o.name ?? 'tools'
  if (typeof name !== 'string' || name === '') fail('name', 'a non-empty string')

  const hashes = lock && lockHashes(lock)
  const ledger = new PinLedger({
    store,
    lock: hashes,
    lockDigest: hashes && digestOf(hashes),
    strict: lock !== undefined && (o.strict ?? true),
    maxPending,
    log,
  })
  const remove = o.statsRegistry?.add(ledger.source(name))

  const listing = new Map<string, Promise<void>>()
  /** One page after another of `origin`'s list, through the rest of the stack, judged as any list is. */
  async function listFor(ctx: Context, next: Next, origin: Origin): Promise<void> {
    const target = ctx.get(targetKey)
    let cursor: unknown
    for (let page = 0; page < MAX_PAGES; page++) {
      const params = cursor === undefined ? {} : { cursor }
      const child = ctx.fork({ method: 'tools/list', params })
      if (target) child.set(targetKey, { ...target, method: 'tools/list', params })
      await next(child)
      if (child.error) throw child.error
      const result = child.result as Record<string, unknown> | undefined
      if (!Array.isArray(result?.tools)) return
      await ledger.filter(origin, result.tools, page === 0)
      cursor = result.nextCursor
      if (typeof cursor !== 'string') return
    }
  }

  const middleware = async function pinTools(ctx: Context, next: Next): Promise<void> {
    if (ctx.direction === 'toClient') {
      // The upstream's list is no longer known: a call waits for it to be listed again.
      const source = ctx.get(sourceKey)
      if (ctx.method === LIST_CHANGED && source !== undefined) ledger.forget(source)
      return next()
    }
    if (ctx.method !== 'tools/list' && ctx.method !== 'tools/call') return next()
    const target = ctx.get(targetKey)
    const replica = target?.upstream ?? fallback
    // The entry's pins: a rug pull on one replica is a change like any other.
    const origin: Origin = { entry: target?.group ?? replica, replica }
    const params = (target ? target.params : ctx.params) as Record<string, unknown> | undefined
    if (ctx.method === 'tools/call') {
      // A replica the router never lists from (it lists one per entry), or one whose list changed:
      // list it first, so that what it serves is judged before it is called.
      if (!ledger.listed(origin)) {
        const key = `${origin.entry}\u0000${replica}`
        let pending = listing.get(key)
        if (!pending) {
          pending = listFor(ctx, next, origin).finally(() => listing.delete(key))
          listing.set(key, pending)
        }
        await pending
      }
      const tool = params?.name
      if (typeof tool !== 'string' || !ledger.shown(origin, tool)) {
        ledger.counts.refused++
        throw unknownTool((ctx.params as Record<string, unknown> | undefined)?.name)
      }
      return next()
    }
    ledger.listener(origin, ctx.get(sessionKey))
    await next()
    const result = ctx.result as Record<string, unknown> | undefined
    if (!Array.isArray(result?.tools)) return
    const tools = await ledger.filter(origin, result.tools, params?.cursor === undefined)
    // Copy on write: the upstream's result is left as it came.
    if (tools.length !== result.tools.length) {
      ctx.result = { ...result, tools } as typeof ctx.result
    }
  } as PinTools

  Object.defineProperties(middleware, {
    list: { value: () => ledger.pending() },
    approve: {
      value: (upstream: string, tool: string, expected?: string) => {
        if (typeof upstream !== 'string' || typeof tool !== 'string') {
          return Promise.reject(
            new TypeError('[@mcpx/transformers] approve(upstream, tool) takes names'),
          )
        }
        return ledger.approve(upstream, tool, expected)
      },
    },
    lock: { value: () => ledger.lock() },
    close: { value: () => remove?.() },
  })
  return middleware
}
