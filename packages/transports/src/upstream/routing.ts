import {
  type AbortSource,
  ErrorCode,
  McpxError,
  type Notification,
  type Request,
  type RequestId,
} from '@mcpx/core'
import type { Result } from '../protocol/peer.js'
import type { Session } from '../protocol/session.js'
import type { ServerMessageHandlers, UpstreamConnection } from './connection.js'
import { LIST_CHANGED } from './list-changed.js'

/** Who a forwarded request came from: the `related` data of upstream requests. */
export interface Origin {
  session: Session | undefined
  id: RequestId | undefined
}

/** What the handlers of an upstream's connections deliver to. */
export interface Router {
  /** Every session using the shared connection. */
  readonly sessions: Iterable<Session>
  /** The sessions subscribed to `uri` on the shared connection. */
  subscribers(uri: string): Iterable<Session>
  /** The session that created a task on the shared connection, for its status notifications. */
  taskOwner(taskId: unknown, status: unknown): Session | undefined
  /** A list change for `session`, coalesced. */
  listChanged(session: Session, message: Notification): void
  /** A notification for `session`, now. */
  notify(session: Session, message: Notification, related: RequestId | undefined): void
  /** A server request for `session`, answered by its client. */
  deliver(
    session: Session,
    message: Request,
    related: RequestId | undefined,
    signal: AbortSource,
  ): Promise<Result>
  /** The upstream's name, for errors. */
  readonly upstream: string
  /** Diagnostics (messages no session could take). */
  log(line: string): void
}

const UPDATED = 'notifications/resources/updated'
const TASK_STATUS = 'notifications/tasks/status'

/** Shared connection: deliver by relation, list changes to all, updates to subscribers. */
export function sharedHandlers(router: Router): ServerMessageHandlers {
  return {
    request: async (message, signal, related) => {
      const origin = related as Origin | undefined
      if (!origin?.session) throw unroutable(router.upstream, message)
      return router.deliver(origin.session, message, origin.id, signal)
    },
    notification: (message, related) => {
      routeShared(router, message, related as Origin | undefined)
    },
  }
}

/** A notification on a connection many sessions use; false when it concerns none of them. */
function routeShared(router: Router, message: Notification, origin: Origin | undefined): boolean {
  const idFor = (session: Session) => (session === origin?.session ? origin.id : undefined)
  // A list change concerns everyone on the connection, even when the server sent it while serving one of them.
  if (LIST_CHANGED.has(message.method)) {
    for (const session of router.sessions) router.listChanged(session, message)
  } else if (message.method === UPDATED) {
    // MCP Resources §Subscriptions: only the sessions that subscribed to this URI.
    const uri = message.params?.uri
    const subscribers = typeof uri === 'string' ? [...router.subscribers(uri)] : []
    for (const session of subscribers) router.notify(session, message, idFor(session))
  } else if (message.method === TASK_STATUS) {
    // MCP Tasks: a status belongs to the session that created the task, whatever request it arrives with.
    const owner = router.taskOwner(message.params?.taskId, message.params?.status)
    if (owner) router.notify(owner, message, idFor(owner))
  } else if (origin?.session) router.notify(origin.session, message, origin.id)
  else return false
  return true
}

function unroutable(upstream: string, message: Request): McpxError {
  return new McpxError(
    ErrorCode.MethodNotFound,
    `mcpx cannot deliver ${message.method} from shared upstream "${upstream}": it is not tied to a client request (use mode 'per-session')`,
  )
}

/** Options for {@link ownerHandlers}. */
export interface OwnerHandlersOptions {
  /**
   * Where the server's notifications go. `'owner'`: all to the connection's
   * current owner, for a connection one session owns for life (per-session).
   * `'shared'`: as on a shared connection ({@link sharedHandlers}), for one
   * that serves many sessions one request at a time (a pool's per-request
   * connection): list changes to every session, resource updates to the
   * URI's subscribers, task statuses to the task's creator, and the rest
   * (progress, log messages) to the request they came with, else to the
   * owner. Server requests go to the owner either way.
   * @defaultValue `'owner'`
   */
  notifications?: 'owner' | 'shared'
}

/**
 * Leased connection: server requests go to its current owner (per-session:
 * the session, for good; per-request: whoever holds the lease now); the
 * relation only picks the stream. Notifications go to the owner too, or
 * with `notifications: 'shared'` as on a shared connection. With no owner
 * (a per-request connection between leases), a request is refused and a
 * notification is routed as on a shared connection.
 *
 * @example
 * ```ts
 * ownerHandlers(routes, () => slot.owner, () => slot.connection, { notifications: 'shared' })
 * ```
 */
export function ownerHandlers(
  router: Router,
  owner: () => Origin | undefined,
  connection: () => UpstreamConnection | undefined,
  options: OwnerHandlersOptions = {},
): ServerMessageHandlers {
  const notifications = options.notifications ?? 'owner'
  if (notifications !== 'owner' && notifications !== 'shared') {
    throw new TypeError(
      `[@mcpx/transports] ownerHandlers() notifications must be 'owner' or 'shared'`,
    )
  }
  // stdio cannot say which request a server message belongs to; with one
  // request in flight on the owner's connection, it is that one.
  const relatedOf = (related: unknown) =>
    (related ?? connection()?.soleRelated()) as Origin | undefined
  const relatedId = (related: unknown, current: Origin): RequestId | undefined =>
    relatedOf(related)?.id ?? current.id
  const toOwner: ServerMessageHandlers['notification'] = (message, related) => {
    const current = owner()
    if (!current?.session) routeOrDrop(router, message, undefined)
    else if (LIST_CHANGED.has(message.method)) router.listChanged(current.session, message)
    else router.notify(current.session, message, relatedId(related, current))
  }
  // The relation names the request a notification came with; without one it is the owner's.
  const asShared: ServerMessageHandlers['notification'] = (message, related) => {
    const origin = relatedOf(related)
    routeOrDrop(router, message, origin?.session ? origin : (owner() ?? origin))
  }
  return {
    request: async (message, signal, related) => {
      const current = owner()
      if (!current?.session) throw unroutable(router.upstream, message)
      return router.deliver(current.session, message, relatedId(related, current), signal)
    },
    notification: notifications === 'shared' ? asShared : toOwner,
  }
}

function routeOrDrop(router: Router, message: Notification, origin: Origin | undefined): void {
  if (!routeShared(router, message, origin)) {
    router.log(`dropped ${message.method}: no client holds the connection`)
  }
}
