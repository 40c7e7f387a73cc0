import { type Context, createProxy, type Middleware, targetKey } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { type RewriteToolsOptions, rewriteTools } from './rewrite-tools.js'

const upstreamTools = [
  {
    name: 'search',
    description: 'Search',
    inputSchema: {
      type: 'object',
      properties: { q: { type: 'string' }, tenant: { type: 'string' } },
      required: ['q', 'tenant'],
    },
    annotations: { readOnlyHint: false, title: 'Search' },
  },
  { name: 'admin_reset', inputSchema: { type: 'object' } },
  { name: 'echo', inputSchema: { type: 'object' } },
]
const frozen = structuredClone(upstreamTools)

/**
 * An upstream answering in the terminal, and a stand-in router setting
 * `targetKey` for `upstream` (a replica of the router entry `group`, when given).
 */
function gateway(
  options: RewriteToolsOptions,
  upstream = 'crm',
  reply?: (params: any) => unknown,
  group?: string,
) {
  const sent: { params: any }[] = []
  const terminal = async (ctx: Context) => {
    const target = ctx.get(targetKey)!
    sent.push({ params: target.params })
    if (ctx.method === 'tools/list') ctx.result = { tools: upstreamTools } as never
    else
      ctx.result = (reply?.(target.params) ?? { content: [{ type: 'text', text: 'ok' }] }) as never
  }
  const route: Middleware = (ctx, next) => {
    ctx.set(targetKey, { upstream, group, method: ctx.method, params: ctx.params })
    return next()
  }
  const proxy = createProxy({ terminal }).use(route, rewriteTools(options))
  let id = 0
  const ask = (method: string, params: unknown = {}) =>
    proxy.handle({ jsonrpc: '2.0', id: ++id, method, params }) as Promise<any>
  return { ask, sent }
}

const crm = {
  deny: ['admin_*'],
  rename: { search: 'find' },
  descriptions: { search: 'Find a contact' },
  annotations: { search: { readOnlyHint: true } },
  inject: { search: { tenant: 'acme' } },
}

describe('rewriteTools', () => {
  it('rewrites the list without changing the upstream objects', async () => {
    const { ask } = gateway({ upstreams: { crm } })
    const { result } = await ask('tools/list')
    expect(result.tools.map((t: any) => t.name)).toEqual(['find', 'echo'])
    expect(result.tools[0]).toEqual({
      name: 'find',
      description: 'Find a contact',
      inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      annotations: { readOnlyHint: true, title: 'Search' },
    })
    expect(result.tools[1]).toBe(upstreamTools[2])
    expect(upstreamTools).toEqual(frozen)
  })

  it('calls the upstream by its own name with the fixed arguments over the client’s', async () => {
    const { ask, sent } = gateway({ upstreams: { crm } })
    const params = { name: 'find', arguments: { q: 'ada', tenant: 'evil' } }
    const { result } = await ask('tools/call', params)
    expect(result.content[0].text).toBe('ok')
    expect(sent[0]!.params).toEqual({ name: 'search', arguments: { q: 'ada', tenant: 'acme' } })
    expect(params.arguments.tenant).toBe('evil')
  })

  it.each(['admin_reset', 'search'])(
    'refuses %s exactly as the router refuses an unknown tool, without reaching the upstream',
    async (name) => {
      const { ask, sent } = gateway({ upstreams: { crm } })
      const { error } = await ask('tools/call', { name, arguments: {} })
      expect(error).toEqual({ code: -32602, message: `Unknown tool: ${name}` })
      expect(sent).toHaveLength(0)
    },
  )

  it('sends on a name no rule hides, for the upstream to answer (it may list it later)', async () => {
    const { ask, sent } = gateway({ upstreams: { crm } })
    await ask('tools/call', { name: 'nothing_here', arguments: {} })
    expect(sent.map((message) => message.params.name)).toEqual(['nothing_here'])
  })

  it('applies the rules of a router entry to each of its replicas (core’s Target.group)', async () => {
    for (const replica of ['crm-a', 'crm-b']) {
      const { ask, sent } = gateway(
        { upstreams: { crm }, log: () => {} },
        replica,
        undefined,
        'crm',
      )
      const { result } = await ask('tools/list')
      expect(result.tools.map((t: any) => t.name)).toEqual(['find', 'echo'])
      const { error } = await ask('tools/call', { name: 'admin_reset', arguments: {} })
      expect(error).toEqual({ code: -32602, message: 'Unknown tool: admin_reset' })
      expect(sent).toHaveLength(1) // the list only
    }
  })

  it('takes the rules of a replica by its own name, and the entry’s over them, saying so once', async () => {
    const logs: string[] = []
    const replica = gateway(
      { upstreams: { 'crm-b': crm }, log: (l) => logs.push(l) },
      'crm-b',
      undefined,
      'crm',
    )
    expect((await replica.ask('tools/list')).result.tools.map((t: any) => t.name)).toEqual([
      'find',
      'echo',
    ])
    const both = {
      upstreams: { crm, 'crm-b': { deny: ['echo'] } },
      log: (l: string) => logs.push(l),
    }
    const g = gateway(both, 'crm-b', undefined, 'crm')
    expect((await g.ask('tools/list')).result.tools.map((t: any) => t.name)).toEqual([
      'find',
      'echo',
    ])
    await g.ask('tools/list')
    expect(logs).toEqual([
      expect.stringContaining('rules for both the router entry "crm" and its replica "crm-b"'),
    ])
  })

  it('logs once per name a tools message whose upstream upstreams has no rules for (no router: the fallback)', async () => {
    const logs: string[] = []
    const seen: unknown[] = []
    const proxy = createProxy({
      terminal: async (ctx) => {
        seen.push(ctx.params)
        ctx.result = (
          ctx.method === 'tools/list' ? { tools: upstreamTools } : { content: [] }
        ) as never
      },
    }).use(rewriteTools({ upstreams: { crm }, log: (line) => logs.push(line) }))
    for (let id = 1; id <= 3; id++) {
      await proxy.handle({ jsonrpc: '2.0', id, method: 'tools/list', params: {} })
    }
    await proxy.handle({
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'admin_reset' },
    })
    expect(logs).toEqual([
      expect.stringMatching(
        /^upstream "default" has no rules in rewriteTools\(\{ upstreams \}\): its tools pass unchanged/,
      ),
    ])
  })

  it('leaves an upstream it has no rules for alone, and says so once', async () => {
    const logs: string[] = []
    const { ask, sent } = gateway({ upstreams: { crm }, log: (l) => logs.push(l) }, 'other')
    const { result } = await ask('tools/list')
    expect(result.tools).toBe(upstreamTools)
    await ask('tools/call', { name: 'admin_reset' })
    expect(sent[1]!.params.name).toBe('admin_reset')
    expect(logs).toEqual([expect.stringContaining('upstream "other" has no rules')])
  })

  it('applies one set of rules to every upstream', async () => {
    const { ask } = gateway({ deny: ['echo'] }, 'anything')
    const { result } = await ask('tools/list')
    expect(result.tools.map((t: any) => t.name)).toEqual(['search', 'admin_reset'])
  })

  it('truncates a result past maxResultBytes, or answers an isError result', async () => {
    const long = () => ({ content: [{ type: 'text', text: 'x'.repeat(10_000) }] })
    const cut = gateway({ maxResultBytes: 1000, truncationMarker: '[cut]' }, 'u', long)
    const { result } = await cut.ask('tools/call', { name: 'echo' })
    expect(JSON.stringify(result).length).toBeLessThanOrEqual(1000)
    expect(result.content[0].text.endsWith('[cut]')).toBe(true)
    const refuse = gateway({ maxResultBytes: 1000, onOversize: 'error' }, 'u', long)
    expect((await refuse.ask('tools/call', { name: 'echo' })).result.isError).toBe(true)
  })

  it('rewrites params without a router (no target) by replacing them', async () => {
    const seen: unknown[] = []
    const proxy = createProxy({
      terminal: async (ctx) => {
        seen.push(ctx.params)
        ctx.result = { content: [] } as never
      },
    }).use(rewriteTools({ rename: { search: 'find' } }))
    await proxy.handle({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'find' } })
    expect(seen).toEqual([{ name: 'search' }])
  })

  it('refuses rules beside upstreams, and a bad fallback name', () => {
    expect(() => rewriteTools({ upstreams: {}, deny: ['x'] } as never)).toThrow(
      'deny must be inside upstreams.<name> when upstreams is given',
    )
    expect(() => rewriteTools({ upstream: '' })).toThrow('upstream must be a non-empty string')
  })

  it('refuses a fallback upstream that upstreams has no rules for (its messages would pass unchanged)', () => {
    expect(() => rewriteTools({ upstreams: { crm }, upstream: 'crn' })).toThrow(
      'upstream must be a key of upstreams ("crn" has no rules)',
    )
    expect(() => rewriteTools({ upstreams: { crm }, upstream: 'crm' })).not.toThrow()
  })
})
