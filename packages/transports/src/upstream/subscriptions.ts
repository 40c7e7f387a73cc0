import { ErrorCode, McpxError } from '@mcpx/core'

/** The requests a shared connection answers from its {@link Subscriptions} table. */
export const SUBSCRIPTION_METHODS: ReadonlySet<string> = new Set([
  'resources/subscribe',
  'resources/unsubscribe',
])

/** Sends `resources/subscribe` or `resources/unsubscribe` for one URI upstream. */
export type SendSubscription = (
  method: 'resources/subscribe' | 'resources/unsubscribe',
  uri: string,
) => Promise<unknown>

/** Bounds of a {@link Subscriptions} table. */
export interface SubscriptionLimits {
  /** Most URIs one session may hold. */
  perSession: number
  /** Most distinct URIs in the table. */
  total: number
}

interface Entry<S> {
  readonly sessions: Set<S>
  /** The upstream subscribe, in flight or done; undefined once its connection was lost. */
  upstream: Promise<void> | undefined
}

/**
 * Which sessions of a shared connection are subscribed to which resource
 * URIs (MCP Resources §Subscriptions). The upstream sees one subscription
 * per URI however many sessions hold it: `resources/subscribe` goes up when
 * the first session subscribes, `resources/unsubscribe` when the last one
 * drops it or ends, and each `resources/updated` goes only to the sessions
 * holding its URI. Both directions are bounded by {@link SubscriptionLimits}.
 */
export class Subscriptions<S> {
  readonly #limits: SubscriptionLimits
  readonly #send: SendSubscription
  readonly #log: (line: string) => void
  readonly #byUri = new Map<string, Entry<S>>()
  readonly #bySession = new Map<S, Set<string>>()

  /**
   * @param send sends one subscribe or unsubscribe upstream.
   * @param log takes failed unsubscribes of ended sessions, which no client waits for.
   */
  constructor(limits: SubscriptionLimits, send: SendSubscription, log: (line: string) => void) {
    this.#limits = limits
    this.#send = send
    this.#log = log
  }

  /** What the table holds: distinct URIs, sessions holding any, and (session, URI) pairs. */
  get stats(): { subscribedUris: number; subscribedSessions: number; subscriptions: number } {
    let subscriptions = 0
    for (const uris of this.#bySession.values()) subscriptions += uris.size
    return {
      subscribedUris: this.#byUri.size,
      subscribedSessions: this.#bySession.size,
      subscriptions,
    }
  }

  /** The sessions a `resources/updated` for `uri` goes to. */
  sessionsFor(uri: string): Iterable<S> {
    return this.#byUri.get(uri)?.sessions ?? []
  }

  /**
   * Subscribe `session` to `uri`, sending the upstream subscribe if it is
   * the first. Resolves once the upstream accepted it; a session's repeated
   * subscribe waits for the same answer and changes nothing.
   */
  subscribe(session: S, uri: string): Promise<void> {
    const mine = this.#bySession.get(session)
    let entry = this.#byUri.get(uri)
    if (entry && mine?.has(uri)) return entry.upstream ?? Promise.resolve()
    if ((mine?.size ?? 0) >= this.#limits.perSession) {
      return overloaded(`A session may subscribe to at most ${this.#limits.perSession} resources`)
    }
    if (!entry) {
      if (this.#byUri.size >= this.#limits.total) {
        return overloaded('The gateway holds as many resource subscriptions as it may')
      }
      entry = { sessions: new Set(), upstream: undefined }
      this.#byUri.set(uri, entry)
    }
    // A new URI, or one whose subscription was lost with its connection: subscribe (again) now.
    if (!entry.upstream) this.#subscribe(uri, entry, this.#send)
    entry.sessions.add(session)
    if (mine) mine.add(uri)
    else this.#bySession.set(session, new Set([uri]))
    return entry.upstream ?? Promise.resolve()
  }

  /** Drop `session`'s subscription to `uri`; the last one out sends the upstream unsubscribe. */
  async unsubscribe(session: S, uri: string): Promise<void> {
    if (this.#release(session, uri)) await this.#send('resources/unsubscribe', uri)
  }

  /** Forget every subscription of `session` (it ended), unsubscribing upstream what no one holds now. */
  drop(session: S): void {
    for (const uri of [...(this.#bySession.get(session) ?? [])]) {
      if (!this.#release(session, uri)) continue
      this.#send('resources/unsubscribe', uri).catch((error: unknown) =>
        this.#log(`could not unsubscribe from ${uri}: ${(error as Error).message}`),
      )
    }
  }

  /** The connection the subscriptions were made on is gone: each must be made again. */
  lost(): void {
    for (const entry of this.#byUri.values()) entry.upstream = undefined
  }

  /** Subscribe upstream again, on a new connection, to every URI whose subscription was lost. */
  renew(send: SendSubscription): void {
    for (const [uri, entry] of this.#byUri) if (!entry.upstream) this.#subscribe(uri, entry, send)
  }

  /** Forget everything (the upstream is closing). */
  clear(): void {
    this.#byUri.clear()
    this.#bySession.clear()
  }

  /** An upstream refusal unsubscribes everyone waiting on it: they all get the error. */
  #subscribe(uri: string, entry: Entry<S>, send: SendSubscription): void {
    const upstream = send('resources/subscribe', uri).then(() => {})
    entry.upstream = upstream
    upstream.catch(() => {
      // Still this URI's attempt (or lost with its connection, not yet renewed):
      // everyone waiting on it got the error, so no one holds the subscription.
      const current = entry.upstream === upstream || entry.upstream === undefined
      if (this.#byUri.get(uri) !== entry || !current) return
      for (const session of [...entry.sessions]) this.#release(session, uri)
    })
  }

  /** Remove one pair; true when it was the URI's last. */
  #release(session: S, uri: string): boolean {
    const mine = this.#bySession.get(session)
    if (!mine?.delete(uri)) return false
    if (mine.size === 0) this.#bySession.delete(session)
    const entry = this.#byUri.get(uri)!
    entry.sessions.delete(session)
    if (entry.sessions.size > 0) return false
    this.#byUri.delete(uri)
    return true
  }
}

/** The gateway's own limit (-32011), not the upstream's: the client may retry later. */
function overloaded(message: string): Promise<never> {
  return Promise.reject(new McpxError(ErrorCode.Overloaded, message))
}
