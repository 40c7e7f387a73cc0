// pnpm bench (part): @mcpx/transformers' redact() over a ~10 KB tools/call
// result (two text blocks, one prose and one JSON, and the same rows as
// structuredContent), without secrets and with four (a bearer token and an
// AWS key in text, a password key in the JSON text, an api_key in
// structuredContent), side by side in one run: the pure createRedactor()
// walk, and redact() in a stack over an empty stack to the same in-memory
// upstream. Issue 13 asks for the figure, not a bar.
import os from 'node:os'
import { Context, createProxy } from '@mcpx/core'
import { createRedactor, redact } from '@mcpx/transformers'
import { batchFor, measure, table } from './measure.mjs'

const rows = Array.from({ length: 24 }, (_, i) => ({
  id: i,
  name: `item-${i}`,
  status: i % 3 ? 'active' : 'archived',
  owner: { login: `user${i}`, team: 'platform' },
  tags: ['alpha', 'beta'],
  updated: '2025-06-01T12:00:00Z',
}))
const prose =
  'The deployment finished in 42 seconds. All health checks passed and the service is ready to receive traffic from the load balancer. '.repeat(
    16,
  )
const clean = {
  content: [
    { type: 'text', text: prose },
    { type: 'text', text: JSON.stringify(rows, null, 1) },
  ],
  structuredContent: { items: rows, total: rows.length },
}
const dirty = structuredClone(clean)
dirty.content[0].text += ` Call it with Authorization: Bearer ${'abcdefghijklmnopqrstuvwxyz0123'}.`
dirty.content[0].text += ` The key is ${['AKIA', 'IOSFODNN7EXAMPLE'].join('')}.`
dirty.content[1].text = dirty.content[1].text.replace('"name": "item-7"', '"password": "hunter2"')
dirty.structuredContent.items[3].owner.api_key = 'k-123456'

const scrub = createRedactor()
if (scrub(clean) !== clean) throw new Error('the clean result is not clean')
if (scrub(dirty) === dirty) throw new Error('the dirty result is clean')

const params = { name: 'deploy', arguments: { service: 'web' } }
const proxyOver = (result, ...layers) =>
  createProxy({
    terminal: async (ctx) => {
      ctx.result = result
    },
    strict: false,
  }).use(...layers)
const message = () => new Context({ kind: 'request', id: 1, method: 'tools/call', params })
const stacks = {
  'empty stack, clean result': proxyOver(clean),
  'redact(), clean result': proxyOver(clean, redact()),
  'empty stack, result with secrets': proxyOver(dirty),
  'redact(), result with secrets': proxyOver(dirty, redact()),
}
const variants = {
  ...Object.fromEntries(
    Object.entries(stacks).map(([name, proxy]) => [name, () => proxy.dispatch(message())]),
  ),
  'createRedactor(), clean result': async () => scrub(clean),
  'createRedactor(), result with secrets': async () => scrub(dirty),
}
const result = await measure(variants, { rounds: 31, batch: await batchFor(variants, 4) })
const over = {
  'redact(), clean result': 'empty stack, clean result',
  'redact(), result with secrets': 'empty stack, result with secrets',
}
const rows_ = Object.keys(variants).map((name) => [
  name,
  result[name].toFixed(0),
  over[name] ? (result[name] - result[over[name]]).toFixed(0) : '',
])

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}`,
)
console.log(
  `\n### transformers: redact() over a ${JSON.stringify(clean).length}-byte tools/call result (${JSON.stringify(dirty).length} with secrets), per message\n`,
)
console.log(table(['variant', 'median ns', 'over the empty stack, ns'], rows_))
