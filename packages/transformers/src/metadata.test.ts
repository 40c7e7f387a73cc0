import {
  answerHeadersKey,
  Context,
  compose,
  principalKey,
  targetKey,
  upstreamHeadersKey,
} from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { metadata, requestIdKey } from './metadata.js'

function request(
  params: Record<string, unknown> = { name: 'add' },
  headers?: Record<string, string>,
) {
  return new Context<string>({
    kind: 'request',
    id: 7,
    method: 'tools/call',
    params: params as never,
    session: { id: 's', transport: 'streamable-http', headers },
  })
}

/** Run `metadata(options)` on `ctx`, the upstream answering `result`; what the upstream got. */
async function run(
  options: Parameters<typeof metadata>[0],
  ctx: Context,
  result: Record<string, unknown> = { content: [] },
) {
  let sent: unknown
  await compose([metadata(options)])(ctx, async (c) => {
    sent = c.get(targetKey)?.params ?? c.params
    c.result = result as never
  })
  return sent as Record<string, any>
}

describe('metadata()', () => {
  it('stamps the request sent upstream and the result with request id, client id, gateway and duration', async () => {
    const ctx = request()
    ctx.set(principalKey, { subject: 'alice', clientId: 'app-1', scopes: [] })
    const sent = await run({ gateway: 'edge-1' }, ctx)
    const id = ctx.get(requestIdKey)!
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(sent._meta).toEqual({
      'dev.mcpx/request-id': id,
      'dev.mcpx/client-id': 'app-1',
      'dev.mcpx/gateway': 'edge-1',
    })
    const meta = (ctx.result as Record<string, any>)._meta
    expect(meta).toMatchObject({ 'dev.mcpx/request-id': id, 'dev.mcpx/gateway': 'edge-1' })
    expect(meta['dev.mcpx/duration-ms']).toBeGreaterThanOrEqual(0)
  })

  it("never replaces a key the upstream set on a result, or the client's own keys, and never mutates what it was given", async () => {
    const params = Object.freeze({
      name: 'add',
      _meta: Object.freeze({ 'com.example/trace': 't', progressToken: 1 }),
    })
    const result = Object.freeze({
      content: [],
      _meta: Object.freeze({ 'dev.mcpx/request-id': 'up' }),
    })
    const ctx = request(params)
    const sent = await run({}, ctx, result)
    expect(sent._meta).toMatchObject({ 'com.example/trace': 't', progressToken: 1 })
    expect((ctx.result as Record<string, any>)._meta['dev.mcpx/request-id']).toBe('up')
    expect(params._meta).toEqual({ 'com.example/trace': 't', progressToken: 1 })
    expect(result._meta).toEqual({ 'dev.mcpx/request-id': 'up' })
  })

  it("replaces what a client sends under the gateway's own prefix: it cannot pass for the gateway", async () => {
    const ctx = request({
      name: 'add',
      _meta: { 'dev.mcpx/client-id': 'admin', 'dev.mcpx/tenant': 'other', 'dev.mcpx/gateway': 'x' },
    })
    ctx.set(principalKey, { subject: 'alice', scopes: [] })
    const sent = await run({ to: 'requests' }, ctx)
    expect(sent._meta['dev.mcpx/client-id']).toBe('alice')
    expect(sent._meta['dev.mcpx/gateway']).toBe('mcpx')
    expect(sent._meta['dev.mcpx/tenant']).toBeUndefined()
  })

  it("keeps its message's request id on a sub-request (a router's fork per upstream)", async () => {
    const ctx = request()
    ctx.set(requestIdKey, 'parent-id')
    const sent = await run({}, ctx.fork())
    expect(sent._meta['dev.mcpx/request-id']).toBe('parent-id')
  })

  it("writes the router's target params, not the client's, when there is a target", async () => {
    const ctx = request({ name: 'm_add' })
    const target = { upstream: 'math', method: 'tools/call', params: { name: 'add' } }
    ctx.set(targetKey, target)
    const sent = await run({ to: 'requests' }, ctx)
    expect(sent.name).toBe('add')
    expect(sent._meta['dev.mcpx/gateway']).toBe('mcpx')
    expect(target.params).toEqual({ name: 'add' })
    expect((ctx.params as Record<string, unknown>)._meta).toBeUndefined()
    expect((ctx.result as Record<string, unknown>)._meta).toBeUndefined()
  })

  it("takes the client's own request id header when it is a plain token, and makes one otherwise", async () => {
    const theirs = request(undefined, { 'x-request-id': 'abc-123' })
    await run({}, theirs)
    expect(theirs.get(requestIdKey)).toBe('abc-123')
    const hostile = request(undefined, { 'x-request-id': 'a\r\nb' })
    await run({}, hostile)
    expect(hostile.get(requestIdKey)).not.toBe('a\r\nb')
    const refused = request(undefined, { 'x-request-id': 'abc-123' })
    await run({ acceptRequestId: false }, refused)
    expect(refused.get(requestIdKey)).not.toBe('abc-123')
  })

  it('puts the request id on the upstream request and on the answer as headers, unless told not to', async () => {
    const ctx = request()
    await run({ header: 'x-correlation-id' }, ctx)
    const id = ctx.get(requestIdKey)
    expect(ctx.get(upstreamHeadersKey)).toEqual({ 'x-correlation-id': id })
    expect(ctx.get(answerHeadersKey)).toEqual({ 'x-correlation-id': id })
    const quiet = request()
    await run({ headers: { upstream: false, answer: false } }, quiet)
    expect(quiet.get(upstreamHeadersKey)).toBeUndefined()
    expect(quiet.get(answerHeadersKey)).toBeUndefined()
  })

  it('puts the request id header on an error answer too, whether a layer below sets the error or throws', async () => {
    for (const fail of [
      async (c: Context) => {
        c.error = new Error('boom') as never
      },
      async () => {
        throw new Error('boom')
      },
    ]) {
      const ctx = request()
      await compose([metadata()])(ctx, fail).catch(() => {})
      expect(ctx.get(answerHeadersKey)).toEqual({ 'x-request-id': ctx.get(requestIdKey) })
    }
  })

  it('leaves notifications, initialize, ping and error answers alone', async () => {
    const failing = request()
    await compose([metadata()])(failing, async (c) => {
      c.error = new Error('boom') as never
    }).catch(() => {})
    expect(failing.result).toBeUndefined()
    const note = new Context<string>({ kind: 'notification', method: 'notifications/initialized' })
    await compose([metadata()])(note, async () => {})
    expect(note.get(requestIdKey)).toBeUndefined()
    for (const method of ['ping', 'initialize']) {
      const ctx = new Context<string>({ kind: 'request', id: 1, method })
      await compose([metadata()])(ctx, async () => {})
      expect(ctx.get(requestIdKey)).toBeUndefined()
    }
  })

  it('refuses bad options when it is made', () => {
    expect(() => metadata({ prefix: 'mcpx' })).toThrow('[@mcpx/transformers] prefix must be')
    for (const reserved of ['modelcontextprotocol.io/', 'mcp.dev/', 'tools.mcp.com/']) {
      expect(() => metadata({ prefix: reserved })).toThrow('a prefix MCP does not reserve')
    }
    expect(() => metadata({ prefix: 'com.example.mcp/' })).not.toThrow()
    expect(() => metadata({ fields: ['everything' as never] })).toThrow('fields must be')
    expect(() => metadata({ to: 'up' as never })).toThrow('to must be')
    expect(() => metadata({ header: 'X Id' })).toThrow('header must be')
    expect(() => metadata({ gatway: 'x' } as never)).toThrow('metadata() options key "gatway"')
    expect(() => metadata({ acceptRequestId: 'no' as never })).toThrow(
      'acceptRequestId must be a boolean',
    )
    expect(() => metadata({ headers: { answer: 'no' as never } })).toThrow(
      'headers.answer must be a boolean',
    )
    expect(() => metadata({ headers: { upstream: 0 as never } })).toThrow(
      'headers.upstream must be a boolean',
    )
  })
})
