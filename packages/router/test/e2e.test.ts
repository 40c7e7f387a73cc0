// The acceptance run: a gateway over three real upstreams (two stdio child
// processes, one Streamable HTTP server in a child process) and the SDK's
// real Client.
import { catalogBinPath, eventually, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { streamableHttp } from '@mcpx/transports'
import { stdio } from '@mcpx/transports/stdio'
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  TaskStatusNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { connect, type Gateway, startGateway, textOf } from './harness.js'

const math = {
  name: 'math',
  tools: ['math_add', 'math_mul'],
  mutable: true,
  tasks: true,
  taskIds: 'sequential',
}
const data = {
  name: 'data',
  tools: ['query'],
  resources: ['data://reports/q1'],
  templates: ['data://reports/{id}'],
  tasks: true,
  taskIds: 'sequential',
}
const admin = { name: 'admin', tools: ['restart', 'query'] }

const stdioOf = (config: object) =>
  stdio({
    command: process.execPath,
    args: [catalogBinPath('stdio'), '--config', JSON.stringify(config)],
  })

let http: StartedProcess
let httpUrl: string
beforeAll(async () => {
  http = startProcess(
    process.execPath,
    [catalogBinPath('http'), '--port', '0', '--config', JSON.stringify(admin)],
    { name: 'admin (http)' },
  )
  httpUrl = await http.ready
})
afterAll(() => http.stop())

let gateway: Gateway | undefined
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})

/** The three upstreams, each under its own namespace. */
const namespaced = () => ({
  upstreams: three(),
  router: {
    upstreams: { math: { namespace: true }, data: { namespace: true }, admin: { namespace: true } },
  },
})

const three = () => ({
  math: stdioOf(math),
  data: stdioOf(data),
  admin: streamableHttp({ url: httpUrl }),
})

describe('a gateway over two stdio upstreams and one Streamable HTTP upstream', () => {
  it('lists the union of their tools with namespacing on and calls one tool on each', async () => {
    gateway = await startGateway(namespaced())
    const client = await connect(gateway.url)
    const names = (await client.listTools()).tools.map((tool) => tool.name)
    expect(names).toEqual([
      'math_math_add',
      'math_math_mul',
      'math_add_tool',
      'math_slow_task',
      'data_query',
      'data_slow_task',
      'admin_restart',
      'admin_query',
    ])
    const answers = await Promise.all(
      ['math_math_add', 'data_query', 'admin_restart'].map((name) =>
        client.callTool({ name, arguments: { text: 'x' } }),
      ),
    )
    expect(answers.map(textOf)).toEqual(['math:math_add:x', 'data:query:x', 'admin:restart:x'])
    await client.close()
  })

  it('with namespacing off routes math_* to math and data:// resources to data', async () => {
    gateway = await startGateway({
      upstreams: three(),
      router: {
        upstreams: { math: {}, data: {}, admin: {} },
        routes: [
          { tools: 'math_*', to: 'math' },
          { resources: 'data://**', to: 'data' },
        ],
        default: 'admin',
      },
    })
    const client = await connect(gateway.url)
    expect(textOf(await client.callTool({ name: 'math_mul' }))).toBe('math:math_mul:')
    const read = await client.readResource({ uri: 'data://reports/q1' })
    expect((read.contents[0] as { text: string }).text).toBe('data:data://reports/q1')
    expect(textOf(await client.callTool({ name: 'restart' }))).toBe('admin:restart:')
    await client.close()
  })

  it('passes one upstream’s tools/list_changed to the client once, and the new tool is callable', async () => {
    gateway = await startGateway(namespaced())
    const client = await connect(gateway.url)
    let changes = 0
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes++
    })
    await client.listTools()
    await client.callTool({ name: 'math_add_tool', arguments: { name: 'pow' } })
    await eventually(() => changes === 1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(changes).toBe(1)
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('math_pow')
    expect(textOf(await client.callTool({ name: 'math_pow', arguments: { text: 'y' } }))).toBe(
      'math:pow:y',
    )
    await client.close()
  })

  it('keeps tasks with their upstream and creator: task-1 from two upstreams stays apart, others are refused', async () => {
    gateway = await startGateway(namespaced())
    const client = await connect(gateway.url)
    const other = await connect(gateway.url, 'other')
    const statuses: string[] = []
    const strayStatuses: string[] = []
    client.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
      statuses.push(`${n.params.taskId}:${n.params.status}`)
    })
    other.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
      strayStatuses.push(n.params.taskId)
    })
    const start = (name: string) =>
      client.request(
        {
          method: 'tools/call',
          params: { name, arguments: { ms: 50, text: name }, task: { ttl: 60_000 } },
        },
        CreateTaskResultSchema,
      )
    const created = await Promise.all([start('math_slow_task'), start('data_slow_task')])
    const ids = created.map((one) => one.task.taskId)
    expect(new Set(ids).size).toBe(2)
    expect(ids).not.toContain('task-1')
    const got = await Promise.all(ids.map((id) => client.experimental.tasks.getTask(id)))
    expect(got.map((task) => task.taskId)).toEqual(ids)
    const results = await Promise.all(
      ids.map((id) => client.experimental.tasks.getTaskResult(id, CallToolResultSchema)),
    )
    expect(results.map(textOf)).toEqual([
      'math:slow_task:math_slow_task',
      'data:slow_task:data_slow_task',
    ])
    // The upstreams' completion statuses reach their creator, with the ids it knows.
    await eventually(() => statuses.length === 2)
    expect(statuses.sort()).toEqual(ids.map((id) => `${id}:completed`).sort())
    expect(strayStatuses).toEqual([])
    for (const id of ids) {
      await expect(other.experimental.tasks.getTask(id)).rejects.toMatchObject({ code: -32602 })
      await expect(other.experimental.tasks.cancelTask(id)).rejects.toMatchObject({ code: -32602 })
    }
    await Promise.all([client.close(), other.close()])
  })
})
