import { Context, principalKey, sourceKey } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { fakeGateway } from '../test/fake.js'

/** An upstream whose task ids are task-1, task-2, … like a fresh server's. */
function taskUpstream() {
  let n = 0
  const tasks: Record<string, unknown>[] = []
  return (method: string, params: Record<string, unknown>) => {
    if (method === 'tools/list')
      return { tools: [{ name: 'slow', inputSchema: { type: 'object' } }] }
    if (method === 'tools/call') {
      const task = { taskId: `task-${++n}`, status: 'working', ttl: 60_000 }
      tasks.push(task)
      return { task }
    }
    if (method === 'tasks/get') return { taskId: params.taskId, status: 'working' }
    if (method === 'tasks/list') return { tasks }
    throw new Error(`no ${method}`)
  }
}

describe('router tasks', () => {
  it('hands out its own ids and sends tasks/get to the owner with the upstream’s id', async () => {
    const gw = fakeGateway(
      { a: taskUpstream(), b: taskUpstream() },
      { upstreams: { a: { namespace: true }, b: { namespace: true } } },
    )
    const one = (await gw.request('tools/call', { name: 'a_slow', task: {} })) as {
      task: { taskId: string }
    }
    const two = (await gw.request('tools/call', { name: 'b_slow', task: {} })) as {
      task: { taskId: string }
    }
    expect(one.task.taskId).not.toBe(two.task.taskId)
    expect(await gw.request('tasks/get', { taskId: two.task.taskId })).toEqual({
      taskId: two.task.taskId,
      status: 'working',
    })
    expect(gw.calls.at(-1)).toMatchObject({ upstream: 'b', params: { taskId: 'task-1' } })
  })

  it('refuses another principal’s task like an unknown one, and lists each principal’s own', async () => {
    // The caller is whoever the message says, so that one router serves two principals.
    const gw = fakeGateway({ a: taskUpstream() }, { upstreams: { a: {} } }, [
      async function principal(ctx, next) {
        ctx.set(principalKey, { subject: (ctx.params as { as: string }).as, scopes: [] })
        await next()
      },
    ])
    const mine = (await gw.request('tools/call', { name: 'slow', task: {}, as: 'alice' })) as {
      task: { taskId: string }
    }
    await expect(
      gw.request('tasks/get', { taskId: mine.task.taskId, as: 'bob' }),
    ).rejects.toMatchObject({
      code: -32602,
      message: `Unknown task: ${mine.task.taskId}`,
    })
    await expect(gw.request('tasks/get', { taskId: 'task-1', as: 'alice' })).rejects.toMatchObject({
      code: -32602,
    })
    const listed = (await gw.request('tasks/list', { as: 'alice' })) as {
      tasks: { taskId: string }[]
    }
    expect(listed.tasks.map((task) => task.taskId)).toEqual([mine.task.taskId])
    expect(await gw.request('tasks/list', { as: 'bob' })).toEqual({ tasks: [] })
  })

  it('lets one caller past a tenth of maxTasks forget its own oldest task, not another’s', async () => {
    const gw = fakeGateway({ a: taskUpstream() }, { upstreams: { a: {} }, maxTasks: 20 }, [
      async function principal(ctx, next) {
        ctx.set(principalKey, { subject: (ctx.params as { as: string }).as, scopes: [] })
        await next()
      },
    ])
    const start = async (as: string) =>
      (
        (await gw.request('tools/call', { name: 'slow', task: {}, as })) as {
          task: { taskId: string }
        }
      ).task.taskId
    const alice = await start('alice')
    const mallory = [await start('mallory'), await start('mallory'), await start('mallory')]
    expect(gw.router.taskCount).toBe(3) // alice's one, mallory's latest two
    await expect(gw.request('tasks/get', { taskId: alice, as: 'alice' })).resolves.toMatchObject({
      taskId: alice,
    })
    await expect(
      gw.request('tasks/get', { taskId: mallory[0], as: 'mallory' }),
    ).rejects.toMatchObject({
      code: -32602,
    })
  })

  it('remembers at most maxTasks tasks, forgetting the oldest', async () => {
    const gw = fakeGateway({ a: taskUpstream() }, { upstreams: { a: {} }, maxTasks: 2 }, [
      async function principal(ctx, next) {
        ctx.set(principalKey, { subject: (ctx.params as { as: string }).as, scopes: [] })
        await next()
      },
    ])
    const ids: string[] = []
    for (const as of ['a', 'b', 'c']) {
      const result = (await gw.request('tools/call', { name: 'slow', task: {}, as })) as {
        task: { taskId: string }
      }
      ids.push(result.task.taskId)
    }
    expect(gw.router.taskCount).toBe(2)
    await expect(gw.request('tasks/get', { taskId: ids[0], as: 'a' })).rejects.toMatchObject({
      code: -32602,
    })
    await expect(gw.request('tasks/get', { taskId: ids[2], as: 'c' })).resolves.toMatchObject({
      taskId: ids[2],
    })
  })
})

describe('router tasks on per-session connections', () => {
  it('keeps two sessions’ task-1 on one upstream apart, statuses included', async () => {
    const gw = fakeGateway(
      {
        a: (method) =>
          method === 'tools/list'
            ? { tools: [{ name: 'slow', inputSchema: { type: 'object' } }] }
            : { task: { taskId: 'task-1', status: 'working' } },
      },
      { upstreams: { a: {} } },
    )
    const start = async (id: string) => {
      const response = await gw.proxy.handle(
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', task: {} } },
        { session: { id, transport: 'test' } },
      )
      return (response as unknown as { result: { task: { taskId: string } } }).result.task.taskId
    }
    const [alice, bob] = [await start('s-alice'), await start('s-bob')]
    expect(alice).not.toBe(bob)
    const status = new Context<string>({
      kind: 'notification',
      method: 'notifications/tasks/status',
      params: { taskId: 'task-1', status: 'completed' },
      direction: 'toClient',
      session: { id: 's-bob', transport: 'test' },
    })
    status.set(sourceKey, 'a')
    await gw.proxy.dispatch(status, async () => {})
    expect((status.params as { taskId: string }).taskId).toBe(bob)
  })

  it('drops a status for a task it never handed out rather than pass the upstream’s id on', async () => {
    const gw = fakeGateway({ a: () => ({}) }, { upstreams: { a: {} } })
    let delivered = false
    const status = new Context<string>({
      kind: 'notification',
      method: 'notifications/tasks/status',
      params: { taskId: 'task-9', status: 'working' },
      direction: 'toClient',
    })
    status.set(sourceKey, 'a')
    await gw.proxy.dispatch(status, async () => {
      delivered = true
    })
    expect(delivered).toBe(false)
  })
})
