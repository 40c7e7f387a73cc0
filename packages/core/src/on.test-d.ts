import type { CallToolResult, ListToolsResult } from '@modelcontextprotocol/sdk/types.js'
import { describe, expectTypeOf, it } from 'vitest'
import type { Middleware } from './compose.js'
import { Context } from './context.js'
import { createKey } from './key.js'
import { on, onRequest } from './on.js'

describe('on() narrows the context', () => {
  it('types tools/call params and result', () => {
    on('tools/call', async (ctx, next) => {
      expectTypeOf(ctx.method).toEqualTypeOf<'tools/call'>()
      expectTypeOf(ctx.params.name).toEqualTypeOf<string>()
      expectTypeOf(ctx.params.arguments).toEqualTypeOf<Record<string, unknown> | undefined>()
      expectTypeOf(ctx.result).toEqualTypeOf<CallToolResult | undefined>()
      await next()
    })
  })

  it('types a union of methods', () => {
    on(['tools/list', 'tools/call'], async (ctx) => {
      expectTypeOf(ctx.method).toEqualTypeOf<'tools/list' | 'tools/call'>()
      expectTypeOf(ctx.result).toEqualTypeOf<ListToolsResult | CallToolResult | undefined>()
    })
  })

  it('rejects an unknown method name', () => {
    // @ts-expect-error not an MCP method
    on('tools/cal', async () => {})
  })

  it('rejects a result of the wrong shape', () => {
    on('tools/call', async (ctx) => {
      // @ts-expect-error a CallToolResult needs content
      ctx.result = { tools: [] }
    })
  })

  it('takes middleware written for every method, as it is', () => {
    const anyMethod: Middleware = async (_ctx, next) => next()
    expectTypeOf(on('tools/call', anyMethod)).toEqualTypeOf<Middleware>()
    expectTypeOf(on(['tools/call', 'prompts/get'], anyMethod)).toEqualTypeOf<Middleware>()
  })

  it('returns plain middleware for use()', () => {
    expectTypeOf(on('ping', async () => {})).toEqualTypeOf<Middleware>()
    expectTypeOf(onRequest(async () => {})).toEqualTypeOf<Middleware>()
  })
})

describe('typed keys', () => {
  it('types get() and rejects a value of the wrong type in set()', () => {
    const ctx = new Context({ kind: 'request', id: 1, method: 'ping' })
    const count = createKey<number>('count')
    expectTypeOf(ctx.get(count)).toEqualTypeOf<number | undefined>()
    ctx.set(count, 1)
    // @ts-expect-error a string is not a number
    ctx.set(count, 'one')
  })
})
