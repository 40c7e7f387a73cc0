// pnpm bench (part), pnpm bench:breaker: @mcpx/breaker's timeout(), concurrencyLimit()
// and breaker() on the success path, together and each alone, over an empty stack to
// the same in-memory upstream, side by side in one run. Issue 12's bar: the three
// together ≤ 150 ns median per message. Beside them, the floor this machine puts under
// any three middleware: three layers that only call next() (sync, as timeout() is),
// three that await it (as a Koa middleware does), and one clock read per message (a
// deadline needs one); "policies' own work" is the three minus the three async layers.
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
/** A layer that runs nothing after next(): compose's own cost per layer. */
const through = () =>
  function through(_ctx, next) {
    return next()
  }
let sink = 0
/** One clock read, as any deadline needs. */
const clock = () =>
  function clock(_ctx, next) {
    sink ^= Date.now()
    return next()
  }
const stacks = {
  empty: proxyWith(),
  '3 sync pass-through layers': proxyWith(through(), through(), through()),
  '3 async pass-through layers': proxyWith(pass(), pass(), pass()),
  'one clock read (Date.now())': proxyWith(clock()),
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
const floor = result['3 async pass-through layers']

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}`,
)
console.log('\n### breaker: policies on the success path, per message\n')
console.log(table(['stack', 'median ns', 'over empty, ns', 'ratio to empty (paired)'], rows))
console.log(
  `\nall three over empty: ${(result['all three'] - result.empty).toFixed(0)} ns; policies' own work (all three over 3 async pass-through layers): ${(result['all three'] - floor).toFixed(0)} ns; paired ratio all three / 3 async layers: ${(result.ratios['all three'] / result.ratios['3 async pass-through layers']).toFixed(2)}`,
)
if (sink === 0.5) console.log(sink)
