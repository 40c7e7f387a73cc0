import { describe, expect, it } from 'vitest'
import { on, onNotification, onRequest } from './on.js'
import { createProxy, type Terminal } from './proxy.js'

const ok: Terminal = async (ctx) => {
  ctx.result = { from: 'terminal' }
}

describe('on', () => {
  it('runs only for the named method', async () => {
    const seen: string[] = []
    const proxy = createProxy({ terminal: ok }).use(
      on('tools/call', async (ctx, next) => {
        seen.push(ctx.params.name)
        await next()
      }),
    )
    await proxy.handle({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
    await proxy.handle({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add' } })
    expect(seen).toEqual(['add'])
  })

  it('runs for any of several methods', async () => {
    const seen: string[] = []
    const proxy = createProxy({ terminal: ok }).use(
      on(['tools/list', 'prompts/list'], async (ctx, next) => {
        seen.push(ctx.method)
        await next()
      }),
    )
    for (const method of ['tools/list', 'resources/list', 'prompts/list']) {
      await proxy.handle({ jsonrpc: '2.0', id: 1, method })
    }
    expect(seen).toEqual(['tools/list', 'prompts/list'])
  })

  it('can rewrite the result after next()', async () => {
    const proxy = createProxy({
      terminal: async (ctx) => {
        ctx.result = { content: [{ type: 'text', text: 'raw' }] }
      },
    }).use(
      on('tools/call', async (ctx, next) => {
        await next()
        if (ctx.result)
          ctx.result = { ...ctx.result, content: [{ type: 'text', text: 'rewritten' }] }
      }),
    )
    const response = await proxy.handle({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'x' },
    })
    expect(response).toMatchObject({ result: { content: [{ text: 'rewritten' }] } })
  })

  it('rejects a missing middleware and an empty method list', () => {
    expect(() => on('ping', undefined as never)).toThrow(TypeError)
    expect(() => on([], async () => {})).toThrow(TypeError)
  })
})

describe('onRequest and onNotification', () => {
  it('split requests from notifications', async () => {
    const seen: string[] = []
    const proxy = createProxy({ terminal: ok }).use(
      onRequest(async (ctx, next) => {
        seen.push(`request ${ctx.method}`)
        await next()
      }),
      onNotification(async (ctx, next) => {
        seen.push(`notification ${ctx.method}`)
        await next()
      }),
    )
    await proxy.handle({ jsonrpc: '2.0', id: 1, method: 'ping' })
    await proxy.handle({ jsonrpc: '2.0', method: 'notifications/initialized' })
    expect(seen).toEqual(['request ping', 'notification notifications/initialized'])
  })
})
