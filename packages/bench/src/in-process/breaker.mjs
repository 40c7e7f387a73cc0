// pnpm bench (part), pnpm bench:breaker: @mcpx/breaker's timeout(), concurrencyLimit()
// and breaker() on the success path, together and each alone, over an empty stack to
// the same in-memory upstream, side by side in one run. Issue 12's bar: the three
// together ≤ 150 ns median per message over the empty stack.
import os from 'node:os'
import { breaker, concurrencyLimit, timeout } from '@mcpx/breaker'
import { Context, createProxy, targetKey } from '@mcpx/core'
import { batchFor, measure, table } from './measure.mjs'

const target = { upstream: 'math', method: 'tools/call', params: { name: 'add', arguments: {} } }
const terminal = async (ctx) => {
  ctx.result = { content: [] }
}
const proxyWith = (...layers) => createProxy({ terminal, strict: false }).use(...layers)
/** What a layer costs by itself in the stack (compose, one async call, one await): the floor of any middleware. */
const pass = () =>
  async function pass(_ctx, next) {
    await next()
  }
const stacks = {
  empty: proxyWith(),
  '3 pass-through middleware': proxyWith(pass(), pass(), pass()),
  'timeout()': proxyWith(timeout(30_000)),
  'concurrencyLimit()': proxyWith(concurrencyLimit({ limit: 1_000_000 })),
  'breaker()': proxyWith(breaker()),
  'all three': proxyWith(timeout(30_000), concurrencyLimit({ limit: 1_000_000 }), breaker()),
}

/** A message as the router leaves it: its target already set (so the context's values exist). */
const message = () => {
  const ctx = new Context({ kind: 'request', id: 1, method: 'tools/call', params: target.params })
  ctx.set(targetKey, target)
  return ctx
}
const variants = Object.fromEntries(
  Object.entries(stacks).map(([name, proxy]) => [name, () => proxy.dispatch(message())]),
)
const result = await measure(variants, { rounds: 41, batch: await batchFor(variants, 4) })
const rows = Object.keys(variants).map((name) => [
  name,
  result[name].toFixed(0),
  name === 'empty' ? '' : (result[name] - result.empty).toFixed(0),
  result.ratios[name].toFixed(2),
])

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}`,
)
console.log('\n### breaker: policies on the success path, per message\n')
console.log(table(['stack', 'median ns', 'over empty, ns', 'ratio to empty (paired)'], rows))
