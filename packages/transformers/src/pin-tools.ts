import {
  type Context,
  type Middleware,
  type Next,
  type StatsRegistry,
  sessionKey,
  sourceKey,
  targetKey,
} from '@mcpx/core'
import { type PendingTool, PinLedger } from './pin-ledger.js'
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
  /** The upstream a message goes to when no router set `targetKey` (`forward()` sends it to its first). @defaultValue 'default' */
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
        /** The approved definitions' hashes, per upstream and tool. */
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
   * `expected`, when given: approve what was reviewed). Resolves false when
   * nothing matching is held back. Sessions that listed the upstream are sent
   * `notifications/tools/list_changed`, so that the router and clients list again.
   */
  approve(upstream: string, tool: string, expected?: string): Promise<boolean>
  /** The pins as a lock: the given lock's, overridden by the store's (approvals, first sights). */
  lock(): Promise<PinLock>
  /** Drop the stats source. */
  close(): void
}

const KEYS = ['store', 'lock', 'strict', 'log', 'maxPending', 'statsRegistry', 'name', 'upstream']

/** Pages of one upstream's list followed before the rest is left out (the router's bound). */
const MAX_PAGES = 100
const LIST_CHANGED = 'notifications/tools/list_changed'

const warn = (line: string) => console.warn(`[@mcpx/transformers] ${line}`)

/**
 * Pin each upstream tool's definition (name, description, input and output
 * schema, annotations: a SHA-256 of their canonical JSON) the first time it
 * is seen, or take the pins from a lock; a tool whose definition differs
 * later (a "rug pull": a description that now tells the model to leak
 * data) is hidden from lists and its calls refused with -32602 `Unknown
 * tool: x`, with a log line naming what changed, until approved with
 * `approve()`. A call of any tool the upstream's latest list did not show
 * is refused the same way.
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

  const ledger = new PinLedger({
    store,
    lock: lock && lockHashes(lock),
    strict: lock !== undefined && (o.strict ?? true),
    maxPending,
    log,
  })
  const remove = o.statsRegistry?.add(ledger.source(name))

  const listing = new Map<string, Promise<void>>()
  /** One page after another of `upstream`'s list, through the rest of the stack, judged as any list is. */
  async function listFor(ctx: Context, next: Next, upstream: string): Promise<void> {
    let cursor: unknown
    for (let page = 0; page < MAX_PAGES; page++) {
      const params = cursor === undefined ? {} : { cursor }
      const child = ctx.fork({ method: 'tools/list', params })
      if (ctx.get(targetKey)) child.set(targetKey, { upstream, method: 'tools/list', params })
      await next(child)
      if (child.error) throw child.error
      const result = child.result as Record<string, unknown> | undefined
      if (!Array.isArray(result?.tools)) return
      await ledger.filter(upstream, result.tools, page === 0)
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
    const upstream = target?.upstream ?? fallback
    const params = (target ? target.params : ctx.params) as Record<string, unknown> | undefined
    if (ctx.method === 'tools/call') {
      // A replica the router never lists from (it lists one per entry), or one whose list changed:
      // list it first, so that what it serves is judged before it is called.
      if (!ledger.listed(upstream)) {
        let pending = listing.get(upstream)
        if (!pending) {
          pending = listFor(ctx, next, upstream).finally(() => listing.delete(upstream))
          listing.set(upstream, pending)
        }
        await pending
      }
      const tool = params?.name
      if (typeof tool !== 'string' || !ledger.shown(upstream, tool)) {
        ledger.counts.refused++
        throw unknownTool((ctx.params as Record<string, unknown> | undefined)?.name)
      }
      return next()
    }
    ledger.listener(upstream, ctx.get(sessionKey))
    await next()
    const result = ctx.result as Record<string, unknown> | undefined
    if (!Array.isArray(result?.tools)) return
    const tools = await ledger.filter(upstream, result.tools, params?.cursor === undefined)
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
    lock: {
      value: async () => {
        const entries = new Map<string, PinEntry>()
        for (const [upstream, tools] of lock ? lockHashes(lock) : []) {
          for (const [tool, hash] of tools) {
            entries.set(`${upstream}\u0000${tool}`, { upstream, tool, record: { hash } })
          }
        }
        for (const entry of await store.entries()) {
          entries.set(`${entry.upstream}\u0000${entry.tool}`, entry)
        }
        return lockOf(entries.values())
      },
    },
    close: { value: () => remove?.() },
  })
  return middleware
}
