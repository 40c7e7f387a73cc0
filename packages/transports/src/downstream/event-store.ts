import { positive } from './front-end.js'

/** One SSE event kept for replay. */
export interface StoredEvent {
  /** The stream it was sent on. */
  readonly streamId: string
  /** Its place in that stream: 1, 2, 3, … */
  readonly seq: number
  /** The event's data: one JSON-RPC message. */
  readonly data: string
}

/** UTF-8 length of `text` without encoding it (lone surrogates count as the 3 bytes of U+FFFD). */
export function utf8Length(text: string): number {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) continue
    if (code < 0x800) bytes += 1
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2
        i++
      } else bytes += 2
    } else bytes += 2
  }
  return bytes
}

/**
 * Where a Streamable HTTP front end keeps the SSE events it sent, so that a
 * client whose stream dropped can resume it with `Last-Event-ID`
 * (Streamable HTTP §Resumability and Redelivery). In memory by default
 * ({@link memoryEventStore}); implement it to share events between
 * replicas. Every implementation must be bounded.
 */
export interface EventStore {
  /** Keep event `seq` of stream `streamId` of session `sessionId`. */
  append(sessionId: string, event: StoredEvent): void
  /**
   * The events of `streamId` after `afterSeq`, oldest first, as far as they
   * are still kept. The front end checks that none is missing before it
   * replays them.
   */
  after(sessionId: string, streamId: string, afterSeq: number): readonly StoredEvent[]
  /** Forget one stream's events (its resume window closed). */
  forget(sessionId: string, streamId: string): void
  /** Forget a session's events (the session ended). */
  drop(sessionId: string): void
}

/** Options for {@link memoryEventStore}. */
export interface MemoryEventStoreOptions {
  /** Most events kept per session; the oldest go first. @defaultValue 1000 */
  maxEventsPerSession?: number
  /** Most bytes of event data kept per session. @defaultValue 4 MiB */
  maxBytesPerSession?: number
  /** Most bytes of event data kept in all; the oldest sessions' oldest events go first. @defaultValue 64 MiB */
  maxBytes?: number
}

interface Kept {
  events: StoredEvent[]
  sizes: number[]
  /** Index of the oldest event still kept (evicted ones are dropped in batches). */
  head: number
  bytes: number
}

/** The in-memory store {@link memoryEventStore} returns, with what it holds now. */
export interface MemoryEventStore extends EventStore {
  /** Events and bytes kept now. */
  readonly size: { events: number; bytes: number }
}

/**
 * A bounded in-memory {@link EventStore}: per session at most
 * `maxEventsPerSession` events and `maxBytesPerSession` bytes, and at most
 * `maxBytes` in all, whatever clients do (reconnect churn keeps nothing
 * extra: only events the gateway sent are kept).
 *
 * @example
 * ```ts
 * const mcp = createStreamableHttpHandler(proxy, { eventStore: memoryEventStore({ maxBytes: 16 * 1024 * 1024 }) })
 * ```
 */
export function memoryEventStore(options: MemoryEventStoreOptions = {}): MemoryEventStore {
  return new MemoryStore(
    options.maxEventsPerSession ?? 1000,
    options.maxBytesPerSession ?? 4 * 1024 * 1024,
    options.maxBytes ?? 64 * 1024 * 1024,
  )
}

class MemoryStore implements MemoryEventStore {
  // Map order is insertion order: the first session is the oldest.
  readonly #sessions = new Map<string, Kept>()
  readonly #maxEvents: number
  readonly #maxSessionBytes: number
  readonly #maxBytes: number
  #bytes = 0
  #events = 0

  constructor(maxEvents: number, maxSessionBytes: number, maxBytes: number) {
    positive('maxEventsPerSession', maxEvents)
    positive('maxBytesPerSession', maxSessionBytes)
    positive('maxBytes', maxBytes)
    this.#maxEvents = maxEvents
    this.#maxSessionBytes = maxSessionBytes
    this.#maxBytes = maxBytes
  }

  get size(): { events: number; bytes: number } {
    return { events: this.#events, bytes: this.#bytes }
  }

  append(sessionId: string, event: StoredEvent): void {
    let kept = this.#sessions.get(sessionId)
    if (!kept) {
      kept = { events: [], sizes: [], head: 0, bytes: 0 }
      this.#sessions.set(sessionId, kept)
    }
    const size = utf8Length(event.data)
    kept.events.push(event)
    kept.sizes.push(size)
    kept.bytes += size
    this.#bytes += size
    this.#events++
    while (kept.events.length - kept.head > this.#maxEvents || kept.bytes > this.#maxSessionBytes) {
      if (!this.#evict(sessionId, kept)) break
    }
    while (this.#bytes > this.#maxBytes) {
      const [oldest, first] = this.#sessions.entries().next().value as [string, Kept]
      this.#evict(oldest, first)
    }
  }

  after(sessionId: string, streamId: string, afterSeq: number): readonly StoredEvent[] {
    const kept = this.#sessions.get(sessionId)
    if (!kept) return []
    const found: StoredEvent[] = []
    for (let i = kept.head; i < kept.events.length; i++) {
      const event = kept.events[i]!
      if (event.streamId === streamId && event.seq > afterSeq) found.push(event)
    }
    return found
  }

  forget(sessionId: string, streamId: string): void {
    const kept = this.#sessions.get(sessionId)
    if (!kept) return
    const events: StoredEvent[] = []
    const sizes: number[] = []
    for (let i = kept.head; i < kept.events.length; i++) {
      const event = kept.events[i]!
      const size = kept.sizes[i]!
      if (event.streamId !== streamId) {
        events.push(event)
        sizes.push(size)
        continue
      }
      kept.bytes -= size
      this.#bytes -= size
      this.#events--
    }
    if (events.length === 0) this.#sessions.delete(sessionId)
    else Object.assign(kept, { events, sizes, head: 0 })
  }

  drop(sessionId: string): void {
    const kept = this.#sessions.get(sessionId)
    if (!kept) return
    this.#sessions.delete(sessionId)
    this.#bytes -= kept.bytes
    this.#events -= kept.events.length - kept.head
  }

  /** Drop a session's oldest event; false when that was its last (the session is gone). */
  #evict(id: string, kept: Kept): boolean {
    const size = kept.sizes[kept.head]!
    kept.head++
    kept.bytes -= size
    this.#bytes -= size
    this.#events--
    if (kept.head === kept.events.length) {
      this.#sessions.delete(id)
      return false
    }
    if (kept.head > 64 && kept.head * 2 > kept.events.length) {
      kept.events = kept.events.slice(kept.head)
      kept.sizes = kept.sizes.slice(kept.head)
      kept.head = 0
    }
    return true
  }
}
