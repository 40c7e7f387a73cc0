import type { AbortSource, Notification, Request, RequestId } from '@mcpx/core'
import { ErrorCode, McpxError } from '@mcpx/core'
import type { Params, Result } from '../protocol/peer.js'
import type { Session } from '../protocol/session.js'
import { ListChangedDebouncer } from './list-changed.js'
import type { Router } from './routing.js'
import { type SendSubscription, Subscriptions } from './subscriptions.js'
import { TaskOwners } from './task-owners.js'

const SUBSCRIBE = 'resources/subscribe'

/** Options for {@link SessionRoutes}. */
export interface SessionRoutesOptions {
  /** The upstream's configured name, for errors and logs. */
  upstream: string
  /** Most resource URIs one session may be subscribed to at once. */
  maxSubscriptionsPerSession: number
  /** Most distinct resource URIs subscribed upstream at once. */
  maxSubscriptions: number
  /** Milliseconds over which list changes are coalesced per session and method (0: none). */
  listChangedDebounce: number
  /** Most tasks whose statuses are routed to their creators (oldest forgotten first). @defaultValue 10000 */
  maxTasks?: number
  /** Sends one subscribe or unsubscribe upstream, on the connection that holds the subscriptions. */
  sendSubscription: SendSubscription
  /** Diagnostics (undeliverable notifications, failed unsubscribes). */
  log(line: string): void
  /** Called once when a watched session ends, after its routes are dropped. */
  onSessionClose?(session: Session): void
}

/** The routing fields of `UpstreamStats`. */
export interface SessionRoutesStats {
  sessions: number
  subscribedUris: number
  subscribedSessions: number
  subscriptions: number
  tasks: number
  pendingListChanged: number
  serverRequests: number
}

/**
 * Where the server-initiated messages of one upstream's connections go: the
 * sessions using it, their resource subscriptions (one upstream subscription
 * per URI), coalesced list changes and the owners of tasks. Everything kept
 * for a session is dropped when it ends (one `onClose` listener per session).
 * The connections' handlers deliver here (`sharedHandlers`, `ownerHandlers`).
 */
export class SessionRoutes implements Router {
  readonly upstream: string
  readonly sessions = new Set<Session>()
  readonly #subscriptions: Subscriptions<Session>
  readonly #listChanged: ListChangedDebouncer<Session>
  readonly #tasks: TaskOwners<Session>
  readonly #log: (line: string) => void
  readonly #onSessionClose: ((session: Session) => void) | undefined
  #serverRequests = 0

  constructor(options: SessionRoutesOptions) {
    this.upstream = options.upstream
    this.#log = options.log
    this.#onSessionClose = options.onSessionClose
    this.#subscriptions = new Subscriptions(
      { perSession: options.maxSubscriptionsPerSession, total: options.maxSubscriptions },
      options.sendSubscription,
      options.log,
    )
    this.#listChanged = new ListChangedDebouncer(options.listChangedDebounce, (session, message) =>
      this.notify(session, message, undefined),
    )
    this.#tasks = new TaskOwners(options.maxTasks ?? 10_000)
  }

  get stats(): SessionRoutesStats {
    return {
      sessions: this.sessions.size,
      ...this.#subscriptions.stats,
      tasks: this.#tasks.size,
      pendingListChanged: this.#listChanged.pendingCount,
      serverRequests: this.#serverRequests,
    }
  }

  /** Keep routes for `session` until it ends: one listener per session. */
  watch(session: Session): void {
    if (this.sessions.has(session)) return
    this.sessions.add(session)
    session.onClose(() => {
      this.sessions.delete(session)
      this.#listChanged.drop(session)
      this.#subscriptions.drop(session)
      this.#tasks.drop(session)
      this.#onSessionClose?.(session)
    })
  }

  /**
   * Answer `resources/subscribe` or `resources/unsubscribe` from `session`
   * (MCP Resources §Subscriptions): the upstream sees one subscription per
   * URI whatever the number of sessions holding it.
   */
  async subscription(session: Session, method: string, params: Params): Promise<Result> {
    const uri = params?.uri
    if (typeof uri !== 'string') {
      throw new McpxError(ErrorCode.InvalidParams, `${method} needs a uri`)
    }
    if (session.closed) throw new McpxError(ErrorCode.ConnectionClosed, 'Session closed')
    this.watch(session)
    if (method === SUBSCRIBE) await this.#subscriptions.subscribe(session, uri)
    else await this.#subscriptions.unsubscribe(session, uri)
    return {}
  }

  /** A request from `session` created a task (a CreateTaskResult): its statuses go to `session`. */
  taskCreated(session: Session, result: unknown): void {
    const taskId = (result as { task?: { taskId?: unknown } } | undefined)?.task?.taskId
    if (typeof taskId !== 'string') return
    this.watch(session)
    this.#tasks.record(taskId, session)
  }

  /** The connection holding the subscriptions closed: they are gone upstream. */
  lostSubscriptions(): void {
    this.#subscriptions.lost()
  }

  /** A new connection takes over the subscriptions its predecessor lost. */
  renewSubscriptions(send: SendSubscription): void {
    this.#subscriptions.renew(send)
  }

  /** Forget every session and route (the upstream is closing). */
  clear(): void {
    this.sessions.clear()
    this.#subscriptions.clear()
    this.#listChanged.clear()
    this.#tasks.clear()
  }

  log(line: string): void {
    this.#log(line)
  }

  subscribers(uri: string): Iterable<Session> {
    return this.#subscriptions.sessionsFor(uri)
  }

  taskOwner(taskId: unknown, status: unknown): Session | undefined {
    return this.#tasks.ownerOf(taskId, status)
  }

  listChanged(session: Session, message: Notification): void {
    this.#listChanged.push(session, message)
  }

  notify(session: Session, message: Notification, related: RequestId | undefined): void {
    session.toClient(message, related, undefined, this.upstream).catch((error: unknown) => {
      this.#log(`could not deliver ${message.method}: ${(error as Error).message}`)
    })
  }

  async deliver(
    session: Session,
    message: Request,
    related: RequestId | undefined,
    signal: AbortSource,
  ): Promise<Result> {
    this.#serverRequests++
    try {
      return (await session.toClient(message, related, signal, this.upstream)) ?? {}
    } finally {
      this.#serverRequests--
    }
  }
}
