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
      const origin = related as Origin | undefined
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
    },
  }
}

function unroutable(upstream: string, message: Request): McpxError {
  return new McpxError(
    ErrorCode.MethodNotFound,
    `mcpx cannot deliver ${message.method} from shared upstream "${upstream}": it is not tied to a client request (use mode 'per-session')`,
  )
}

/** Leased connection: everything goes to its one session; the relation only picks the stream. */
export function ownerHandlers(
  router: Router,
  session: Session,
  connection: () => UpstreamConnection | undefined,
): ServerMessageHandlers {
  // stdio cannot say which request a server message belongs to; with one
  // request in flight on the session's own connection, it is that one.
  const relatedId = (related: unknown): RequestId | undefined =>
    ((related ?? connection()?.soleRelated()) as Origin | undefined)?.id
  return {
    request: (message, signal, related) =>
      router.deliver(session, message, relatedId(related), signal),
    notification: (message, related) => {
      if (LIST_CHANGED.has(message.method)) router.listChanged(session, message)
      else router.notify(session, message, relatedId(related))
    },
  }
}
