import type { ClientSession, Notification, StatsSource } from '@mcpx/core'
import { changedFields, hashTool, type PinField, type ToolHash } from './pin-hash.js'
import type { PinRecord, PinStore } from './pin-store.js'

/** Why a tool is held back from clients. */
export type HoldReason =
  /** Its definition differs from the pinned one. */
  | 'changed'
  /** Strict lock: the lock does not list it. */
  | 'unlisted'
  /** The pin store was full when it was first seen: it could not be pinned. */
  | 'full'

/** A tool held back until approved, as `pins.list()` returns it. */
export interface PendingTool {
  readonly upstream: string
  /** The tool's name as its upstream lists it. */
  readonly tool: string
  readonly reason: HoldReason
  /** The pinned hash (undefined when nothing was pinned). */
  readonly pinned: string | undefined
  /** The hash of the definition the upstream lists now: what `approve` pins. */
  readonly seen: string
  /** The fields that differ from the pin; undefined when the pin came from a lock (whole hashes only). */
  readonly changed: readonly PinField[] | undefined
  /** When it was first held back with this definition (ms since the epoch). */
  readonly since: number
}

interface Held extends PendingTool {
  readonly fields: ToolHash['fields']
}

/** What {@link PinLedger} is given by `pinTools()`. */
export interface LedgerOptions {
  readonly store: PinStore
  readonly lock: ReadonlyMap<string, ReadonlyMap<string, string>> | undefined
  readonly strict: boolean
  readonly maxPending: number
  readonly log: (line: string) => void
}

/** Upstream names come from the configuration: this bound is a guard, not a cache. */
const MAX_UPSTREAMS = 1024
/** Sessions remembered per upstream, to be told of an approval. */
const MAX_SESSIONS = 1024

const keyOf = (upstream: string, tool: string) => `${upstream}\u0000${tool}`

/**
 * `pinTools()`'s state: which tools each upstream's latest list showed
 * (calls of anything else are refused, so a held tool stays refused however
 * its name reaches the gateway), what is held back and why, and the
 * sessions to tell when an approval changes a list.
 */
export class PinLedger {
  readonly counts = { pinned: 0, changed: 0, unlisted: 0, full: 0, approved: 0, refused: 0 }
  readonly #options: LedgerOptions
  readonly #shown = new Map<string, Set<string>>()
  /** Insertion order: past `maxPending` the oldest report is dropped (the tool stays hidden: not shown). */
  readonly #held = new Map<string, Held>()
  readonly #sessions = new Map<string, Set<ClientSession>>()

  constructor(options: LedgerOptions) {
    this.#options = options
  }

  /** Whether a list of `upstream` was judged since it last announced a change. */
  listed(upstream: string): boolean {
    return this.#shown.has(upstream)
  }

  /** `upstream` announced that its list changed: what it showed is no longer known. */
  forget(upstream: string): void {
    this.#shown.delete(upstream)
  }

  /** Whether the latest list of `upstream` showed `tool`. */
  shown(upstream: string, tool: string): boolean {
    return this.#shown.get(upstream)?.has(tool) === true
  }

  /** The tools of one page of `upstream`'s list that clients may see; `first`: the list's first page. */
  async filter(upstream: string, tools: readonly unknown[], first: boolean): Promise<unknown[]> {
    const verdicts = await Promise.all(
      tools.map((tool) => {
        const name = (tool as Record<string, unknown> | null)?.name
        // An item without a name is dropped by the router; nothing can call it.
        return typeof name === 'string'
          ? this.#judge(upstream, name, tool as Record<string, unknown>)
          : true
      }),
    )
    const kept = tools.filter((_, i) => verdicts[i])
    const names = kept.map((tool) => (tool as { name?: unknown } | null)?.name)
    const shown = first ? new Set<string>() : (this.#shown.get(upstream) ?? new Set<string>())
    for (const name of names) if (typeof name === 'string') shown.add(name)
    this.#shown.delete(upstream)
    this.#shown.set(upstream, shown)
    if (this.#shown.size > MAX_UPSTREAMS) this.#shown.delete(this.#shown.keys().next().value!)
    return kept
  }

  async #judge(upstream: string, tool: string, definition: Record<string, unknown>) {
    const { store, lock, strict } = this.#options
    const seen = await hashTool(definition)
    const stored = await store.get(upstream, tool)
    const locked = stored ? undefined : lock?.get(upstream)?.get(tool)
    const pin: PinRecord | undefined =
      stored ?? (locked === undefined ? undefined : { hash: locked })
    if (pin === undefined) {
      if (strict) return this.#hold(upstream, tool, 'unlisted', undefined, seen, undefined)
      if (!(await store.set(upstream, tool, seen))) {
        return this.#hold(upstream, tool, 'full', undefined, seen, undefined)
      }
      this.counts.pinned++
    } else if (pin.hash !== seen.hash) {
      const changed = pin.fields ? changedFields(pin.fields, seen.fields) : undefined
      return this.#hold(upstream, tool, 'changed', pin.hash, seen, changed)
    }
    // Back to what is pinned (an upstream that undid a change): nothing is pending any more.
    this.#held.delete(keyOf(upstream, tool))
    return true
  }

  #hold(
    upstream: string,
    tool: string,
    reason: HoldReason,
    pinned: string | undefined,
    seen: ToolHash,
    changed: readonly PinField[] | undefined,
  ): false {
    const key = keyOf(upstream, tool)
    const known = this.#held.get(key)
    if (known?.seen === seen.hash) return false // reported already
    const held: Held = {
      upstream,
      tool,
      reason,
      pinned,
      seen: seen.hash,
      fields: seen.fields,
      changed,
      since: Date.now(),
    }
    this.#held.delete(key)
    this.#held.set(key, held)
    if (this.#held.size > this.#options.maxPending) {
      this.#held.delete(this.#held.keys().next().value!)
    }
    this.counts[reason]++
    this.#options.log(describe(held))
    return false
  }

  /** What is held back now, oldest first. */
  pending(): PendingTool[] {
    return [...this.#held.values()].map(({ fields: _fields, ...pending }) => pending)
  }

  /**
   * Pin what `upstream` lists as `tool` now, if it is held back (and its hash
   * is `expected`, when given): it is shown and callable again, and the
   * sessions that listed the upstream are told its list changed.
   */
  async approve(upstream: string, tool: string, expected?: string): Promise<boolean> {
    const key = keyOf(upstream, tool)
    const held = this.#held.get(key)
    if (!held || (expected !== undefined && expected !== held.seen)) return false
    const stored = await this.#options.store.set(upstream, tool, {
      hash: held.seen,
      fields: held.fields,
    })
    if (!stored) {
      throw new Error(`[@mcpx/transformers] the pin store is full: "${tool}" was not approved`)
    }
    // A newer definition held meanwhile is not the one approved: it stays held.
    if (this.#held.get(key) === held) this.#held.delete(key)
    this.#shown.get(upstream)?.add(tool)
    this.counts.approved++
    this.#options.log(`tool "${tool}" of upstream "${upstream}" approved (${held.seen})`)
    this.#announce(upstream)
    return true
  }

  /** The session of a list of `upstream`: tell it when an approval changes that list. */
  listener(upstream: string, session: ClientSession | undefined): void {
    if (!session || session.closed) return
    let sessions = this.#sessions.get(upstream)
    if (!sessions) {
      sessions = new Set()
      this.#sessions.set(upstream, sessions)
    }
    if (sessions.has(session)) return
    sessions.add(session)
    const set = sessions
    session.onClose(() => set.delete(session))
    if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.values().next().value!)
  }

  /**
   * `notifications/tools/list_changed` to each session that listed
   * `upstream`, as from that upstream: the router (which re-fetches a list
   * when its upstream announces a change) fetches it again, and the client
   * lists again.
   */
  #announce(upstream: string): void {
    const message: Notification = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' }
    for (const session of this.#sessions.get(upstream) ?? []) {
      if (session.closed) continue
      session.toClient(message, undefined, undefined, upstream).catch((error: unknown) => {
        this.#options.log(`could not tell a client that "${upstream}" changed: ${String(error)}`)
      })
    }
  }

  /** The stats source (kind `'pins'`) named `name`. */
  source(name: string): StatsSource {
    const counter = (help: string) => ({ kind: 'counter' as const, help })
    return {
      kind: 'pins',
      name,
      describe: {
        pending: { kind: 'gauge', help: 'Tools held back until approved.' },
        pinned: counter('Tools pinned on first sight.'),
        changed: counter('Tool definitions found changed since pinned.'),
        unlisted: counter('Tools held back because the lock does not list them.'),
        full: counter('Tools held back because the pin store was full.'),
        approved: counter('Tools approved.'),
        refused: counter('Calls of a tool not shown refused.'),
      },
      read: () => ({ pending: this.#held.size, ...this.counts }),
    }
  }
}

function describe(held: PendingTool): string {
  const tool = `tool "${held.tool}" of upstream "${held.upstream}"`
  const until = `hidden and refused until approved (pins.approve("${held.upstream}", "${held.tool}"))`
  if (held.reason === 'unlisted') return `${tool} is not in the lock: ${until}`
  if (held.reason === 'full') return `${tool} could not be pinned (the pin store is full): ${until}`
  const what = held.changed
    ? `changed ${held.changed.join(', ')}`
    : 'differs from its pin in the lock (which keeps whole hashes: the fields are not known)'
  return `${tool} ${what} (${held.pinned} → ${held.seen}): ${until}`
}
