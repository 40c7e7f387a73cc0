import { describe, expect, it, vi } from 'vitest'
import { ErrorCode, McpxError } from './errors.js'
import { createProxy, type Terminal } from './proxy.js'

const echo: Terminal = async (ctx) => {
  ctx.result = { echoed: ctx.method, params: ctx.params ?? null }
}

describe('createProxy', () => {
  it('answers a request through the terminal', async () => {
    const proxy = createProxy({ terminal: echo })
    expect(await proxy.handle({ jsonrpc: '2.0', id: 1, method: 'tools/list' })).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { echoed: 'tools/list', params: null },
    })
  })

  it('runs middleware in the order given to use()', async () => {
    const order: string[] = []
    const proxy = createProxy({ terminal: echo })
    proxy.use(
      async (_c, next) => {
        order.push('a')
        await next()
      },
      async (_c, next) => {
        order.push('b')
        await next()
      },
    )
    proxy.use(async (_c, next) => {
      order.push('c')
      await next()
    })
    await proxy.handle({ jsonrpc: '2.0', id: 1, method: 'ping' })
    expect(order).toEqual(['a', 'b', 'c'])
  })

  it('lets middleware short-circuit with a result', async () => {
    const terminal = vi.fn(echo)
    const proxy = createProxy({ terminal }).use(async (ctx) => {
      ctx.result = { cached: true }
    })
    expect(await proxy.handle({ jsonrpc: '2.0', id: 'x', method: 'tools/list' })).toEqual({
      jsonrpc: '2.0',
      id: 'x',
      result: { cached: true },
    })
    expect(terminal).not.toHaveBeenCalled()
  })

  it('sends an McpxError to the client as its JSON-RPC error', async () => {
    const proxy = createProxy({ terminal: echo }).use(async () => {
      throw new McpxError(ErrorCode.InvalidParams, 'Unknown tool: x', { data: { name: 'x' } })
    })
    expect(
      await proxy.handle({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'x' } }),
    ).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32602, message: 'Unknown tool: x', data: { name: 'x' } },
    })
  })

  it('hides any other error behind -32603 and reports it to onError', async () => {
    const onError = vi.fn()
    const boom = new TypeError('cannot read properties of undefined (reading "secret")')
    const proxy = createProxy({ terminal: echo, onError }).use(async () => {
      throw boom
    })
    const response = await proxy.handle({ jsonrpc: '2.0', id: 3, method: 'tools/list' })
    expect(response).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32603, message: 'Internal error' },
    })
    expect(onError).toHaveBeenCalledWith(boom, { method: 'tools/list' })
  })

  it('answers -32601 when nothing answered the request', async () => {
    const proxy = createProxy()
    expect(await proxy.handle({ jsonrpc: '2.0', id: 4, method: 'tools/list' })).toEqual({
      jsonrpc: '2.0',
      id: 4,
      error: { code: -32601, message: 'Method not found: tools/list' },
    })
  })

  it('returns no response for a notification, even one that fails', async () => {
    const onError = vi.fn()
    const proxy = createProxy({ onError }).use(async () => {
      throw new Error('x')
    })
    expect(
      await proxy.handle({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    ).toBeUndefined()
    expect(onError).toHaveBeenCalledOnce()
  })

  it('answers an invalid message with -32600 and its id when readable', async () => {
    const proxy = createProxy({ terminal: echo })
    expect(await proxy.handle({ jsonrpc: '1.0', id: 5, method: 'x' })).toMatchObject({
      id: 5,
      error: { code: -32600 },
    })
    expect(await proxy.handle(42)).toMatchObject({ id: null, error: { code: -32600 } })
  })

  it('ignores a response given to handle()', async () => {
    expect(
      await createProxy({ terminal: echo }).handle({ jsonrpc: '2.0', id: 1, result: {} }),
    ).toBeUndefined()
  })

  it('uses a per-message terminal over the default one', async () => {
    const proxy = createProxy({ terminal: echo })
    const response = await proxy.handle(
      { jsonrpc: '2.0', id: 6, method: 'ping' },
      {
        terminal: async (ctx) => {
          ctx.result = {}
        },
      },
    )
    expect(response).toEqual({ jsonrpc: '2.0', id: 6, result: {} })
  })

  it('passes session, signal and direction to the context', async () => {
    const controller = new AbortController()
    let seen: unknown
    const proxy = createProxy({
      terminal: async (ctx) => {
        seen = { session: ctx.session.id, aborted: ctx.signal.aborted, direction: ctx.direction }
        ctx.result = {}
      },
    })
    controller.abort()
    await proxy.handle(
      { jsonrpc: '2.0', id: 7, method: 'roots/list' },
      {
        session: { id: 's1', transport: 'test' },
        signal: controller.signal,
        direction: 'toClient',
      },
    )
    expect(seen).toEqual({ session: 's1', aborted: true, direction: 'toClient' })
  })

  it('rejects a non-function passed to use()', () => {
    expect(() => createProxy().use('x' as never)).toThrow(TypeError)
  })

  it('keeps serving other messages after one fails', async () => {
    const proxy = createProxy({ terminal: echo, onError: () => {} }).use(async (ctx, next) => {
      if (ctx.id === 1) throw new Error('only this one')
      await next()
    })
    const [bad, good] = await Promise.all([
      proxy.handle({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      proxy.handle({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    ])
    expect(bad).toMatchObject({ error: { code: -32603 } })
    expect(good).toMatchObject({ result: { echoed: 'ping' } })
  })

  it('closes middleware that have close(), innermost first, then the terminal, once', async () => {
    const closed: string[] = []
    const next = async () => {}
    const closable = (name: string) =>
      Object.assign(async (_ctx: unknown, next: () => Promise<void>) => next(), {
        close: async () => {
          closed.push(name)
        },
      })
    const withClose = Object.assign(async (ctx: Parameters<typeof echo>[0]) => echo(ctx, next), {
      close: () => {
        closed.push('terminal')
      },
    })
    const proxy = createProxy({ terminal: withClose }).use(closable('outer'), closable('inner'))
    const first = proxy.close()
    expect(proxy.close()).toBe(first)
    await first
    expect(closed).toEqual(['inner', 'outer', 'terminal'])
  })
})
