import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  type Task,
  TaskStatusNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { type CatalogOptions, createCatalogServer, parseCatalogConfig } from './catalog-server.js'
import { runProcess, type StartedProcess, startProcess } from './processes.js'

const clients: Client[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

/** The SDK's real Client, connected in memory to a catalog made from `options`. */
async function connect(options: CatalogOptions): Promise<Client> {
  const server = createCatalogServer(options)
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  const client = new Client({ name: 'catalog-test', version: '1.0.0' })
  clients.push(client)
  await server.connect(serverSide)
  await client.connect(clientSide)
  return client
}

const textOf = (result: unknown) =>
  (result as { content: { type: string; text?: string }[] }).content.map((c) => c.text).join('')

describe('createCatalogServer', () => {
  it('lists the configured tools, resources, templates and prompts', async () => {
    const client = await connect({
      name: 'data',
      instructions: 'reports live here',
      tools: ['data_find'],
      resources: ['data://reports/q1'],
      templates: ['data://reports/{id}'],
      prompts: ['summarise'],
    })
    expect(client.getServerVersion()?.name).toBe('data')
    expect(client.getInstructions()).toBe('reports live here')
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['data_find'])
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual([
      'data://reports/q1',
    ])
    const { resourceTemplates } = await client.listResourceTemplates()
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['data://reports/{id}'])
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(['summarise'])
    expect(client.getServerCapabilities()?.tasks).toBeUndefined()
  })

  it('answers every read with the server name', async () => {
    const client = await connect({
      name: 'data',
      tools: ['data_find'],
      resources: ['data://reports/q1'],
      templates: ['data://reports/{id}'],
      prompts: ['summarise'],
    })
    const called = await client.callTool({ name: 'data_find', arguments: { text: 'x' } })
    expect(textOf(called)).toBe('data:data_find:x')
    expect(textOf(await client.callTool({ name: 'data_find', arguments: {} }))).toBe(
      'data:data_find:',
    )
    const read = async (uri: string) => (await client.readResource({ uri })).contents[0]
    expect(await read('data://reports/q1')).toMatchObject({ text: 'data:data://reports/q1' })
    expect(await read('data://reports/q7')).toMatchObject({
      text: 'data:template:data://reports/q7',
    })
    const prompt = await client.getPrompt({ name: 'summarise' })
    expect(prompt.messages).toEqual([
      { role: 'user', content: { type: 'text', text: 'data:summarise' } },
    ])
    const { completion } = await client.complete({
      ref: { type: 'ref/prompt', name: 'summarise' },
      argument: { name: 'topic', value: 'b' },
    })
    expect(completion.values).toEqual(['beta'])
  })

  it('generates toolCount tools named with the prefix and three digits', async () => {
    const client = await connect({ tools: ['first'], toolCount: 250, toolPrefix: 'big_' })
    const names = (await client.listTools()).tools.map((t) => t.name)
    expect(names).toHaveLength(251)
    expect(names.slice(0, 3)).toEqual(['first', 'big_001', 'big_002'])
    expect(names.at(-1)).toBe('big_250')
    expect(textOf(await client.callTool({ name: 'big_042' }))).toBe('catalog:big_042:')
  })

  it('add_tool registers a callable tool and sends tools/list_changed', async () => {
    const client = await connect({ name: 'math', tools: ['math_add'], mutable: true })
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    )
    const added = await client.callTool({ name: 'add_tool', arguments: { name: 'math_pow' } })
    expect(textOf(added)).toBe('math:add_tool:math_pow')
    await changed
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual([
      'math_add',
      'add_tool',
      'math_pow',
    ])
    const called = await client.callTool({ name: 'math_pow', arguments: { text: '2' } })
    expect(textOf(called)).toBe('math:math_pow:2')
  })

  it('rejects options it cannot serve, naming the field', () => {
    expect(() => createCatalogServer({ tools: ['a', 'a'] })).toThrow(/tools: tool names must be/)
    expect(() => createCatalogServer({ tools: ['add_tool'] })).toThrow(/add_tool is reserved/)
    expect(() => createCatalogServer({ tools: ['has space'] })).toThrow(/tools\.0/)
    expect(() => createCatalogServer({ resources: ['not a uri'] })).toThrow(/absolute URI/)
    expect(() => createCatalogServer({ taskIds: 'sequential' })).toThrow(/needs tasks: true/)
    expect(() => createCatalogServer({ toolCount: -1 })).toThrow(TypeError)
    expect(() => createCatalogServer({ tool: ['x'] } as CatalogOptions)).toThrow(/tool/)
    expect(() => parseCatalogConfig('{nope')).toThrow(/--config is not JSON/)
  })
})

describe('catalog tasks', () => {
  const callTask = (client: Client, ms: number, text: string) =>
    client.request(
      {
        method: 'tools/call',
        params: { name: 'slow_task', arguments: { ms, text }, task: { ttl: 60_000 } },
      },
      CreateTaskResultSchema,
    )

  it('declares tasks and marks slow_task as task-capable', async () => {
    const client = await connect({ tasks: true })
    expect(client.getServerCapabilities()?.tasks).toEqual({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    })
    const { tools } = await client.listTools()
    expect(tools.find((t) => t.name === 'slow_task')?.execution).toEqual({
      taskSupport: 'optional',
    })
  })

  it('answers a task-augmented call with task-1, then get, result and list agree', async () => {
    const client = await connect({ name: 'slow', tasks: true, taskIds: 'sequential' })
    const statuses: Task[] = []
    client.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
      statuses.push(n.params)
    })
    const created = await callTask(client, 100, 'hi')
    expect(created.task).toMatchObject({ taskId: 'task-1', status: 'working', ttl: 60_000 })
    const working = await client.experimental.tasks.getTask('task-1')
    expect(working.status).toBe('working')
    const result = await client.experimental.tasks.getTaskResult('task-1', CallToolResultSchema)
    expect(textOf(result)).toBe('slow:slow_task:hi')
    expect((await client.experimental.tasks.getTask('task-1')).status).toBe('completed')
    expect(statuses).toMatchObject([{ taskId: 'task-1', status: 'completed' }])
    expect((await callTask(client, 0, 'again')).task.taskId).toBe('task-2')
    const { tasks } = await client.experimental.tasks.listTasks()
    expect(tasks.map((t) => t.taskId)).toEqual(['task-1', 'task-2'])
  })

  it('issues the same sequential ids from two servers', async () => {
    const a = await connect({ name: 'a', tasks: true, taskIds: 'sequential' })
    const b = await connect({ name: 'b', tasks: true, taskIds: 'sequential' })
    const ids = [(await callTask(a, 0, '')).task.taskId, (await callTask(b, 0, '')).task.taskId]
    expect(ids).toEqual(['task-1', 'task-1'])
    const fromB = await b.experimental.tasks.getTaskResult('task-1', CallToolResultSchema)
    expect(textOf(fromB)).toBe('b:slow_task:')
  })

  it('gives random ids by default', async () => {
    const client = await connect({ tasks: true })
    expect((await callTask(client, 0, '')).task.taskId).toMatch(/^[0-9a-f]{32}$/)
  })

  it('cancels a working task, which then never completes', async () => {
    const client = await connect({ tasks: true, taskIds: 'sequential' })
    await callTask(client, 50, 'late')
    const cancelled = await client.experimental.tasks.cancelTask('task-1')
    expect(cancelled.status).toBe('cancelled')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await client.experimental.tasks.getTask('task-1')).status).toBe('cancelled')
    await expect(client.experimental.tasks.cancelTask('task-1')).rejects.toThrow(/terminal/)
  })

  it('streams a task-augmented call to its result with callToolStream', async () => {
    const client = await connect({ name: 's', tasks: true, taskIds: 'sequential' })
    const types: string[] = []
    let text = ''
    const stream = client.experimental.tasks.callToolStream(
      { name: 'slow_task', arguments: { ms: 20, text: 'x' } },
      CallToolResultSchema,
      { task: { ttl: 60_000 } },
    )
    for await (const message of stream) {
      types.push(message.type)
      if (message.type === 'result') text = textOf(message.result)
    }
    expect(types[0]).toBe('taskCreated')
    expect(types.at(-1)).toBe('result')
    expect(text).toBe('s:slow_task:x')
  })

  it('answers a call without params.task after ms, as a plain result', async () => {
    const client = await connect({ name: 'p', tasks: true })
    const result = await client.callTool({ name: 'slow_task', arguments: { ms: 10, text: 'y' } })
    expect(textOf(result)).toBe('p:slow_task:y')
  })
})

// The real built entry points, run as child processes (build @mcpx/test-utils first).
const bin = (kind: 'stdio' | 'http') => {
  const path = fileURLToPath(new URL(`../dist/bin/catalog-${kind}.js`, import.meta.url))
  if (!existsSync(path)) throw new Error(`${path} is missing: build @mcpx/test-utils first`)
  return path
}

describe('catalog bins', () => {
  const started: StartedProcess[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()))
  })
  const config = JSON.stringify({ name: 'math', tools: ['math_add', 'math_mul'] })

  it('catalog-stdio serves the --config it was given', async () => {
    const client = new Client({ name: 'catalog-test', version: '1.0.0' })
    clients.push(client)
    const args = [bin('stdio'), '--config', config]
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args, stderr: 'pipe' }),
    )
    expect(client.getServerVersion()?.name).toBe('math')
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['math_add', 'math_mul'])
    expect(textOf(await client.callTool({ name: 'math_mul', arguments: { text: '6' } }))).toBe(
      'math:math_mul:6',
    )
  })

  it('catalog-http prints LISTENING <url>, serves the --config and runs its tasks', async () => {
    const tasks = JSON.stringify({
      name: 'web',
      tools: ['web_get'],
      tasks: true,
      taskIds: 'sequential',
    })
    const proc = startProcess(process.execPath, [bin('http'), '--port', '0', '--config', tasks], {
      name: 'catalog-http',
    })
    started.push(proc)
    const url = await proc.ready
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
    const client = new Client({ name: 'catalog-test', version: '1.0.0' })
    clients.push(client)
    const status = new Promise<Task>((resolve) =>
      client.setNotificationHandler(TaskStatusNotificationSchema, (n) => resolve(n.params)),
    )
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual(['web_get', 'slow_task'])
    const created = await client.request(
      {
        method: 'tools/call',
        params: { name: 'slow_task', arguments: { ms: 100, text: 'h' }, task: { ttl: 60_000 } },
      },
      CreateTaskResultSchema,
    )
    expect(created.task.taskId).toBe('task-1')
    const result = await client.experimental.tasks.getTaskResult('task-1', CallToolResultSchema)
    expect(textOf(result)).toBe('web:slow_task:h')
    // Not related to any request: it comes on the session's standalone GET stream.
    expect(await status).toMatchObject({ taskId: 'task-1', status: 'completed' })
  })

  it.each(['stdio', 'http'] as const)('catalog-%s exits 2 on a bad --config', async (kind) => {
    for (const bad of ['{not json', '{"tools":"math_add"}']) {
      const run = await runProcess(process.execPath, [bin(kind), '--config', bad], {
        timeoutMs: 10_000,
      })
      expect(run.code, run.stderr).toBe(2)
      expect(run.stderr).toMatch(/--config is not JSON|catalog options: tools/)
    }
  })
})
