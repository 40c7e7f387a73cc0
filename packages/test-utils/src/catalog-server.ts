import { randomUUID } from 'node:crypto'
import {
  isTerminal,
  type TaskStore,
} from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js'
import { completable } from '@modelcontextprotocol/sdk/server/completable.js'
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult, Result, Task } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'

/**
 * What a catalog upstream serves. Every text it returns starts with `name`, so a test that
 * talks to several catalogs through a router knows which one answered. The `catalog-stdio`
 * and `catalog-http` bins take the same object as JSON: `--config '{"name":"math","tools":["math_add"]}'`.
 */
export interface CatalogOptions {
  /** `serverInfo.name`, and the first field of every text the server returns. @defaultValue `'catalog'` */
  name?: string
  /** Returned in the initialize result. @defaultValue none */
  instructions?: string
  /** Echo tools: calling `t` with `{ text? }` returns `${name}:${t}:${text ?? ''}`. @defaultValue `[]` */
  tools?: string[]
  /**
   * Generates this many more echo tools, `${toolPrefix}001` to `${toolPrefix}${toolCount}`
   * (at least 3 digits), for pagination tests. The SDK lists them all in one page.
   * @defaultValue 0
   */
  toolCount?: number
  /** Name prefix of the generated tools; only with `toolCount`. @defaultValue `'tool_'` */
  toolPrefix?: string
  /** Static resource URIs; reading one returns `${name}:${uri}`. @defaultValue `[]` */
  resources?: string[]
  /**
   * RFC 6570 URI templates, e.g. `data://reports/{id}`; reading a matching URI returns
   * `${name}:template:${uri}`. A URI that is also a static resource reads as the resource.
   * @defaultValue `[]`
   */
  templates?: string[]
  /**
   * Prompts; each returns one user message `${name}:${prompt}` (`:${topic}` appended when the
   * optional `topic` argument is given, which completes from `alpha`, `beta`, `gamma`).
   * @defaultValue `[]`
   */
  prompts?: string[]
  /**
   * Adds the tool `add_tool` (`{ name }`), which registers a new echo tool at runtime; the
   * SDK then sends `notifications/tools/list_changed`. Over HTTP the tool exists in that
   * session only (one server per session).
   * @defaultValue false
   */
  mutable?: boolean
  /**
   * Declares the tasks capability (MCP 2025-11-25, experimental) and adds `slow_task`
   * (`{ ms, text? }`, task support optional): called with `params.task` it answers a
   * CreateTaskResult at once and completes the task after `ms` with
   * `${name}:slow_task:${text ?? ''}`; called without, it answers that text after `ms`.
   * @defaultValue false
   */
  tasks?: boolean
  /**
   * Task ids: 32 random hex digits, or `task-1`, `task-2`, … per server, so that two
   * catalogs issue the same ids. Only with `tasks: true`.
   * @defaultValue `'random'`
   */
  taskIds?: 'random' | 'sequential'
}

/** Tools the catalog adds itself; configured names must not clash with them. */
const RESERVED_TOOLS = new Set(['add_tool', 'slow_task'])
/** SEP-986 tool names. */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/
const MAX_ADDED_TOOLS = 1000
const MAX_TASKS = 1000
const DEFAULT_TASK_TTL_MS = 60_000
const MAX_TASK_TTL_MS = 10 * 60_000
/** How often clients poll, and how often the SDK's blocking tasks/result looks again. */
const POLL_INTERVAL_MS = 50
const TOPICS = ['alpha', 'beta', 'gamma']

const toolName = z.string().regex(TOOL_NAME, 'must be 1-128 of A-Z a-z 0-9 _ . -')
const unique = <T extends z.ZodTypeAny>(item: T, what: string) =>
  z.array(item).refine((list) => new Set(list).size === list.length, `${what} must be unique`)
const uri = z.string().refine((value) => URL.canParse(value), 'must be an absolute URI')

const optionsSchema = z
  .object({
    name: z.string().min(1).optional(),
    instructions: z.string().optional(),
    tools: unique(toolName, 'tool names').optional(),
    toolCount: z.number().int().min(0).max(10_000).optional(),
    toolPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,120}$/)
      .optional(),
    resources: unique(uri, 'resource URIs').optional(),
    templates: unique(
      z.string().regex(/\{[^}]+\}/, 'must contain a {variable}'),
      'templates',
    ).optional(),
    prompts: unique(z.string().min(1), 'prompt names').optional(),
    mutable: z.boolean().optional(),
    tasks: z.boolean().optional(),
    taskIds: z.enum(['random', 'sequential']).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, message })
    for (const name of o.tools ?? [])
      if (RESERVED_TOOLS.has(name)) issue(`tool ${name} is reserved`)
    if (o.toolPrefix !== undefined && o.toolCount === undefined) issue('toolPrefix needs toolCount')
    if (o.taskIds !== undefined && o.tasks !== true) issue('taskIds needs tasks: true')
    const generated = [...generatedTools(o.toolPrefix ?? 'tool_', o.toolCount ?? 0)]
    if (generated.some((name) => o.tools?.includes(name)))
      issue('a generated tool has the name of one in tools')
  }) satisfies z.ZodType<CatalogOptions>

/** Validates `options` (a parsed `--config` too); throws a TypeError naming the bad field. */
function validate(options: unknown): CatalogOptions {
  const parsed = optionsSchema.safeParse(options)
  if (parsed.success) return parsed.data
  const first = parsed.error.issues[0]!
  const at = first.path.length > 0 ? `${first.path.join('.')}: ` : ''
  throw new TypeError(`[@mcpx/test-utils] catalog options: ${at}${first.message}`)
}

/**
 * Parses and validates the JSON of a `--config` argument.
 * @throws SyntaxError for bad JSON, TypeError for JSON that is not valid {@link CatalogOptions}
 */
export function parseCatalogConfig(json: string): CatalogOptions {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    throw new SyntaxError(`--config is not JSON: ${(error as Error).message}`)
  }
  return validate(value)
}

function* generatedTools(prefix: string, count: number): Generator<string> {
  const width = Math.max(3, String(count).length)
  for (let i = 1; i <= count; i++) yield `${prefix}${String(i).padStart(width, '0')}`
}

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] })

/**
 * A configurable upstream for the router's tests: echo tools, resources, templates, prompts,
 * runtime tool registration and MCP tasks, each answer naming the server. See
 * {@link CatalogOptions}.
 *
 * @example
 * ```ts
 * const math = createCatalogServer({ name: 'math', tools: ['math_add', 'math_mul'] })
 * await math.connect(serverTransport)
 * // tools/call math_add { text: '2' } → text "math:math_add:2"
 * ```
 */
export function createCatalogServer(options: CatalogOptions = {}): McpServer {
  const config = validate(options)
  const name = config.name ?? 'catalog'
  const tasks = config.tasks ? createTaskStore(config.taskIds ?? 'random') : undefined
  const mcp = new McpServer(
    { name, version: '1.0.0' },
    {
      ...(config.instructions !== undefined ? { instructions: config.instructions } : {}),
      ...(tasks
        ? {
            taskStore: tasks.store,
            capabilities: { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
          }
        : {}),
    },
  )
  const echo = (tool: string) =>
    mcp.registerTool(
      tool,
      {
        description: `Echoes as ${name}:${tool}:<text>`,
        inputSchema: { text: z.string().optional() },
      },
      async ({ text: value }) => text(`${name}:${tool}:${value ?? ''}`),
    )
  for (const tool of config.tools ?? []) echo(tool)
  for (const tool of generatedTools(config.toolPrefix ?? 'tool_', config.toolCount ?? 0)) echo(tool)
  registerReadables(mcp, name, config)
  if (config.mutable) registerAddTool(mcp, name, echo)
  if (tasks) {
    registerSlowTask(mcp, name, tasks)
    mcp.server.onclose = tasks.dispose
  }
  return mcp
}

function registerReadables(mcp: McpServer, name: string, config: CatalogOptions): void {
  for (const uri of config.resources ?? []) {
    mcp.registerResource(uri, uri, { mimeType: 'text/plain' }, async () => ({
      contents: [{ uri, mimeType: 'text/plain', text: `${name}:${uri}` }],
    }))
  }
  for (const template of config.templates ?? []) {
    mcp.registerResource(
      template,
      new ResourceTemplate(template, { list: undefined }),
      { mimeType: 'text/plain' },
      async (url) => ({
        contents: [{ uri: url.href, mimeType: 'text/plain', text: `${name}:template:${url.href}` }],
      }),
    )
  }
  const complete = (value: string | undefined) => TOPICS.filter((t) => t.startsWith(value ?? ''))
  for (const prompt of config.prompts ?? []) {
    // Marked twice because SDK 1.32 looks for the completer on the optional wrapper when it
    // answers completion/complete, but on the inner schema when it declares `completions`.
    const topic = completable(completable(z.string(), complete).optional(), complete)
    mcp.registerPrompt(prompt, { argsSchema: { topic } }, async ({ topic: value }) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `${name}:${prompt}${value ? `:${value}` : ''}` },
        },
      ],
    }))
  }
}

function registerAddTool(mcp: McpServer, name: string, echo: (tool: string) => unknown): void {
  let added = 0
  mcp.registerTool(
    'add_tool',
    { description: 'Registers an echo tool named `name`', inputSchema: { name: toolName } },
    async ({ name: tool }) => {
      if (added >= MAX_ADDED_TOOLS) throw new Error(`at most ${MAX_ADDED_TOOLS} tools can be added`)
      // Registering on a connected server makes the SDK send notifications/tools/list_changed.
      echo(tool)
      added++
      return text(`${name}:add_tool:${tool}`)
    },
  )
}

function registerSlowTask(mcp: McpServer, name: string, tasks: CatalogTaskStore): void {
  mcp.experimental.tasks.registerToolTask(
    'slow_task',
    {
      description: 'Completes after `ms` with the text; task-augmented calls return a task',
      inputSchema: {
        ms: z.number().int().min(0).max(MAX_TASK_TTL_MS),
        text: z.string().optional(),
      },
      execution: { taskSupport: 'optional' },
    },
    {
      async createTask({ ms, text: value }, extra) {
        const task = await extra.taskStore.createTask({
          ttl: extra.taskRequestedTtl,
          pollInterval: POLL_INTERVAL_MS,
        })
        tasks.later(ms, async () => {
          // tasks/cancel may have ended it meanwhile; a terminal task takes no result.
          const current = await tasks.store.getTask(task.taskId)
          if (!current || isTerminal(current.status)) return
          // Through the request's store, so that the SDK sends notifications/tasks/status.
          await extra.taskStore.storeTaskResult(
            task.taskId,
            'completed',
            text(`${name}:slow_task:${value ?? ''}`),
          )
        })
        return { task }
      },
      getTask: (_args, extra) => extra.taskStore.getTask(extra.taskId),
      getTaskResult: async (_args, extra) =>
        (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult,
    },
  )
}

interface CatalogTaskStore {
  readonly store: TaskStore
  /** Runs `fn` after `ms` unless disposed first; its errors (a closed connection) are dropped. */
  later(ms: number, fn: () => Promise<void>): void
  /** Clears every timer: pending completions and expiries. */
  dispose(): void
}

interface Entry {
  task: Task
  result?: Result
  expiry?: NodeJS.Timeout
}

/**
 * The SDK's InMemoryTaskStore cannot be given task ids, hence this one. It holds at most
 * {@link MAX_TASKS} (the oldest goes first) and drops a task `ttl` after it was created and
 * again after it ended. It ignores session ids: each server has its own store, and
 * catalog-http makes one server per session.
 */
function createTaskStore(ids: 'random' | 'sequential'): CatalogTaskStore {
  // Long on purpose: the TaskStore methods share the entries, their timers and the id counter.
  const entries = new Map<string, Entry>()
  const timers = new Set<NodeJS.Timeout>()
  let issued = 0
  const find = (taskId: string) => {
    const entry = entries.get(taskId)
    if (!entry) throw new Error(`Task ${taskId} not found`)
    return entry
  }
  const expire = (entry: Entry) => {
    clearTimeout(entry.expiry)
    entry.expiry = setTimeout(() => entries.delete(entry.task.taskId), entry.task.ttl!).unref()
  }
  const update = (entry: Entry, status: Task['status'], statusMessage?: string) => {
    if (isTerminal(entry.task.status)) {
      throw new Error(`Task ${entry.task.taskId} is already ${entry.task.status}`)
    }
    const lastUpdatedAt = new Date().toISOString()
    entry.task = { ...entry.task, status, lastUpdatedAt, ...(statusMessage && { statusMessage }) }
    if (isTerminal(status)) expire(entry)
  }

  const store: TaskStore = {
    async createTask(params) {
      const now = new Date().toISOString()
      const entry: Entry = {
        task: {
          taskId: ids === 'sequential' ? `task-${++issued}` : randomUUID().replaceAll('-', ''),
          status: 'working',
          ttl: Math.min(params.ttl ?? DEFAULT_TASK_TTL_MS, MAX_TASK_TTL_MS),
          createdAt: now,
          lastUpdatedAt: now,
          pollInterval: params.pollInterval ?? POLL_INTERVAL_MS,
        },
      }
      const [oldest] = entries.values()
      if (oldest && entries.size >= MAX_TASKS) {
        clearTimeout(oldest.expiry)
        entries.delete(oldest.task.taskId)
      }
      entries.set(entry.task.taskId, entry)
      expire(entry)
      return { ...entry.task }
    },
    getTask: async (taskId) => {
      const entry = entries.get(taskId)
      return entry ? { ...entry.task } : null
    },
    async storeTaskResult(taskId, status, result) {
      const entry = find(taskId)
      update(entry, status)
      entry.result = result
    },
    async getTaskResult(taskId) {
      const { result } = find(taskId)
      if (!result) throw new Error(`Task ${taskId} has no result yet`)
      return result
    },
    updateTaskStatus: async (taskId, status, message) => update(find(taskId), status, message),
    async listTasks(cursor) {
      // The cursor is the offset of the page; 50 a page.
      const start = cursor === undefined ? 0 : Number(cursor)
      if (!Number.isInteger(start) || start < 0) throw new Error(`Invalid cursor: ${cursor}`)
      const all = [...entries.values()]
      const tasks = all.slice(start, start + 50).map((entry) => ({ ...entry.task }))
      return start + 50 < all.length ? { tasks, nextCursor: String(start + 50) } : { tasks }
    },
  }

  return {
    store,
    later(ms, fn) {
      const timer = setTimeout(() => {
        timers.delete(timer)
        fn().catch(() => {})
      }, ms)
      timers.add(timer)
    },
    dispose() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const entry of entries.values()) clearTimeout(entry.expiry)
    },
  }
}
