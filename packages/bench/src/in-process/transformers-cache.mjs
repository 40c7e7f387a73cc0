// pnpm bench (part), pnpm bench:cache: @mcpx/transformers' cache() answering a hit
// for a 1 KB result, over an empty stack to an in-memory upstream, side by side in
// one run. Issue 13's bar: a hit ≤ 500 ns median per message. Beside it, what a
// copy per hit would cost instead of handing out the stored frozen object (the
// choice cache() makes): a JSON.parse of the stored text, and a structuredClone.
import os from 'node:os'
import { Context, createProxy, principalKey, targetKey } from '@mcpx/core'
import { cache } from '@mcpx/transformers'
import { batchFor, measure, table } from './measure.mjs'

/** About 1 KB of JSON: what a small tool result or resource read looks like. */
const result = {
  content: Array.from({ length: 8 }, (_, i) => ({
    type: 'text',
    text: `result line ${i}: ${'lorem ipsum dolor sit amet '.repeat(3)}`.slice(0, 100),
  })),
}
const resultJson = JSON.stringify(result)
const terminal = async (ctx) => {
  ctx.result = result
}
const proxyWith = (...layers) => createProxy({ terminal, strict: false }).use(...layers)
const principal = { subject: 'alice', clientId: 'app', scopes: ['read', 'search'] }

const call = { name: 'search', arguments: { query: 'mcp gateway', limit: 10 } }
const read = { uri: 'docs://guides/getting-started.md' }
/** A message as the router and auth leave it: target and principal set. */
const message = (method, params) => () => {
  const ctx = new Context({ kind: 'request', id: 1, method, params })
  ctx.set(principalKey, principal)
  ctx.set(targetKey, { upstream: 'docs', method, params })
  return ctx
}
const toolCall = message('tools/call', call)
const resourceRead = message('resources/read', read)
// As a transport delivers it: params parsed per message, so no string in them
// has its hash computed yet (the cache's key memo hashes each one once).
const callJson = JSON.stringify(call)
const parsedCall = () => {
  const params = JSON.parse(callJson)
  return message('tools/call', params)()
}

/** What a copy on every hit would add: the same short-circuit, with a fresh copy of the 1 KB result. */
const copying = (copy) =>
  function copyOnHit(ctx) {
    ctx.result = copy()
    return Promise.resolve()
  }

const cached = proxyWith(cache({ tools: { include: ['search'] }, ttlMs: 3_600_000 }))
// Fill both entries: every measured message is then a hit.
await cached.dispatch(toolCall())
await cached.dispatch(resourceRead())
const stacks = {
  empty: [proxyWith(), toolCall],
  'cache() hit, tools/call': [cached, toolCall],
  'cache() hit, resources/read': [cached, resourceRead],
  'empty, params parsed per message': [proxyWith(), parsedCall],
  'cache() hit, tools/call, params parsed per message': [cached, parsedCall],
  'short-circuit with JSON.parse copy': [
    proxyWith(copying(() => JSON.parse(resultJson))),
    toolCall,
  ],
  'short-circuit with structuredClone copy': [
    proxyWith(copying(() => structuredClone(result))),
    toolCall,
  ],
}
const variants = Object.fromEntries(
  Object.entries(stacks).map(([name, [proxy, make]]) => [name, () => proxy.dispatch(make())]),
)
const check = (make) => {
  const ctx = make()
  return cached.dispatch(ctx).then(() => ctx.result)
}
if (
  (await check(toolCall)) === result ||
  (await check(resourceRead)) === result ||
  (await check(parsedCall)) === result
) {
  throw new Error('the cache answered with the upstream object, not its own entry')
}
const measured = await measure(variants, { rounds: 41, batch: await batchFor(variants, 4) })
/** What a row is compared with in the "over" column: the empty stack given the same messages. */
const baseOf = (name) =>
  name.endsWith('params parsed per message') ? 'empty, params parsed per message' : 'empty'
const rows = Object.keys(variants).map((name) => [
  name,
  measured[name].toFixed(0),
  name === baseOf(name) ? '' : (measured[name] - measured[baseOf(name)]).toFixed(0),
  measured.ratios[name].toFixed(2),
])

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}`,
)
console.log(`\n### transformers: cache() hit for a ${resultJson.length}-byte result, per message\n`)
console.log(
  table(['stack', 'median ns', 'over its empty stack, ns', 'ratio to empty (paired)'], rows),
)
const hit = measured['cache() hit, tools/call']
console.log(
  `\ncache() hit (tools/call): ${hit.toFixed(0)} ns median per message (bar: ≤ 500 ns) ${hit <= 500 ? 'PASS' : 'OVER'}`,
)
