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

  it('drops a status it cannot map from an upstream it made tasks on, and passes one from any other', async () => {
    const gw = fakeGateway(
      { a: taskUpstream(), b: taskUpstream() },
      { upstreams: { a: {}, b: {} } },
    )
    await gw.request('tools/call', { name: 'slow', task: {} })
    const deliveredFrom = async (source: string) => {
      let delivered = false
      const status = new Context<string>({
        kind: 'notification',
        method: 'notifications/tasks/status',
        params: { taskId: 'task-9', status: 'working' },
        direction: 'toClient',
      })
      status.set(sourceKey, source)
      await gw.proxy.dispatch(status, async () => {
        delivered = true
      })
      return delivered
    }
    const owner = gw.calls.find((c) => c.method === 'tools/call')!.upstream
    expect(await deliveredFrom(owner)).toBe(false)
    expect(await deliveredFrom(owner === 'a' ? 'b' : 'a')).toBe(true)
  })
})

describe('router tasks and sessions', () => {
  it('refuses a task from another session of the same principal (its id means nothing on that connection)', async () => {
    const gw = fakeGateway({ a: taskUpstream() }, { upstreams: { a: {} } }, [
      async function principal(ctx, next) {
        ctx.set(principalKey, { subject: 'alice', scopes: [] })
        await next()
      },
    ])
    const on = (id: string, method: string, params: Record<string, unknown>) =>
      gw.proxy.handle(
        { jsonrpc: '2.0', id: 1, method, params },
        { session: { id, transport: 'test' } },
      )
    const created = (await on('s1', 'tools/call', { name: 'slow', task: {} })) as unknown as {
      result: { task: { taskId: string } }
    }
    const taskId = created.result.task.taskId
    expect(await on('s1', 'tasks/get', { taskId })).toMatchObject({ result: { taskId } })
    expect(await on('s2', 'tasks/get', { taskId })).toMatchObject({ error: { code: -32602 } })
  })
})
