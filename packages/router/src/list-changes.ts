import { type ClientSession, type Context, type Next, sessionKey, sourceKey } from '@mcpx/core'
import type { Group } from './group.js'
import { CHANGED, changedOf, type ListKind } from './lists.js'

/**
 * `list_changed` as a client of many upstreams should see it: once. An
 * upstream's notification marks that upstream's copy of the list stale and
 * reaches the client only if the client has listed since the last one it
 * got (a burst from three upstreams is one "list again"). When an upstream
 * that was missing joins, every session that listed without it is told.
 */
export class ListChanges {
  readonly #byReplica: ReadonlyMap<string, readonly Group[]>
  readonly #invalidate: (kind: ListKind, group: Group) => void
  readonly #log: (line: string) => void
  /** Per session: the notifications it got and has not listed since. */
  readonly #pending = new WeakMap<ClientSession, Set<string>>()
  /** Per notification: the live sessions that have listed (and may need telling). */
  readonly #listeners = new Map<string, Set<ClientSession>>()

  constructor(
    groups: readonly Group[],
    invalidate: (kind: ListKind, group: Group) => void,
    log: (line: string) => void,
  ) {
    const byReplica = new Map<string, Group[]>()
    for (const group of groups) {
      for (const { name } of group.replicas)
        byReplica.set(name, [...(byReplica.get(name) ?? []), group])
    }
    this.#byReplica = byReplica
    this.#invalidate = invalidate
    this.#log = log
  }

  /** The session of `ctx` listed `kind`: the next change reaches it again. */
  listed(ctx: Context, kind: ListKind): void {
    const session = ctx.get(sessionKey)
    if (!session || session.closed) return
    const method = changedOf(kind)
    this.#pending.get(session)?.delete(method)
    const sessions = this.#listeners.get(method) ?? new Set<ClientSession>()
    this.#listeners.set(method, sessions)
    if (sessions.has(session)) return
    sessions.add(session)
    session.onClose(() => sessions.delete(session))
  }

  /** A `list_changed` on its way to a client: refresh the upstream's copy, pass it on once. */
  async toClient(ctx: Context, next: Next): Promise<void> {
    const kinds = CHANGED.get(ctx.method)!
    const source = ctx.get(sourceKey)
    if (source !== undefined) {
      for (const group of this.#byReplica.get(source) ?? []) {
        for (const kind of kinds) this.#invalidate(kind, group)
      }
    }
    const session = ctx.get(sessionKey)
    if (!session) return next()
    const pending = this.#pending.get(session) ?? new Set<string>()
    if (pending.has(ctx.method)) return
    this.#pending.set(session, pending)
    pending.add(ctx.method)
    await next()
  }

  /** An upstream that was missing answered: tell the sessions that listed without it. */
  joined(kind: ListKind, group: Group): void {
    const method = changedOf(kind)
    for (const session of this.#listeners.get(method) ?? []) {
      session.toClient({ jsonrpc: '2.0', method }).catch((error: unknown) => {
        this.#log(
          `could not tell a client that "${group.name}" joined: ${(error as Error).message}`,
        )
      })
    }
  }
}
