// pnpm bench (part): @mcpx/transformers' validateArguments() on a typical tool schema (as
// the TypeScript SDK writes it: draft-07, six properties, a nested object, an enum, an
// array, additionalProperties false) and a valid call, over an empty stack to the same
// in-memory upstream, side by side in one run. Issue 13 asks for the figure to be
// reported. Beside it, the floor under any middleware: one layer that only calls next()
// (as validateArguments() does on a valid call). The schema is compiled once, on the
// warm-up's first call: the router hands every call the same definition object.
import os from 'node:os'
import { Context, createProxy, targetKey, toolKey } from '@mcpx/core'
import { validateArguments } from '@mcpx/transformers'
import { batchFor, measure, table } from './measure.mjs'

const tool = {
  name: 'search_issues',
  inputSchema: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 1, maxLength: 256 },
      repo: { type: 'string', pattern: '^[\\w.-]+/[\\w.-]+$' },
      state: { type: 'string', enum: ['open', 'closed', 'all'] },
      labels: { type: 'array', items: { type: 'string' }, maxItems: 20 },
      limit: { type: 'integer', minimum: 1, maximum: 100 },
      sort: {
        type: 'object',
        properties: {
          by: { type: 'string', enum: ['created', 'updated', 'comments'] },
          descending: { type: 'boolean' },
        },
        required: ['by'],
        additionalProperties: false,
      },
    },
    required: ['query', 'repo'],
    additionalProperties: false,
  },
}
const params = {
  name: 'search_issues',
  arguments: {
    query: 'memory leak',
    repo: 'mcpx/mcpx',
    state: 'open',
    labels: ['bug', 'perf'],
    limit: 20,
    sort: { by: 'updated', descending: true },
  },
}
const target = { upstream: 'issues', method: 'tools/call', params }

const terminal = async (ctx) => {
  ctx.result = { content: [] }
}
const proxyWith = (...layers) => createProxy({ terminal, strict: false }).use(...layers)
/** A layer that runs nothing after next(): compose's own cost per layer. */
const through = () =>
  function through(_ctx, next) {
    return next()
  }
const validation = validateArguments({ log: (line) => console.error(line) })
const stacks = {
  empty: proxyWith(),
  '1 sync pass-through layer': proxyWith(through()),
  'validateArguments(), valid call': proxyWith(validation),
}

/** A tools/call as the router leaves it: target and tool definition set. */
const message = () => {
  const ctx = new Context({ kind: 'request', id: 1, method: 'tools/call', params })
  ctx.set(targetKey, target)
  ctx.set(toolKey, tool)
  return ctx
}
const variants = Object.fromEntries(
  Object.entries(stacks).map(([name, proxy]) => [name, () => proxy.dispatch(message())]),
)
const result = await measure(variants, { rounds: 41, batch: await batchFor(variants, 4) })
if (validation.stats.invalid !== 0 || validation.stats.compiled !== 1) {
  throw new Error(`the bench call did not validate as meant: ${JSON.stringify(validation.stats)}`)
}
const rows = Object.keys(variants).map((name) => [
  name,
  result[name].toFixed(0),
  name === 'empty' ? '' : (result[name] - result.empty).toFixed(0),
  result.ratios[name].toFixed(2),
])

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}`,
)
console.log(
  '\n### transformers: validateArguments() on a typical schema, valid call, per message\n',
)
console.log(table(['stack', 'median ns', 'over empty, ns', 'ratio to empty (paired)'], rows))
console.log(
  `\nvalidateArguments() over empty: ${(result['validateArguments(), valid call'] - result.empty).toFixed(0)} ns; its own work (over 1 sync pass-through layer): ${(result['validateArguments(), valid call'] - result['1 sync pass-through layer']).toFixed(0)} ns`,
)
