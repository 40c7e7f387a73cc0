// pnpm bench: @mcpx/core's compose against koa-compose on the same stacks,
// and a tools/call through createProxy to an in-memory upstream.
import os from 'node:os'
import { Context, compose, createProxy } from '@mcpx/core'
import koaCompose from 'koa-compose'
import { measure, table } from './measure.mjs'

const passThrough = () =>
  async function pass(_ctx, next) {
    await next()
  }
const stackOf = (size) => Array.from({ length: size }, passThrough)

async function composeVsKoa() {
  const rows = []
  for (const size of [0, 1, 5, 10]) {
    const stack = stackOf(size)
    const ours = compose(stack, { strict: false })
    const oursStrict = compose(stack, { strict: true })
    const koa = koaCompose(stack)
    const ctx = {}
    const result = await measure({
      koa: () => koa(ctx),
      mcpx: () => ours(ctx),
      'mcpx strict': () => oursStrict(ctx),
    })
    rows.push([
      size,
      result.koa.toFixed(0),
      result.mcpx.toFixed(0),
      result.ratios.mcpx.toFixed(2),
      result['mcpx strict'].toFixed(0),
    ])
  }
  return table(
    ['middleware', 'koa-compose ns', 'mcpx ns', 'mcpx / koa (paired median)', 'mcpx strict ns'],
    rows,
  )
}

async function proxyToolsCall() {
  const upstream = async (ctx) => {
    ctx.result = { content: [{ type: 'text', text: ctx.params.arguments.text }] }
  }
  const message = {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'echo', arguments: { text: 'hi' } },
  }
  const empty = createProxy({ terminal: upstream, strict: false })
  const ten = createProxy({ terminal: upstream, strict: false }).use(...stackOf(10))
  const dispatchOnly = (proxy) => () =>
    proxy.dispatch(
      new Context({ kind: 'request', id: 1, method: 'tools/call', params: message.params }),
    )
  const result = await measure({
    'handle, empty stack': () => empty.handle(message),
    'handle, 10 middleware': () => ten.handle(message),
    'dispatch, empty stack': dispatchOnly(empty),
    'dispatch, 10 middleware': dispatchOnly(ten),
  })
  const { ratios: _, ...times } = result
  const rows = Object.entries(times).map(([name, ns]) => [name, (ns / 1000).toFixed(3)])
  rows.push([
    '10 middleware over empty (handle)',
    ((result['handle, 10 middleware'] - result['handle, empty stack']) / 1000).toFixed(3),
  ])
  return table(['tools/call to an in-memory upstream', 'median µs per message'], rows)
}

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}`,
)
console.log('\n### compose: per-message dispatch, pass-through middleware\n')
console.log(await composeVsKoa())
console.log('\n### proxy: tools/call through createProxy\n')
console.log(await proxyToolsCall())
