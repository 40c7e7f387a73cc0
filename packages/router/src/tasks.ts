import {
  type ClientSession,
  type Context,
  ErrorCode,
  McpxError,
  type Next,
  principalKey,
  sessionKey,
  sourceKey,
} from '@mcpx/core'
import type { Replica } from './balance/balancer.js'
import type { Group } from './group.js'

/** How long a task is remembered when its upstream gave no `ttl`. */
const DEFAULT_TTL = 60 * 60_000
/** Pages of an upstream's `tasks/list` followed at most. */
const MAX_PAGES = 20
const RELATED = 'io.modelcontextprotocol/related-task'

interface TaskRecord {
  readonly id: string
  readonly group: Group
  readonly replica: Replica
  readonly upstreamId: string
  readonly owner: string
  readonly expires: number
}

type Json = Record<string, unknown>

/**
 * MCP tasks (2025-11-25, experimental) across upstreams. A task created
 * through the router gets an id of the router's own (random, so ids from two
 * upstreams never collide and cannot be guessed), remembered with the
 * upstream that owns it and the caller that created it: `tasks/get`,
 * `tasks/result` and `tasks/cancel` go to that upstream with its own id, a
 * different caller is told the task does not exist, `tasks/list` shows a
 * caller its own tasks only, and `notifications/tasks/status` reaches the
 * client with the id it knows. Bounded: the oldest task is forgotten first.
 */
export class Tasks {
  readonly #max: number
  readonly #now: () => number
  readonly #byId = new Map<string, TaskRecord>()
  readonly #byUpstream = new Map<string, string>()
  readonly #anonymous = new WeakMap<ClientSession, string>()
  #sessions = 0

  constructor(max: number, now: () => number = Date.now) {
    this.#max = max
    this.#now = now
  }

  /** Tasks remembered. */
  get size(): number {
    return this.#byId.size
  }

  /** After a task-augmented request: remember the task and give the client the router's id. */
  created(ctx: Context, group: Group, replica: Replica): void {
    const task = (ctx.result as Json | undefined)?.task as Json | undefined
    if (typeof task?.taskId !== 'string' || this.#max === 0) return
    const id = globalThis.crypto.randomUUID()
    const ttl = typeof task.ttl === 'number' && task.ttl > 0 ? task.ttl : DEFAULT_TTL
    this.#remember({
      id,
      group,
      replica,
      upstreamId: task.taskId,
      owner: this.#ownerOf(ctx),
      expires: this.#now() + ttl,
    })
    ctx.result = rewrite(ctx.result as Json, id) as typeof ctx.result
  }

  /** `tasks/get`, `tasks/result`, `tasks/cancel`: to the owning upstream, for its creator only. */
  async forward(ctx: Context, next: Next): Promise<void> {
    const params = (ctx.params ?? {}) as Json
    const record = this.#find(params.taskId, ctx)
    await record.group.send(
      ctx,
      next,
      record.replica,
      ctx.method,
      {
        ...params,
        taskId: record.upstreamId,
      },
      false,
    )
    if (ctx.result) ctx.result = rewrite(ctx.result as Json, record.id) as typeof ctx.result
  }

  /** `tasks/list`: the caller's own tasks, from every upstream that holds one. */
  async list(ctx: Context, next: Next): Promise<void> {
    const owner = this.#ownerOf(ctx)
    const mine = new Map<string, TaskRecord>()
    const replicas = new Map<string, TaskRecord>()
    for (const record of this.#byId.values()) {
      if (record.owner !== owner || record.expires <= this.#now()) continue
      mine.set(key(record.replica.name, record.upstreamId), record)
      replicas.set(record.replica.name, record)
    }
    const lists = await Promise.all(
      [...replicas.values()].map((record) => this.#listOn(record, ctx, next)),
    )
    const tasks: Json[] = []
    for (const [i, record] of [...replicas.values()].entries()) {
      for (const task of lists[i]!) {
        const own = mine.get(key(record.replica.name, task.taskId as string))
        if (own) tasks.push(rewrite(task, own.id))
      }
    }
    ctx.result = { tasks } as typeof ctx.result
  }

  /** `notifications/tasks/status` on its way to a client: the id the client knows. */
  toClient(ctx: Context): void {
    const params = ctx.params as Json | undefined
    const source = ctx.get(sourceKey)
    if (source === undefined || typeof params?.taskId !== 'string') return
    const id = this.#byUpstream.get(key(source, params.taskId))
    if (id) ctx.params = rewrite(params, id) as typeof ctx.params
  }

  async #listOn(record: TaskRecord, ctx: Context, next: Next): Promise<Json[]> {
    const tasks: Json[] = []
    let cursor: unknown
    for (let page = 0; page < MAX_PAGES; page++) {
      const params = cursor === undefined ? {} : { cursor }
      const child = ctx.fork({ params })
      // An upstream that cannot list shows none of its tasks; the others still do.
      const ok = await record.group
        .send(child, next, record.replica, 'tasks/list', params, true)
        .then(
          () => true,
          () => false,
        )
      if (!ok) break
      const result = child.result as Json | undefined
      if (child.error || !Array.isArray(result?.tasks)) break
      for (const task of result.tasks as Json[])
        if (typeof task?.taskId === 'string') tasks.push(task)
      cursor = result.nextCursor
      if (typeof cursor !== 'string') break
    }
    return tasks
  }

  #find(taskId: unknown, ctx: Context): TaskRecord {
    const record = typeof taskId === 'string' ? this.#byId.get(taskId) : undefined
    // Someone else's task answers exactly like one that never existed.
    if (!record || record.owner !== this.#ownerOf(ctx) || record.expires <= this.#now()) {
      if (record && record.expires <= this.#now()) this.#forget(record)
      throw new McpxError(ErrorCode.InvalidParams, `Unknown task: ${String(taskId)}`)
    }
    return record
  }

  #remember(record: TaskRecord): void {
    while (this.#byId.size >= this.#max) {
      const oldest = this.#byId.values().next().value
      if (!oldest) break
      this.#forget(oldest)
    }
    this.#byId.set(record.id, record)
    this.#byUpstream.set(key(record.replica.name, record.upstreamId), record.id)
  }

  #forget(record: TaskRecord): void {
    this.#byId.delete(record.id)
    this.#byUpstream.delete(key(record.replica.name, record.upstreamId))
  }

  /** The authenticated subject when there is one, else the session. */
  #ownerOf(ctx: Context): string {
    const principal = ctx.get(principalKey)
    if (principal) return `principal:${principal.subject}`
    if (ctx.session.id !== undefined) return `session:${ctx.session.id}`
    const session = ctx.get(sessionKey)
    if (!session) return 'anonymous'
    const known = this.#anonymous.get(session)
    if (known) return known
    const id = `connection:${++this.#sessions}`
    this.#anonymous.set(session, id)
    return id
  }
}

function key(replica: string, upstreamId: string): string {
  return `${replica}\u0000${upstreamId}`
}

/** The same task message with the router's id: a Task, a CreateTaskResult, or a result with related-task meta. */
function rewrite(value: Json, id: string): Json {
  const out: Json = { ...value }
  if (typeof out.taskId === 'string') out.taskId = id
  const task = out.task as Json | undefined
  if (typeof task?.taskId === 'string') out.task = { ...task, taskId: id }
  const meta = out._meta as Json | undefined
  const related = meta?.[RELATED] as Json | undefined
  if (typeof related?.taskId === 'string')
    out._meta = { ...meta, [RELATED]: { ...related, taskId: id } }
  return out
}
