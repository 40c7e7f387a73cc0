import type { ClientSession, Notification, StatsSource } from '@mcpx/core'
import { changedFields, hashTool, type PinField, type ToolHash } from './pin-hash.js'
import {
  lockInForce,
  type PinLock,
  type PinRecord,
  type PinStore,
  pinInForce,
} from './pin-store.js'

/** Why a tool is held back from clients. */
export type HoldReason =
  /** Its definition differs from the pinned one. */
  | 'changed'
  /** Strict lock: the lock does not list it. */
  | 'unlisted'
  /** The pin store was full when it was first seen: it could not be pinned. */
  | 'full'
  /**
   * Its definition cannot be fingerprinted (nested deeper than 256, or not
   * JSON): nothing can approve it; it shows again once its upstream serves
   * one that can be.
   */
  | 'unhashable'

/** A tool held back until approved, as `pins.list()` returns it. */
export interface PendingTool {
  /**
   * What the pin is keyed by, and what `approve` takes: the router entry
   * (its name in the router's `upstreams`, core's `Target.group`), or the
   * upstream's name where no router set one.
   */
  readonly upstream: string
  /** The upstream that listed this definition, as `forward()` knows it: the replica's name, or `upstream` itself. */
  readonly replica: string
  /** The tool's name as its upstream lists it. */
  readonly tool: string
  readonly reason: HoldReason
  /** The pinned hash (undefined when nothing was pinned). */
  readonly pinned: string | undefined
  /** The hash of the definition the replica lists now: what `approve` pins (`''` when `unhashable`). */
  readonly seen: string
  /** The fields that differ from the pin; undefined when the pin came from a lock (whole hashes only). */
  readonly changed: readonly PinField[] | undefined
  /** When it was first held back with this definition (ms since the epoch). */
  readonly since: number
}

/** Where a list came from: the pins' key (the router entry), and the replica that served it. */
export interface Origin {
  readonly entry: string
  readonly replica: string
}

/** What an unhashable definition is held with: no hash to pin (approve skips it). */
const UNHASHABLE: ToolHash = { hash: '', fields: {} }

interface Held extends PendingTool {
  readonly fields: ToolHash['fields']
}

/** What {@link PinLedger} is given by `pinTools()`. */
export interface LedgerOptions {
  readonly store: PinStore
  readonly lock: ReadonlyMap<string, ReadonlyMap<string, string>> | undefined
  /** The lock's digest: the mark of a pin made under it (`PinRecord.lock`). */
  readonly lockDigest: Promise<string> | undefined
  readonly strict: boolean
  readonly maxPending: number
  readonly log: (line: string) => void
}

/** Upstream names come from the configuration: this bound is a guard, not a cache. */
const MAX_UPSTREAMS = 1024
/** Sessions remembered per entry, to be told of an approval. */
const MAX_SESSIONS = 1024

const keyOf = (...parts: string[]) => parts.join('\u0000')

/** The sessions that listed one entry, each with the remover of its close listener. */
interface Listeners {
  /** A replica of the entry, named as the source of `list_changed` (the router maps it to the entry). */
  source: string
  readonly sessions: Map<ClientSession, () => void>
}

/**
 * `pinTools()`'s state: which tools each replica's latest list showed
 * (calls of anything else are refused, so a held tool stays refused however
 * its name reaches the gateway), what is held back and why, and the
 * sessions to tell when an approval changes a list. Pins are the entry's:
 * every replica of it must serve the pinned definition.
 */
export class PinLedger {
  readonly counts = {
    pinned: 0,
    changed: 0,
    unlisted: 0,
    full: 0,
    unhashable: 0,
    approved: 0,
    refused: 0,
  }
  readonly #options: LedgerOptions
  /** By entry and replica. */
  readonly #shown = new Map<string, Origin & { readonly tools: Set<string> }>()
  /** By entry, tool and replica; insertion order: past `maxPending` the oldest report is dropped (the tool stays hidden: not shown). */
  readonly #held = new Map<string, Held>()
  readonly #listeners = new Map<string, Listeners>()
  /** One entry's lists are judged one after another: two replicas' first sights must not both pin. */
  readonly #turns = new Map<string, Promise<unknown>>()

  constructor(options: LedgerOptions) {
    this.#options = options
  }

  /** Whether a list of `origin` was judged since it last announced a change. */
  listed(origin: Origin): boolean {
    return this.#shown.has(keyOf(origin.entry, origin.replica))
  }

  /** The upstream `replica` announced that its list changed: what it showed is no longer known. */
  forget(replica: string): void {
    for (const [key, shown] of this.#shown) if (shown.replica === replica) this.#shown.delete(key)
  }

  /** Whether the latest list of `origin` showed `tool`. */
  shown(origin: Origin, tool: string): boolean {
    return this.#shown.get(keyOf(origin.entry, origin.replica))?.tools.has(tool) === true
  }

  /** The tools of one page of `origin`'s list that clients may see; `first`: the list's first page. */
  filter(origin: Origin, tools: readonly unknown[], first: boolean): Promise<unknown[]> {
    const previous = this.#turns.get(origin.entry) ?? Promise.resolve()
    const turn = previous.then(() => this.#filter(origin, tools, first))
    const done = turn.catch(() => {})
    this.#turns.set(origin.entry, done)
    done.then(() => {
      if (this.#turns.get(origin.entry) === done) this.#turns.delete(origin.entry)
    })
    return turn
  }

  async #filter(origin: Origin, tools: readonly unknown[], first: boolean): Promise<unknown[]> {
    const verdicts = await Promise.all(
      tools.map((tool) => {
        const name = (tool as Record<string, unknown> | null)?.name
        // An item without a name is dropped by the router; nothing can call it.
        return typeof name === 'string'
          ? this.#judge(origin, name, tool as Record<string, unknown>)
          : true
      }),
    )
    const kept = tools.filter((_, i) => verdicts[i])
    const key = keyOf(origin.entry, origin.replica)
    const shown = (!first && this.#shown.get(key)?.tools) || new Set<string>()
    for (const tool of kept) {
      const name = (tool as { name?: unknown } | null)?.name
      if (typeof name === 'string') shown.add(name)
    }
    this.#shown.delete(key)
    this.#shown.set(key, { ...origin, tools: shown })
    if (this.#shown.size > MAX_UPSTREAMS) this.#shown.delete(this.#shown.keys().next().value!)
    return kept
  }

  /** The pin `tool` of `entry` is judged by: the lock's or the store's (see {@link pinInForce}). */
  async #pinOf(entry: string, tool: string): Promise<PinRecord | undefined> {
    const { store, lock, lockDigest, strict } = this.#options
    const stored = await store.get(entry, tool)
    if (lock === undefined) return stored
    return pinInForce(stored, lock.get(entry)?.get(tool), await lockDigest, strict)
  }

  /** A record of `seen`, marked with the lock it was pinned under. */
  async #record(seen: ToolHash): Promise<PinRecord> {
    const lock = await this.#options.lockDigest
    return lock === undefined
      ? { hash: seen.hash, fields: seen.fields }
      : { hash: seen.hash, fields: seen.fields, lock }
  }

  async #judge(origin: Origin, tool: string, definition: Record<string, unknown>) {
    const { entry, replica } = origin
    const pin = await this.#pinOf(entry, tool)
    let seen: ToolHash
    try {
      seen = await hashTool(definition)
    } catch {
      // One hostile definition holds back its tool, not the upstream's whole list.
      return this.#hold(origin, tool, 'unhashable', pin?.hash, UNHASHABLE)
    }
    if (pin === undefined) {
      if (this.#options.strict) return this.#hold(origin, tool, 'unlisted', undefined, seen)
      if (!(await this.#options.store.set(entry, tool, await this.#record(seen)))) {
        return this.#hold(origin, tool, 'full', undefined, seen)
      }
      this.counts.pinned++
    } else if (pin.hash !== seen.hash) {
      const changed = pin.fields ? changedFields(pin.fields, seen.fields) : undefined
      return this.#hold(origin, tool, 'changed', pin.hash, seen, changed)
    }
    // Back to what is pinned (a replica that undid a change): nothing of it is pending any more.
    this.#held.delete(keyOf(entry, tool, replica))
    return true
  }

  #hold(
    origin: Origin,
    tool: string,
    reason: HoldReason,
    pinned: string | undefined,
    seen: ToolHash,
    changed?: readonly PinField[],
  ): false {
    const key = keyOf(origin.entry, tool, origin.replica)
    const known = this.#held.get(key)
    if (known?.seen === seen.hash) return false // reported already
    const held: Held = {
      upstream: origin.entry,
      replica: origin.replica,
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
   * Pin the definition of `tool` that a replica of `entry` lists now, if it
   * is held back (the one whose hash is `expected`, when given; without it,
   * the replicas holding it back must agree on one): the replicas that list
   * it show it again, the others are listed again before their next call
   * (they served the old pin), and the sessions that listed the entry are
   * told its list changed.
   */
  async approve(entry: string, tool: string, expected?: string): Promise<boolean> {
    const matching = (held: Held) =>
      held.upstream === entry &&
      held.tool === tool &&
      held.reason !== 'unhashable' &&
      (expected ?? held.seen) === held.seen
    const candidates = [...this.#held.values()].filter(matching)
    if (candidates.length === 0) return false
    const hashes = [...new Set(candidates.map((held) => held.seen))]
    if (hashes.length > 1) {
      throw new Error(
        `[@mcpx/transformers] the replicas of "${entry}" serve ${hashes.length} definitions of "${tool}" (${hashes.join(', ')}): pass the hash to approve`,
      )
    }
    const chosen = candidates[0]!
    const record = await this.#record({ hash: chosen.seen, fields: chosen.fields })
    if (!(await this.#options.store.set(entry, tool, record))) {
      throw new Error(`[@mcpx/transformers] the pin store is full: "${tool}" was not approved`)
    }
    // A newer definition held meanwhile is not the one approved: it stays held.
    const approved = new Set<string>()
    for (const [key, held] of this.#held) {
      if (held.upstream !== entry || held.tool !== tool || held.seen !== chosen.seen) continue
      this.#held.delete(key)
      approved.add(held.replica)
    }
    for (const [key, shown] of this.#shown) {
      if (shown.entry !== entry) continue
      if (approved.has(shown.replica)) shown.tools.add(tool)
      else this.#shown.delete(key)
    }
    this.counts.approved++
    this.#options.log(`tool "${tool}" of upstream "${entry}" approved (${chosen.seen})`)
    this.#announce(entry)
    return true
  }

  /** The pins in force, as a lock. */
  async lock(): Promise<PinLock> {
    const { store, lock, lockDigest, strict } = this.#options
    return lockInForce(lock, await lockDigest, strict, await store.entries())
  }

  /** The session of a list from `origin`: tell it when an approval changes its entry's list. */
  listener(origin: Origin, session: ClientSession | undefined): void {
    if (!session || session.closed) return
    let listeners = this.#listeners.get(origin.entry)
    if (!listeners) {
      listeners = { source: origin.replica, sessions: new Map() }
      this.#listeners.set(origin.entry, listeners)
      if (this.#listeners.size > MAX_UPSTREAMS) {
        const [oldest, dropped] = this.#listeners.entries().next().value!
        for (const remove of dropped.sessions.values()) remove()
        this.#listeners.delete(oldest)
      }
    }
    listeners.source = origin.replica
    const { sessions } = listeners
    if (sessions.has(session)) return
    sessions.set(
      session,
      session.onClose(() => sessions.delete(session)),
    )
    if (sessions.size > MAX_SESSIONS) {
      // The oldest is forgotten, and so is its close listener: a session that lists again is
      // added again, and must not leave one more listener behind each time.
      const [oldest, remove] = sessions.entries().next().value!
      remove()
      sessions.delete(oldest)
    }
  }

  /**
   * `notifications/tools/list_changed` to each session that listed
   * `entry`, as from a replica of it: the router (which re-fetches an
   * entry's list when one of its replicas announces a change) fetches it
   * again, and the client lists again.
   */
  #announce(entry: string): void {
    const listeners = this.#listeners.get(entry)
    if (!listeners) return
    const message: Notification = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' }
    for (const session of listeners.sessions.keys()) {
      if (session.closed) continue
      session.toClient(message, undefined, undefined, listeners.source).catch((error: unknown) => {
        this.#options.log(`could not tell a client that "${entry}" changed: ${String(error)}`)
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
  const replica = held.replica === held.upstream ? '' : ` (replica "${held.replica}")`
  const tool = `tool "${held.tool}" of upstream "${held.upstream}"${replica}`
  const until = `hidden and refused until approved (pins.approve("${held.upstream}", "${held.tool}"))`
  // The hash listed now, so that a reviewer can approve it, or write it into the lock.
  if (held.reason === 'unlisted') return `${tool} is not in the lock (${held.seen}): ${until}`
  if (held.reason === 'full') {
    return `${tool} could not be pinned (the pin store is full; ${held.seen}): ${until}`
  }
  if (held.reason === 'unhashable') {
    return `${tool} cannot be fingerprinted (nested deeper than 256, a cycle, or not JSON): hidden and refused until its upstream serves a definition that can be`
  }
  const what = held.changed
    ? `changed ${held.changed.join(', ')}`
    : 'differs from its pin in the lock (which keeps whole hashes: the fields are not known)'
  return `${tool} ${what} (${held.pinned} → ${held.seen}): ${until}`
}
