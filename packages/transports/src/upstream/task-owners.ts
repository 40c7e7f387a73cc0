/** The task statuses after which nothing more happens (MCP Tasks §Task Status). */
const TERMINAL: ReadonlySet<unknown> = new Set(['completed', 'failed', 'cancelled'])

/**
 * Which session created which task on a shared connection, so that the
 * server's `notifications/tasks/status` (MCP 2025-11-25 Tasks; tied to no
 * request) reaches that session and no other. Bounded: past `max` the
 * oldest task is forgotten (its later statuses are dropped, as they are for
 * a task the table never saw); a session's tasks go when it ends, a task's
 * entry when its status is terminal.
 */
export class TaskOwners<S> {
  readonly #max: number
  readonly #owners = new Map<string, S>()
  readonly #bySession = new Map<S, Set<string>>()

  constructor(max: number) {
    this.#max = max
  }

  get size(): number {
    return this.#owners.size
  }

  record(taskId: string, session: S): void {
    if (this.#max === 0) return
    if (this.#owners.size >= this.#max && !this.#owners.has(taskId)) {
      this.#forget(this.#owners.keys().next().value as string)
    }
    // An id seen again (a server that reuses ids) belongs to its latest creator only.
    if (this.#owners.has(taskId)) this.#forget(taskId)
    this.#owners.set(taskId, session)
    const tasks = this.#bySession.get(session) ?? new Set<string>()
    tasks.add(taskId)
    this.#bySession.set(session, tasks)
  }

  /** The session a status of `taskId` goes to; a terminal status is the last one it gets. */
  ownerOf(taskId: unknown, status: unknown): S | undefined {
    if (typeof taskId !== 'string') return undefined
    const owner = this.#owners.get(taskId)
    if (owner !== undefined && TERMINAL.has(status)) this.#forget(taskId)
    return owner
  }

  /** Forget `session`'s tasks (it ended). */
  drop(session: S): void {
    for (const taskId of this.#bySession.get(session) ?? []) {
      if (this.#owners.get(taskId) === session) this.#owners.delete(taskId)
    }
    this.#bySession.delete(session)
  }

  clear(): void {
    this.#owners.clear()
    this.#bySession.clear()
  }

  #forget(taskId: string): void {
    const owner = this.#owners.get(taskId)
    this.#owners.delete(taskId)
    if (owner === undefined) return
    const tasks = this.#bySession.get(owner)
    tasks?.delete(taskId)
    if (tasks?.size === 0) this.#bySession.delete(owner)
  }
}
