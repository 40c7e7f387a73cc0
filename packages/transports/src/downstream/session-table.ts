import { ErrorCode, McpxError } from '@mcpx/core'

/** What a front end keeps per session in its {@link SessionTable}. */
export interface TableEntry {
  /** Milliseconds since the epoch of the last request on the session. */
  lastActive: number
  /** The identity the session is bound to (see `FrontEndOptions.identityOf`). */
  readonly identity: string
  /** Whether the session may expire now (nothing open holds it). */
  idle(): boolean
  /** A keep-alive on whatever long-lived stream the session has. */
  ping(): void
  /** End the session and everything it holds; `reason` is the error message open requests get. */
  close(reason?: string): void
}

/** Options for {@link SessionTable}. */
export interface SessionTableOptions {
  maxSessions: number
  /** Milliseconds without a request before an idle session ends; 0 never. */
  idleTimeout: number
  /** Milliseconds between keep-alives; 0 sends none. */
  keepAliveInterval: number
}

/**
 * The sessions of one front end: the map, the session cap, id minting, one
 * timer for idle expiry and keep-alives, and closing them all. Every network
 * front end (Streamable HTTP on node and on fetch, legacy SSE, WebSocket)
 * keeps its sessions here.
 */
export class SessionTable<E extends TableEntry> {
  readonly #entries = new Map<string, E>()
  readonly #options: SessionTableOptions
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(options: SessionTableOptions) {
    this.#options = options
    const { idleTimeout, keepAliveInterval } = options
    const tick = Math.min(
      idleTimeout || Number.POSITIVE_INFINITY,
      keepAliveInterval || Number.POSITIVE_INFINITY,
      60_000,
    )
    if (idleTimeout > 0 || keepAliveInterval > 0) {
      this.#timer = setInterval(() => this.#sweep(), tick)
      // A front end's timer must not keep the process alive after everything else ended.
      ;(this.#timer as { unref?: () => void }).unref?.()
    }
  }

  get size(): number {
    return this.#entries.size
  }

  /** The ids of the sessions open now. */
  ids(): IterableIterator<string> {
    return this.#entries.keys()
  }

  get(id: string): E | undefined {
    return this.#entries.get(id)
  }

  /**
   * A fresh session id, or the error to refuse a new session with when the
   * table is full. Streamable HTTP §Session Management: globally unique and
   * cryptographically secure (144 random bits).
   */
  mint(): string | McpxError {
    if (this.#entries.size >= this.#options.maxSessions) {
      return new McpxError(ErrorCode.Overloaded, 'Service Unavailable: too many sessions', {
        headers: { 'retry-after': '5' },
      })
    }
    const bytes = crypto.getRandomValues(new Uint8Array(18))
    let binary = ''
    for (const byte of bytes) binary += String.fromCharCode(byte)
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_')
  }

  /** Keep `entry` under `id`; it leaves the table when it is deleted or closed here. */
  add(id: string, entry: E): void {
    this.#entries.set(id, entry)
  }

  /** Forget `id` if it still names `entry` (the entry closed itself). */
  forget(id: string, entry: E): void {
    if (this.#entries.get(id) === entry) this.#entries.delete(id)
  }

  /** Remove and close one session. */
  end(id: string, reason?: string): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    this.#entries.delete(id)
    entry.close(reason)
  }

  /** Close every session and stop the timer; `reason` is the error message open requests get. */
  close(reason?: string): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
    for (const id of [...this.#entries.keys()]) this.end(id, reason)
  }

  #sweep(): void {
    const { idleTimeout, keepAliveInterval } = this.#options
    const cutoff = Date.now() - idleTimeout
    for (const [id, entry] of this.#entries) {
      if (idleTimeout > 0 && entry.lastActive < cutoff && entry.idle()) this.end(id)
      else if (keepAliveInterval > 0) entry.ping()
    }
  }
}
