import {
  accessKey,
  Context,
  createHealthRegistry,
  ErrorCode,
  McpxError,
  type Middleware,
  sourceKey,
} from '@mcpx/core'
import { eventually } from '@mcpx/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { asSession, fakeGateway, toolsUpstream } from '../test/fake.js'

afterEach(() => {
  vi.useRealTimers()
})

const names = (result: Record<string, unknown>) =>
  (result.tools as { name: string }[]).map((tool) => tool.name)

describe('router: where a tool call goes', () => {
  const upstreams = {
    math: toolsUpstream('math', ['add', 'math_special']),
    data: toolsUpstream('data', ['query', 'math_special']),
  }

  it('sends a route’s match to its upstream, before the lists are asked', async () => {
    const gw = fakeGateway(upstreams, {
      upstreams: { math: {}, data: {} },
      routes: [{ tools: 'math_*', to: 'data' }],
    })
    await gw.request('tools/call', { name: 'math_special' })
    expect(gw.calls.at(-1)).toMatchObject({ upstream: 'data', params: { name: 'math_special' } })
  })

  it('names the router entry a message goes to in its target (group), beside the replica', async () => {
    const gw = fakeGateway(upstreams, { upstreams: { math: { namespace: 'm' }, data: {} } })
    await gw.request('tools/call', { name: 'm_add' })
    expect(gw.calls.at(-1)).toMatchObject({ upstream: 'math', group: 'math' })
  })

  it('sends a listed name to the upstream that lists it, under its own name', async () => {
    const gw = fakeGateway(upstreams, { upstreams: { math: { namespace: 'm' }, data: {} } })
    await gw.request('tools/call', { name: 'm_add' })
    expect(gw.calls.at(-1)).toMatchObject({ upstream: 'math', params: { name: 'add' } })
  })

  it('gives the layers below a listed tool’s definition (core’s toolKey), under the name the client called', async () => {
    const gw = fakeGateway(upstreams, { upstreams: { math: { namespace: 'm' }, data: {} } })
    await gw.request('tools/call', { name: 'm_add' })
    expect(gw.calls.at(-1)?.tool).toEqual({ name: 'm_add', inputSchema: { type: 'object' } })
  })

  it('sends a name to the default entry while that entry’s list is unknown', async () => {
    const gw = fakeGateway(
      {
        math: toolsUpstream('math', ['add']),
        data: (method) => {
          if (method === 'tools/list') throw new Error('cannot list')
          return { content: [] }
        },
      },
      { upstreams: { math: {}, data: {} }, default: 'data' },
    )
    await gw.request('tools/call', { name: 'unlisted' })
    expect(gw.calls.at(-1)).toMatchObject({ upstream: 'data', params: { name: 'unlisted' } })
    // Not listed: no definition to give.
    expect(gw.calls.at(-1)?.tool).toBeUndefined()
  })

  it('refuses a name its prefix or the default places but its upstream does not list, like an unknown one', async () => {
    const gw = fakeGateway(upstreams, {
      upstreams: { math: { namespace: 'm' }, data: {} },
      default: 'data',
    })
    for (const name of ['m_nope', 'nope']) {
      await expect(gw.request('tools/call', { name })).rejects.toMatchObject({
        code: -32602,
        message: `Unknown tool: ${name}`,
      })
    }
    expect(gw.calls.filter((c) => c.method === 'tools/call')).toEqual([])
  })

  it('refuses an unplaced tool with -32602 naming it', async () => {
    const gw = fakeGateway(upstreams, { upstreams: { math: {}, data: {} } })
    await expect(gw.request('tools/call', { name: 'nope' })).rejects.toMatchObject({
      code: -32602,
      message: 'Unknown tool: nope',
    })
  })

  it('refuses an unrouted method with -32601 and routes one that a method route covers', async () => {
    const gw = fakeGateway(
      { ...upstreams, data: () => ({ ok: true }) },
      { upstreams: { math: {}, data: {} }, routes: [{ methods: 'vendor/*', to: 'data' }] },
    )
    await expect(gw.request('other/thing')).rejects.toMatchObject({ code: -32601 })
    expect(await gw.request('vendor/thing')).toEqual({ ok: true })
  })

  it('shortens a namespaced name over 64 characters and restores it on the way to the upstream', async () => {
    const long = `tool_${'x'.repeat(80)}`
    const gw = fakeGateway(
      { math: toolsUpstream('math', [long]) },
      { upstreams: { math: { namespace: true } } },
    )
    const [exposed] = names(await gw.request('tools/list'))
    expect(exposed!.length).toBeLessThanOrEqual(64)
    await gw.request('tools/call', { name: exposed })
    expect(gw.calls.at(-1)).toMatchObject({ upstream: 'math', params: { name: long } })
  })
})

describe('router: collisions', () => {
  const upstreams = {
    math: toolsUpstream('math', ['shared']),
    data: toolsUpstream('data', ['shared']),
  }

  it('reports a collision at the first list and again at every refresh', async () => {
    const gw = fakeGateway(upstreams, { upstreams: { math: {}, data: {} } })
    await gw.request('tools/list')
    const reports = () =>
      gw.logs.filter((line) => line.includes('tool "shared" is exposed by')).length
    expect(reports()).toBe(1)
    await gw.proxy.handle(
      { jsonrpc: '2.0', method: 'notifications/tools/list_changed' },
      { direction: 'toClient' },
    )
    await gw.request('tools/list')
    expect(reports()).toBe(1) // no source upstream: nothing refreshed
  })

  it('lets the entry with the higher priority serve a collided name', async () => {
    const gw = fakeGateway(upstreams, { upstreams: { math: {}, data: { priority: 5 } } })
    await gw.request('tools/call', { name: 'shared' })
    expect(gw.calls.at(-1)).toMatchObject({ upstream: 'data' })
  })
})

describe('router: an upstream that is down', () => {
  it('is left out of lists and logged as missing, and joins once it answers again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    let down = true
    const flaky = toolsUpstream('data', ['query'])
    const gw = fakeGateway(
      {
        math: toolsUpstream('math', ['add']),
        data: (method, params) => {
          if (down) throw new Error('connection refused')
          return flaky(method, params)
        },
      },
      { upstreams: { math: {}, data: {} }, retryInterval: 1000 },
    )
    expect(names(await gw.request('tools/list'))).toEqual(['add'])
    expect(gw.logs.some((line) => /upstream "data" is missing from tools\/list/.test(line))).toBe(
      true,
    )
    down = false
    expect(names(await gw.request('tools/list'))).toEqual(['add']) // not asked again yet
    vi.advanceTimersByTime(1001)
    expect(names(await gw.request('tools/list'))).toEqual(['add', 'query'])
    expect(gw.logs.some((line) => /upstream "data" is back/.test(line))).toBe(true)
  })

  it('asks a missing upstream again on its own and tells the sessions that listed when it joins', async () => {
    const { middleware: asS1, told } = asSession('s1')
    let down = true
    const flaky = toolsUpstream('data', ['query'])
    const gw = fakeGateway(
      {
        math: toolsUpstream('math', ['add']),
        data: (method, params) => {
          if (down) throw new Error('connection refused')
          return flaky(method, params)
        },
      },
      { upstreams: { math: {}, data: {} }, retryInterval: 20 },
      [asS1],
    )
    expect(names(await gw.request('tools/list'))).toEqual(['add'])
    down = false
    await eventually(() => told.length > 0)
    expect(told).toEqual(['notifications/tools/list_changed'])
    expect(names(await gw.request('tools/list'))).toEqual(['add', 'query'])
    gw.router.close()
  })

  it('does not fail initialize while another upstream answers, and logs the missing one', async () => {
    const gw = fakeGateway(
      {
        math: toolsUpstream('math', ['add']),
        data: () => {
          throw new Error('down')
        },
      },
      { upstreams: { math: {}, data: {} } },
    )
    const result = await gw.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 't', version: '1' },
    })
    expect(result.capabilities).toEqual({
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: true },
    })
    expect(gw.logs.some((line) => /upstream "data" is missing/.test(line))).toBe(true)
  })
})

describe('router: replicas', () => {
  const replicated = {
    'math-1': toolsUpstream('math-1', ['add']),
    'math-2': toolsUpstream('math-2', ['add']),
  }

  it('spreads calls round robin over the replicas and skips one that is unavailable', async () => {
    const health = createHealthRegistry()
    const gw = fakeGateway(replicated, {
      upstreams: { math: { replicas: ['math-1', 'math-2'] } },
      health,
    })
    for (let i = 0; i < 4; i++) await gw.request('tools/call', { name: 'add' })
    const picked = () => gw.calls.filter((c) => c.method === 'tools/call').map((c) => c.upstream)
    // Alternating (the list fetch before the first call took a turn too).
    const [first, second] = picked()
    expect(first).not.toBe(second)
    expect(picked()).toEqual([first, second, first, second])
    // Each replica's target names the entry it belongs to.
    expect(new Set(gw.calls.map((c) => c.group))).toEqual(new Set(['math']))
    health.report('math-1', 'breaker', 'open')
    for (let i = 0; i < 2; i++) await gw.request('tools/call', { name: 'add' })
    expect(picked().slice(4)).toEqual(['math-2', 'math-2'])
  })

  it('answers with an error naming the group when no replica is available', async () => {
    const health = createHealthRegistry()
    health.report('math-1', 'pool', 'unhealthy')
    health.report('math-2', 'pool', 'unhealthy')
    const gw = fakeGateway(replicated, {
      upstreams: { math: { replicas: ['math-1', 'math-2'] } },
      routes: [{ tools: '*', to: 'math' }],
      health,
    })
    await expect(gw.request('tools/call', { name: 'add' })).rejects.toMatchObject({
      code: -32010,
      message: 'No available replica of upstream "math"',
    })
  })

  it('sends logging/setLevel to the replicas the session has used, and a balanced one where it used none', async () => {
    const ok = () => ({ tools: [{ name: 'add', inputSchema: { type: 'object' } }] })
    const session = asSession('s1').middleware
    const health = createHealthRegistry()
    const gw = fakeGateway(
      { 'math-1': ok, 'math-2': ok, 'math-3': ok, data: ok },
      {
        upstreams: { math: { replicas: ['math-1', 'math-2', 'math-3'] }, data: {} },
        routes: [{ tools: '*', to: 'math' }],
        health,
      },
      [session],
    )
    for (let i = 0; i < 3; i++) await gw.request('tools/call', { name: 'add' }) // math-1, -2, -3
    health.report('math-3', 'pool', 'unhealthy')
    gw.calls.length = 0
    expect(await gw.request('logging/setLevel', { level: 'debug' })).toEqual({})
    expect(gw.calls.map((c) => c.upstream).sort()).toEqual(['data', 'math-1', 'math-2'])
  })

  it('sends a subscription and its unsubscribe to the same replica, whatever the strategy', async () => {
    const ok = () => ({})
    const gw = fakeGateway(
      { 'data-1': ok, 'data-2': ok, 'data-3': ok },
      {
        upstreams: { data: { replicas: ['data-1', 'data-2', 'data-3'] } },
        routes: [{ resources: '**', to: 'data' }],
      },
    )
    for (let i = 0; i < 6; i++) {
      const uri = `data://r/${i}`
      await gw.request('resources/subscribe', { uri })
      await gw.request('resources/unsubscribe', { uri })
      const [sub, unsub] = gw.calls.slice(-2)
      expect(unsub!.upstream).toBe(sub!.upstream)
    }
  })

  it('answers logging/setLevel when one upstream refuses it and another takes it', async () => {
    const gw = fakeGateway(
      { math: toolsUpstream('math', []), data: () => ({}) },
      { upstreams: { math: {}, data: {} } },
    )
    expect(await gw.request('logging/setLevel', { level: 'info' })).toEqual({})
  })
})

describe('router: completions', () => {
  it('routes completion/complete by its prompt ref, under the prompt’s own name', async () => {
    const upstream = (method: string) =>
      method === 'prompts/list'
        ? { prompts: [{ name: 'summary' }] }
        : { completion: { values: [] } }
    const gw = fakeGateway(
      { math: toolsUpstream('math', []), data: upstream },
      { upstreams: { math: { namespace: true }, data: { namespace: true } } },
    )
    await gw.request('completion/complete', {
      ref: { type: 'ref/prompt', name: 'data_summary' },
      argument: { name: 'topic', value: 'a' },
    })
    expect(gw.calls.at(-1)).toMatchObject({
      upstream: 'data',
      method: 'completion/complete',
      params: { ref: { type: 'ref/prompt', name: 'summary' } },
    })
  })
})

describe('router options', () => {
  it('rejects a route to an unknown entry, a default naming none, and an empty upstreams', () => {
    expect(() =>
      fakeGateway({}, { upstreams: { a: {} }, routes: [{ tools: '*', to: 'b' }] }),
    ).toThrow(/route #0 goes to no upstream entry: "b"/)
    expect(() => fakeGateway({}, { upstreams: { a: {} }, default: 'b' })).toThrow(
      /default names no upstream/,
    )
    expect(() => fakeGateway({}, { upstreams: {} })).toThrow(/at least one entry/)
    expect(() =>
      fakeGateway({}, { upstreams: { a: { namespace: 'x' }, b: { namespace: 'x' } } }),
    ).toThrow(/"a" and "b" share the namespace "x"/)
  })
})

describe('router: catalogs under concurrency', () => {
  it('gives a list asked after list_changed the new list, even when it joins a fetch started before', async () => {
    let version = 1
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const gw = fakeGateway(
      {
        math: async (method) => {
          if (method !== 'tools/list') return {}
          const tools = [{ name: `v${version}`, inputSchema: { type: 'object' } }]
          await gate
          return { tools }
        },
      },
      { upstreams: { math: {} } },
    )
    const first = gw.request('tools/list')
    await new Promise((resolve) => setImmediate(resolve))
    const changed = new Context<string>({
      kind: 'notification',
      method: 'notifications/tools/list_changed',
      direction: 'toClient',
    })
    changed.set(sourceKey, 'math')
    await gw.proxy.dispatch(changed, async () => {})
    version = 2
    const second = gw.request('tools/list')
    release()
    await first
    expect(names(await second)).toEqual(['v2'])
  })
})

describe('router: hidden resource templates', () => {
  it('answers a URI only a hidden template expands like an unknown resource', async () => {
    const hideTemplates: Middleware = async (ctx, next) => {
      ctx.set(accessKey, (kind) => kind !== 'resourceTemplate')
      await next()
    }
    const gw = fakeGateway(
      {
        data: (method) =>
          method === 'resources/templates/list'
            ? { resourceTemplates: [{ uriTemplate: 'data://r/{id}', name: 'r' }] }
            : { resources: [], contents: [] },
      },
      { upstreams: { data: {} } },
      [hideTemplates],
    )
    await expect(gw.request('resources/read', { uri: 'data://r/1' })).rejects.toMatchObject({
      code: -32002,
    })
  })

  it('hides a URI a hidden template expands even when a route or a listed resource places it', async () => {
    const hideTemplates: Middleware = async (ctx, next) => {
      ctx.set(accessKey, (kind) => kind !== 'resourceTemplate')
      await next()
    }
    const gw = fakeGateway(
      {
        data: (method) =>
          method === 'resources/templates/list'
            ? { resourceTemplates: [{ uriTemplate: 'data://r/{id}', name: 'r' }] }
            : method === 'resources/list'
              ? { resources: [{ uri: 'data://r/listed', name: 'listed' }] }
              : { contents: [{ uri: 'data://r/1', text: 'secret' }] },
      },
      { upstreams: { data: {} }, routes: [{ resources: 'data://r/*', to: 'data' }] },
      [hideTemplates],
    )
    for (const uri of ['data://r/1', 'data://r/listed']) {
      await expect(gw.request('resources/read', { uri })).rejects.toMatchObject({ code: -32002 })
    }
    expect(gw.calls.filter((c) => c.method === 'resources/read')).toHaveLength(0)
  })
})

describe('router: review cases', () => {
  it('takes an upstream without a list (-32601) as an empty one: no retries, no log', async () => {
    const math = toolsUpstream('math', ['add'])
    const gw = fakeGateway(
      {
        math: (method, params) => {
          if (method === 'prompts/list') throw new McpxError(ErrorCode.MethodNotFound, 'no prompts')
          return math(method, params)
        },
      },
      { upstreams: { math: {} } },
    )
    expect(await gw.request('prompts/list')).toEqual({ prompts: [] })
    await gw.request('prompts/list')
    expect(gw.calls.filter((c) => c.method === 'prompts/list')).toHaveLength(1)
    expect(gw.logs).toEqual([])
  })

  it('sends a tool only one replica of a group lists to the group (a canary’s new tool)', async () => {
    const gw = fakeGateway(
      {
        'math-1': toolsUpstream('math-1', ['add']),
        'math-2': toolsUpstream('math-2', ['add', 'pow']),
      },
      { upstreams: { math: { replicas: ['math-1', 'math-2'], namespace: true } } },
    )
    await gw.request('tools/list')
    await gw.request('tools/call', { name: 'math_pow' })
    expect(gw.calls.at(-1)).toMatchObject({ method: 'tools/call', params: { name: 'pow' } })
  })

  it('sends an unsubscribe to the replica holding the subscription after health moved the hash', async () => {
    const ok = () => ({})
    const health = createHealthRegistry()
    const session = asSession('s6').middleware
    const gw = fakeGateway(
      { r1: ok, r2: ok, r3: ok },
      {
        upstreams: { data: { replicas: ['r1', 'r2', 'r3'] } },
        routes: [{ resources: '**', to: 'data' }],
        health,
      },
      [session],
    )
    for (const down of ['r1', 'r2', 'r3']) {
      health.report(down, 'pool', 'unhealthy')
      await gw.request('resources/subscribe', { uri: `data://x/${down}` })
      const held = gw.calls.at(-1)!.upstream
      health.report(down, 'pool', 'ready')
      await gw.request('resources/unsubscribe', { uri: `data://x/${down}` })
      expect(gw.calls.at(-1)!.upstream).toBe(held)
    }
  })
})

describe('router: logging level per session', () => {
  it('gives a replica the session reaches after logging/setLevel that level first, once', async () => {
    const ok = () => ({ tools: [{ name: 'add', inputSchema: { type: 'object' } }] })
    const session = asSession('s').middleware
    const gw = fakeGateway(
      { r1: ok, r2: ok, r3: ok },
      {
        upstreams: { math: { replicas: ['r1', 'r2', 'r3'] } },
        routes: [{ tools: '*', to: 'math' }],
      },
      [session],
    )
    await gw.request('tools/call', { name: 'add' })
    await gw.request('logging/setLevel', { level: 'debug' })
    for (let i = 0; i < 4; i++) await gw.request('tools/call', { name: 'add' })
    const levels = gw.calls.filter((c) => c.method === 'logging/setLevel').map((c) => c.upstream)
    expect(levels.sort()).toEqual(['r1', 'r2', 'r3'])
    // Every call after the level was set reaches a replica that has the level already.
    const set = gw.calls.findIndex((c) => c.method === 'logging/setLevel')
    for (const [i, c] of gw.calls.entries()) {
      if (i < set || c.method !== 'tools/call') continue
      const before = gw.calls.slice(0, i).map((e) => `${e.method} ${e.upstream}`)
      expect(before).toContain(`logging/setLevel ${c.upstream}`)
    }
  })
})
