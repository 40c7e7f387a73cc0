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
import { collectPages, type Json } from './pages.js'

/** How long a task is remembered when its upstream gave no `ttl`. */
const DEFAULT_TTL = 60 * 60_000
/** Pages of an upstream's `tasks/list` followed at most. */
const MAX_PAGES = 100
const RELATED = 'io.modelcontextprotocol/related-task'

interface TaskRecord {
  readonly id: string
  readonly group: Group
  readonly replica: Replica
  readonly upstreamId: string
  readonly owner: string
  /** The session it was created on: its status notifications arrive there. */
  readonly channel: string
  readonly expires: number
}

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
  /** Each owner's task ids, oldest first: one caller past its share forgets its own, not others'. */
  readonly #byOwner = new Map<string, string[]>()
  readonly #perOwner: number
  /** Replicas the router has created tasks on: a status from one that it cannot map is dropped. */
  readonly #sources = new Set<string>()
  /** Task-augmented requests in flight per replica: a status may overtake its task's creation. */
  readonly #creating = new Map<string, Set<Promise<unknown>>>()
  #sessions = 0

  constructor(max: number, now: () => number = Date.now) {
    this.#max = max
    this.#perOwner = Math.max(1, Math.ceil(max / 10))
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
    this.#sources.add(replica.name)
    const id = globalThis.crypto.randomUUID()
    const ttl = typeof task.ttl === 'number' && task.ttl > 0 ? task.ttl : DEFAULT_TTL
    this.#remember({
      id,
      group,
      replica,
      upstreamId: task.taskId,
      owner: this.#ownerOf(ctx),
      channel: this.#channelOf(ctx),
      expires: this.#now() + ttl,
    })
    ctx.result = rewrite(ctx.result as Json, id) as typeof ctx.result
  }

  /** A task-augmented request to `replica` is in flight until `sent` settles. */
  creating(replica: Replica, sent: Promise<unknown>): void {
    const pending = this.#creating.get(replica.name) ?? new Set()
    this.#creating.set(replica.name, pending)
    pending.add(sent)
    const done = () => {
      pending.delete(sent)
      if (pending.size === 0 && this.#creating.get(replica.name) === pending) {
        this.#creating.delete(replica.name)
      }
    }
    sent.then(done, done)
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

  /**
   * `tasks/list`: the caller's own tasks from this session, from every
   * upstream that holds one, in one page (at most a caller's share of
   * `maxTasks`). Each upstream's list is read until all of them are found.
   */
  async list(ctx: Context, next: Next): Promise<void> {
    const owner = this.#ownerOf(ctx)
    const channel = this.#channelOf(ctx)
    const now = this.#now()
    const byReplica = new Map<Replica, Map<string, TaskRecord>>()
    for (const record of this.#byId.values()) {
      if (record.owner !== owner || record.channel !== channel || record.expires <= now) continue
      const mine = byReplica.get(record.replica) ?? new Map<string, TaskRecord>()
      byReplica.set(record.replica, mine.set(record.upstreamId, record))
    }
    const lists = await Promise.all(
      [...byReplica].map(([replica, mine]) => this.#listOn(replica, mine, ctx, next)),
    )
    ctx.result = { tasks: lists.flat() } as typeof ctx.result
  }

  /**
   * `notifications/tasks/status` on its way to a client: the id the client
   * knows. A status that overtook its task's creation waits for the
   * requests in flight to that upstream. One the router cannot map from an
   * upstream it created tasks on is dropped, so no upstream id leaks; from
   * any other (a router in front of this one did the mapping) it passes as
   * it is. Resolves with whether to pass it on.
   */
  toClient(ctx: Context): boolean | Promise<boolean> {
    const params = ctx.params as Json | undefined
    const source = ctx.get(sourceKey)
    if (source === undefined || typeof params?.taskId !== 'string') return true
    if (this.#map(ctx, source, params)) return true
    const pending = this.#creating.get(source)
    if (!pending) return !this.#sources.has(source)
    return Promise.allSettled([...pending]).then(
      () => this.#map(ctx, source, params) || !this.#sources.has(source),
    )
  }

  #map(ctx: Context, source: string, params: Json): boolean {
    const id = this.#byUpstream.get(key(source, this.#channelOf(ctx), params.taskId as string))
    if (id) ctx.params = rewrite(params, id) as typeof ctx.params
    return id !== undefined
  }

  /** `mine` (by upstream id) as `replica` lists them now, with the router's ids. */
  async #listOn(
    replica: Replica,
    mine: ReadonlyMap<string, TaskRecord>,
    ctx: Context,
    next: Next,
  ): Promise<Json[]> {
    const group = mine.values().next().value!.group
    const found: Json[] = []
    const page = async (cursor: string | undefined) => {
      if (found.length === mine.size) return undefined
      const params = cursor === undefined ? {} : { cursor }
      const child = ctx.fork({ params })
      // An upstream that cannot list shows none of its tasks; the others still do.
      try {
        await group.send(child, next, replica, 'tasks/list', params, true)
      } catch {
        return undefined
      }
      const result = child.error ? undefined : (child.result as Json | undefined)
      for (const task of (result?.tasks ?? []) as Json[]) {
        const own = mine.get(task?.taskId as string)
        if (own) found.push(rewrite(task, own.id))
      }
      return result
    }
    await collectPages(page, 'tasks', (_task): _task is Json => false, {
      pages: MAX_PAGES,
      items: this.#max,
    })
    return found
  }

  #find(taskId: unknown, ctx: Context): TaskRecord {
    const record = typeof taskId === 'string' ? this.#byId.get(taskId) : undefined
    // Someone else's task answers exactly like one that never existed.
    // The upstream's id means something only on the connection it was made on: this session's.
    if (
      !record ||
      record.owner !== this.#ownerOf(ctx) ||
      record.channel !== this.#channelOf(ctx) ||
      record.expires <= this.#now()
    ) {
      if (record && record.expires <= this.#now()) this.#forget(record)
      throw new McpxError(ErrorCode.InvalidParams, `Unknown task: ${String(taskId).slice(0, 200)}`)
    }
    return record
  }

  #remember(record: TaskRecord): void {
    const mine = this.#byOwner.get(record.owner) ?? []
    if (mine.length >= this.#perOwner) this.#forget(this.#byId.get(mine[0]!)!)
    if (this.#byId.size >= this.#max) this.#evict()
    this.#byId.set(record.id, record)
    mine.push(record.id)
    this.#byOwner.set(record.owner, mine)
    this.#byUpstream.set(key(record.replica.name, record.channel, record.upstreamId), record.id)
  }

  /** Make room: the expired tasks among the oldest hundred, else the oldest one. */
  #evict(): void {
    const now = this.#now()
    let seen = 0
    let freed = false
    for (const record of this.#byId.values()) {
      if (++seen > 100) break
      if (record.expires <= now) {
        this.#forget(record)
        freed = true
      }
    }
    if (!freed) this.#forget(this.#byId.values().next().value!)
  }

  #forget(record: TaskRecord): void {
    this.#byId.delete(record.id)
    const mine = this.#byOwner.get(record.owner)
    const index = mine?.indexOf(record.id) ?? -1
    if (index !== -1) mine!.splice(index, 1)
    if (mine?.length === 0) this.#byOwner.delete(record.owner)
    this.#byUpstream.delete(key(record.replica.name, record.channel, record.upstreamId))
  }

  /** The session a message came on, as a string: its id, or a tag for a transport without ids. */
  #channelOf(ctx: Context): string {
    if (ctx.session.id !== undefined) return `session:${ctx.session.id}`
    const session = ctx.get(sessionKey)
    if (!session) return 'anonymous'
    const known = this.#anonymous.get(session)
    if (known) return known
    const id = `connection:${++this.#sessions}`
    this.#anonymous.set(session, id)
    return id
  }

  /** The authenticated subject when there is one, else the session. */
  #ownerOf(ctx: Context): string {
    const principal = ctx.get(principalKey)
    return principal ? `principal:${principal.subject}` : this.#channelOf(ctx)
  }
}

/** An upstream task: ids are the upstream's own, unique per connection, so the session is part of the key. */
function key(replica: string, channel: string, upstreamId: string): string {
  return `${replica}\u0000${channel}\u0000${upstreamId}`
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
