import { Context, ErrorCode, McpxError, sourceKey } from '@mcpx/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type FakeUpstream, fakeGateway, toolsUpstream } from '../test/fake.js'

afterEach(() => {
  vi.useRealTimers()
})

const INIT = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 't', version: '1' },
}
const LISTS = ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']

/** An upstream with two tools, one prompt, three resources and no templates (-32601). */
const full: FakeUpstream = (method, params) => {
  if (method === 'prompts/list') return { prompts: [{ name: 'greet' }] }
  if (method === 'resources/list')
    return { resources: ['a', 'b', 'c'].map((id) => ({ uri: `full://${id}`, name: id })) }
  if (method === 'resources/templates/list')
    throw new McpxError(ErrorCode.MethodNotFound, 'Method not found')
  return toolsUpstream('full', ['add', 'sub'])(method, params)
}

/** An upstream listing one tool, that fails every request with `why()` while it says something. */
function flaky(why: () => string | undefined): FakeUpstream {
  const up = toolsUpstream('flaky', ['query'])
  return (method, params) => {
    const message = why()
    if (message !== undefined) throw new McpxError(ErrorCode.UpstreamUnavailable, message)
    return up(method, params)
  }
}

describe('router.upstreams()', () => {
  it('has every entry, in declaration order, with no counts before anything listed', () => {
    const gw = fakeGateway({ full, other: full }, { upstreams: { other: {}, full: {} } })
    expect(gw.router.upstreams()).toEqual([
      {
        name: 'other',
        tools: undefined,
        prompts: undefined,
        resources: undefined,
        resourceTemplates: undefined,
        missing: undefined,
      },
      {
        name: 'full',
        tools: undefined,
        prompts: undefined,
        resources: undefined,
        resourceTemplates: undefined,
        missing: undefined,
      },
    ])
  })

  it('counts each list as the upstream last listed it; a list it does not have counts 0', async () => {
    const gw = fakeGateway({ full }, { upstreams: { full: { namespace: true } } })
    for (const method of LISTS) await gw.request(method)
    expect(gw.router.upstreams()).toEqual([
      {
        name: 'full',
        tools: 2,
        prompts: 1,
        resources: 3,
        resourceTemplates: 0,
        missing: undefined,
      },
    ])
  })

  it('counts only the lists fetched so far', async () => {
    const gw = fakeGateway({ full }, { upstreams: { full: {} } })
    await gw.request('tools/list')
    expect(gw.router.upstreams()[0]).toMatchObject({ tools: 2, prompts: undefined })
  })

  it('says why an entry whose initialize failed is missing, until it answers again', async () => {
    let why: string | undefined = 'Upstream "flaky" could not be started (ENOENT)'
    const gw = fakeGateway(
      { full, flaky: flaky(() => why) },
      { upstreams: { full: {}, flaky: {} } },
    )
    await gw.request('initialize', INIT)
    const [ok, missing] = gw.router.upstreams()
    expect(missing).toMatchObject({
      name: 'flaky',
      tools: undefined,
      missing: 'Upstream "flaky" could not be started (ENOENT)',
    })
    expect(ok!.missing).toBeUndefined()
    why = undefined
    await gw.request('initialize', INIT)
    expect(gw.router.upstreams()[1]!.missing).toBeUndefined()
  })

  it('says why an entry is missing from a list (its latest failure) and counts it once it joins', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    let why: string | undefined = 'Upstream "flaky" could not be reached'
    const gw = fakeGateway(
      { full, flaky: flaky(() => why) },
      { upstreams: { full: {}, flaky: {} }, retryInterval: 1000 },
    )
    await gw.request('tools/list')
    expect(gw.router.upstreams()[1]!.missing).toBe('Upstream "flaky" could not be reached')
    why = 'Upstream "flaky" timed out'
    vi.advanceTimersByTime(1001)
    await gw.request('tools/list')
    expect(gw.router.upstreams()[1]).toMatchObject({
      tools: undefined,
      missing: 'Upstream "flaky" timed out',
    })
    why = undefined
    vi.advanceTimersByTime(1001)
    await gw.request('tools/list')
    expect(gw.router.upstreams()[1]).toMatchObject({ tools: 1, missing: undefined })
  })

  it('is not missing when a list it has a copy of fails again: the copy is kept and counted', async () => {
    let why: string | undefined
    const gw = fakeGateway(
      { full, flaky: flaky(() => why) },
      { upstreams: { full: {}, flaky: {} }, retryInterval: 1000 },
    )
    await gw.request('tools/list')
    why = 'Upstream "flaky" could not be reached'
    const changed = new Context<string>({
      kind: 'notification',
      method: 'notifications/tools/list_changed',
      direction: 'toClient',
    })
    changed.set(sourceKey, 'flaky')
    await gw.proxy.dispatch(changed, async () => {})
    await gw.request('tools/list')
    expect(gw.logs.some((line) => /"flaky" is missing from tools\/list/.test(line))).toBe(true)
    expect(gw.router.upstreams()[1]).toMatchObject({ tools: 1, missing: undefined })
  })

  it('leaves out internals: a failure that is not an McpxError is "internal error"', async () => {
    const gw = fakeGateway(
      {
        full,
        broken: () => {
          throw new Error('ECONNREFUSED 10.0.0.7:5432 as admin')
        },
      },
      { upstreams: { full: {}, broken: {} } },
    )
    await gw.request('initialize', INIT)
    await gw.request('tools/list')
    expect(gw.router.upstreams()[1]!.missing).toBe('internal error')
  })

  it('forgets an initialize failure once the entry answers a list', async () => {
    let why: string | undefined = 'Upstream "flaky" could not be reached'
    const gw = fakeGateway(
      { full, flaky: flaky(() => why) },
      { upstreams: { full: {}, flaky: {} } },
    )
    await gw.request('initialize', INIT)
    why = undefined
    await gw.request('tools/list')
    expect(gw.router.upstreams()[1]).toMatchObject({ tools: 1, missing: undefined })
  })
})
