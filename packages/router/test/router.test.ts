import { accessKey, type Middleware } from '@mcpx/core'
import { eventually } from '@mcpx/test-utils'
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { connect, type Gateway, startGateway, textOf } from './harness.js'

let gateway: Gateway | undefined
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})

const math = { name: 'math', tools: ['math_add', 'math_mul'], instructions: 'Adds numbers.' }
const data = {
  name: 'data',
  tools: ['query'],
  resources: ['data://reports/q1'],
  templates: ['data://reports/{id}'],
  prompts: ['summary'],
}
const admin = { name: 'admin', tools: ['query', 'restart'] }

describe('router, namespacing on', () => {
  it('lists the union of every upstream’s tools under their prefixes and calls one on each', async () => {
    gateway = await startGateway({
      upstreams: { math, data, admin },
      router: {
        upstreams: {
          math: { namespace: true },
          data: { namespace: true },
          admin: { namespace: 'ops' },
        },
      },
    })
    const client = await connect(gateway.url)
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toEqual([
      'math_math_add',
      'math_math_mul',
      'data_query',
      'ops_query',
      'ops_restart',
    ])
    const answers = await Promise.all(
      ['math_math_add', 'data_query', 'ops_restart'].map((name) => client.callTool({ name })),
    )
    expect(answers.map(textOf)).toEqual(['math:math_add:', 'data:query:', 'admin:restart:'])
    await client.close()
  })

  it('merges initialize: capabilities are the union, instructions name their upstream', async () => {
    gateway = await startGateway({
      upstreams: { math, data },
      router: { upstreams: { math: { namespace: true }, data: { namespace: true } } },
    })
    const client = await connect(gateway.url)
    expect(client.getInstructions()).toBe('## math\n\nAdds numbers.')
    const capabilities = client.getServerCapabilities()!
    expect(Object.keys(capabilities).sort()).toEqual(
      expect.arrayContaining(['prompts', 'resources', 'tools']),
    )
    expect(capabilities.tools?.listChanged).toBe(true)
    await client.close()
  })
})

describe('router, namespacing off', () => {
  const routed = {
    upstreams: { math, data },
    router: {
      upstreams: { math: {}, data: {} },
      routes: [
        { tools: 'math_*', to: 'math' },
        { resources: 'data://**', to: 'data' },
      ],
    },
  }

  it('routes math_* to math and data:// resources to data', async () => {
    gateway = await startGateway(routed)
    const client = await connect(gateway.url)
    expect(textOf(await client.callTool({ name: 'math_mul' }))).toBe('math:math_mul:')
    const read = await client.readResource({ uri: 'data://reports/q7' })
    expect((read.contents[0] as { text: string }).text).toBe('data:template:data://reports/q7')
    await client.close()
  })

  it('answers an unrouted tool with -32602 naming it, and an unrouted method with -32601', async () => {
    gateway = await startGateway(routed)
    const client = await connect(gateway.url)
    await expect(client.callTool({ name: 'nope' })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('Unknown tool: nope'),
    })
    await expect(
      client.request({ method: 'vendor/thing', params: {} }, CallToolResultSchema),
    ).rejects.toMatchObject({ code: -32601 })
    await client.close()
  })

  it('reports two upstreams exposing one name and serves it from the first by priority', async () => {
    gateway = await startGateway({
      upstreams: { data, admin },
      router: { upstreams: { data: {}, admin: { priority: 1 } } },
    })
    const client = await connect(gateway.url)
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toEqual(['query', 'restart'])
    expect(textOf(await client.callTool({ name: 'query' }))).toBe('admin:query:')
    expect(
      gateway.logs.some((line) => /tool "query" is exposed by "admin" and "data"/.test(line)),
    ).toBe(true)
    expect(gateway.router.collisions).toEqual([
      { kind: 'tool', name: 'query', upstreams: ['admin', 'data'] },
    ])
    await client.close()
  })

  it('serves a collided name from neither under collisions: error', async () => {
    gateway = await startGateway({
      upstreams: { data, admin },
      router: { upstreams: { data: {}, admin: {} }, collisions: 'error' },
    })
    const client = await connect(gateway.url)
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toEqual(['restart'])
    await expect(client.callTool({ name: 'query' })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('"data" and "admin"'),
    })
    await client.close()
  })
})

describe('router, access', () => {
  const denyRestart: Middleware = async (ctx, next) => {
    ctx.set(accessKey, (kind, name) => !(kind === 'tool' && name === 'restart'))
    await next()
  }

  it('leaves out what the caller may not use and refuses it exactly like an unknown name', async () => {
    gateway = await startGateway({
      upstreams: { admin },
      router: { upstreams: { admin: {} } },
      before: [denyRestart],
    })
    const client = await connect(gateway.url)
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['query'])
    const hidden = await client.callTool({ name: 'restart' }).catch((error) => error)
    const unknown = await client.callTool({ name: 'restarts' }).catch((error) => error)
    expect([hidden.code, hidden.message.replace('restart', 'X')]).toEqual([
      unknown.code,
      unknown.message.replace('restarts', 'X'),
    ])
    await client.close()
  })
})

describe('router, list changes', () => {
  it('passes an upstream’s tools/list_changed to the client once, and the new tool is callable', async () => {
    gateway = await startGateway({
      upstreams: { math: { ...math, mutable: true }, data: { ...data, mutable: true } },
      router: { upstreams: { math: { namespace: true }, data: { namespace: true } } },
    })
    const client = await connect(gateway.url)
    let changes = 0
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes++
    })
    await client.listTools()
    await client.callTool({ name: 'math_add_tool', arguments: { name: 'pow' } })
    await client.callTool({ name: 'data_add_tool', arguments: { name: 'export' } })
    await eventually(() => changes >= 1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(changes).toBe(1)
    const names = (await client.listTools()).tools.map((tool) => tool.name)
    expect(names).toEqual(expect.arrayContaining(['math_pow', 'data_export']))
    expect(textOf(await client.callTool({ name: 'math_pow' }))).toBe('math:pow:')
    await client.close()
  })
})

describe('router, pagination', () => {
  it('pages 3 × 250 tools: every tool exactly once, in a stable order', async () => {
    const big = (name: string) => ({ name, toolCount: 250, toolPrefix: `${name}_` })
    gateway = await startGateway({
      upstreams: { a: big('a'), b: big('b'), c: big('c') },
      router: { upstreams: { a: {}, b: {}, c: {} }, pageSize: 100 },
    })
    const client = await connect(gateway.url)
    const pages = async () => {
      const names: string[] = []
      let cursor: string | undefined
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor })
        names.push(...page.tools.map((tool) => tool.name))
        cursor = page.nextCursor
      } while (cursor)
      return names
    }
    const first = await pages()
    expect(first).toHaveLength(750)
    expect(new Set(first).size).toBe(750)
    expect(await pages()).toEqual(first)
    await expect(client.listTools({ cursor: 'forged' })).rejects.toMatchObject({ code: -32602 })
    await client.close()
  })
})

describe('router, tasks', () => {
  const tasker = (name: string) => ({ name, tasks: true, taskIds: 'sequential' as const })

  it('keeps a task with its upstream and its creator, and two upstreams’ task-1 apart', async () => {
    gateway = await startGateway({
      upstreams: { one: tasker('one'), two: tasker('two') },
      router: { upstreams: { one: { namespace: true }, two: { namespace: true } } },
    })
    const client = await connect(gateway.url)
    const start = (name: string) =>
      client.request(
        {
          method: 'tools/call',
          params: { name, arguments: { ms: 50, text: 'hi' }, task: { ttl: 60_000 } },
        },
        CreateTaskResultSchema,
      )
    const [a, b] = await Promise.all([start('one_slow_task'), start('two_slow_task')])
    expect(a.task.taskId).not.toBe(b.task.taskId)
    expect((await client.experimental.tasks.getTask(a.task.taskId)).taskId).toBe(a.task.taskId)
    const results = await Promise.all(
      [a, b].map((t) =>
        client.experimental.tasks.getTaskResult(t.task.taskId, CallToolResultSchema),
      ),
    )
    expect(results.map(textOf)).toEqual(['one:slow_task:hi', 'two:slow_task:hi'])
    const listed = await client.experimental.tasks.listTasks()
    expect(listed.tasks.map((task) => task.taskId).sort()).toEqual(
      [a.task.taskId, b.task.taskId].sort(),
    )

    const other = await connect(gateway.url, 'other')
    await expect(other.experimental.tasks.getTask(a.task.taskId)).rejects.toMatchObject({
      code: -32602,
    })
    expect((await other.experimental.tasks.listTasks()).tasks).toEqual([])
    await Promise.all([client.close(), other.close()])
  })
})
