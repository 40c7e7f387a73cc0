import { fail, integer, options as known } from './validate.js'

/** One pinned tool definition. */
export interface PinRecord {
  /** The whole definition's hash (`sha256:` and 64 hex digits). */
  readonly hash: string
  /** Each field's hash, to tell which changed; a lock keeps whole hashes only, so a pin from one has none. */
  readonly fields?: Readonly<Record<string, string>>
  /**
   * The digest of the lock in force when it was pinned (approved, or first
   * seen in non-strict mode); none without a lock. With a lock, only a pin
   * made under that same lock beats it: one from before the lock was loaded
   * does not (the README, "The lock and the store").
   */
  readonly lock?: string
}

/** One entry of {@link PinStore.entries}. */
export interface PinEntry {
  /** The router entry (core's `Target.group`), or the upstream's name without a router. */
  readonly upstream: string
  readonly tool: string
  readonly record: PinRecord
}

/**
 * Where `pinTools()` keeps the definitions it trusts. Every method may
 * answer at once or with a promise, so that a shared store (Redis, issue 16)
 * fits the same interface: replicas that share one agree on what is
 * approved.
 */
export interface PinStore {
  /** The pin of `upstream`'s `tool` (`upstream`: the router entry, or the upstream without a router), if it has one. */
  get(upstream: string, tool: string): PinRecord | undefined | Promise<PinRecord | undefined>
  /** Pin (or re-pin) a definition; false when the store is full and a new pin was not kept. */
  set(upstream: string, tool: string, record: PinRecord): boolean | Promise<boolean>
  /** Forget a pin: the tool's next definition is trusted on first use again. */
  delete(upstream: string, tool: string): void | Promise<void>
  /** Every pin, for writing a lock. */
  entries(): readonly PinEntry[] | Promise<readonly PinEntry[]>
}

/** Options of {@link memoryPinStore}. */
export interface MemoryPinStoreOptions {
  /**
   * The most pins kept. Past it a new tool is not pinned (and so hidden and
   * refused), and pins are never evicted: tool names come from upstreams,
   * and an upstream that lists thousands of junk names must not push out
   * the pin of a real tool so that its changed definition is trusted again.
   * @defaultValue 10000
   */
  readonly maxPins?: number
}

/**
 * Pins in this process's memory, bounded by `maxPins`, failing closed past it.
 *
 * @example
 * ```ts
 * const pins = pinTools({ store: memoryPinStore({ maxPins: 50_000 }) })
 * ```
 */
export function memoryPinStore(options: MemoryPinStoreOptions = {}): PinStore {
  const o = known('', options, ['maxPins'], 'memoryPinStore() options')
  const maxPins = integer('maxPins', o.maxPins, 10_000, 1)
  const pins = new Map<string, Map<string, PinRecord>>()
  let size = 0
  return {
    get: (upstream, tool) => pins.get(upstream)?.get(tool),
    set(upstream, tool, record) {
      let tools = pins.get(upstream)
      if (!tools?.has(tool)) {
        if (size >= maxPins) return false
        size++
      }
      if (!tools) {
        tools = new Map()
        pins.set(upstream, tools)
      }
      tools.set(tool, record)
      return true
    },
    delete(upstream, tool) {
      if (pins.get(upstream)?.delete(tool)) size--
    },
    entries() {
      const all: PinEntry[] = []
      for (const [upstream, tools] of pins) {
        for (const [tool, record] of tools) all.push({ upstream, tool, record })
      }
      return all
    },
  }
}

/**
 * The tools a deployment approved, as a lock file holds them: per upstream
 * (the router entry: every replica of it must serve the pinned definition),
 * per tool, the definition's hash. Keep it in the repository: a change
 * to it is a reviewed change to what the gateway serves.
 */
export interface PinLock {
  readonly version: 1
  readonly tools: Readonly<Record<string, Readonly<Record<string, string>>>>
}

const HASH = /^sha256:[0-9a-f]{64}$/

/** `lock` if it is a well-formed {@link PinLock}, else a TypeError naming what is wrong (`option` is its path). */
export function checkPinLock(lock: unknown, option = 'lock'): PinLock {
  const o = known(option, lock as PinLock, ['version', 'tools'])
  if (lock === undefined || o.version !== 1) fail(`${option}.version`, '1')
  const tools = o.tools
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
    fail(`${option}.tools`, 'an object keyed by upstream name')
  }
  for (const [upstream, byTool] of Object.entries(tools)) {
    const at = `${option}.tools.${upstream}`
    if (typeof byTool !== 'object' || byTool === null || Array.isArray(byTool)) {
      fail(at, 'an object keyed by tool name')
    }
    for (const [tool, hash] of Object.entries(byTool)) {
      if (typeof hash !== 'string' || !HASH.test(hash))
        fail(`${at}.${tool}`, 'sha256: and 64 hex digits')
    }
  }
  return lock as PinLock
}

/** `lock`'s hashes by upstream and tool (own properties only: names come from upstreams). */
export function lockHashes(lock: PinLock): Map<string, Map<string, string>> {
  return new Map(
    Object.entries(lock.tools).map(([upstream, tools]) => [
      upstream,
      new Map(Object.entries(tools)),
    ]),
  )
}

/** A lock of `entries`, upstreams and tools in name order (a stable file to diff). */
export function lockOf(entries: Iterable<PinEntry>): PinLock {
  const sorted = [...entries].sort(
    (a, b) => compare(a.upstream, b.upstream) || compare(a.tool, b.tool),
  )
  // Maps, then own properties: a tool named `__proto__` must stay a tool.
  const byUpstream = new Map<string, [string, string][]>()
  for (const { upstream, tool, record } of sorted) {
    const list = byUpstream.get(upstream) ?? []
    list.push([tool, record.hash])
    byUpstream.set(upstream, list)
  }
  const tools = Object.fromEntries(
    [...byUpstream].map(([upstream, list]) => [upstream, Object.fromEntries(list)]),
  )
  return { version: 1, tools }
}

/**
 * The pin in force for one tool, given a lock: a pin `stored` under that
 * same lock (`digest`: an approval since it was loaded) beats it, and the
 * lock's hash (`locked`) beats any other stored pin: the lock is reviewed,
 * an approval or first sight from before it is not. In `strict` mode a tool
 * the lock does not list has no pin but one stored under the lock.
 */
export function pinInForce(
  stored: PinRecord | undefined,
  locked: string | undefined,
  digest: string | undefined,
  strict: boolean,
): PinRecord | undefined {
  if (stored !== undefined && stored.lock === digest) return stored
  if (locked !== undefined) return { hash: locked }
  return strict ? undefined : stored
}

/** The pins in force (as {@link pinInForce} judges them) as a lock; without a `lock`, the store's. */
export function lockInForce(
  lock: ReadonlyMap<string, ReadonlyMap<string, string>> | undefined,
  digest: string | undefined,
  strict: boolean,
  stored: readonly PinEntry[],
): PinLock {
  const key = (upstream: string, tool: string) => `${upstream}\u0000${tool}`
  const entries = new Map<string, PinEntry>()
  for (const [upstream, tools] of lock ?? []) {
    for (const [tool, hash] of tools)
      entries.set(key(upstream, tool), { upstream, tool, record: { hash } })
  }
  for (const entry of stored) {
    const at = key(entry.upstream, entry.tool)
    const beats = lock === undefined || entry.record.lock === digest
    if (beats || (!strict && !entries.has(at))) entries.set(at, entry)
  }
  return lockOf(entries.values())
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
