// pnpm bench (part): an aggregated tools/list of 3 upstreams × 250 cached
// tools through @mcpx/router, beside a terminal that returns the same 750
// tools with no router, and a tools/call routed through the same router.
import os from 'node:os'
import { createProxy, targetKey } from '@mcpx/core'
import { router } from '@mcpx/router'
import { measure, table } from './measure.mjs'

const UPSTREAMS = ['alpha', 'beta', 'gamma']
const toolsOf = (name) =>
  Array.from({ length: 250 }, (_, i) => ({
    name: `${name}_tool_${String(i).padStart(3, '0')}`,
    description: `Tool ${i} of ${name}`,
    inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
  }))
const lists = Object.fromEntries(UPSTREAMS.map((name) => [name, { tools: toolsOf(name) }]))

/** Plays the three upstreams from the target the router set. */
const terminal = async (ctx) => {
  const target = ctx.get(targetKey)
  if (target.method === 'tools/list') ctx.result = lists[target.upstream]
  else ctx.result = { content: [{ type: 'text', text: target.params.name }] }
}

const routed = (options) =>
  createProxy({ terminal, strict: false }).use(
    router({
      upstreams: Object.fromEntries(UPSTREAMS.map((name) => [name, { namespace: true }])),
      ...options,
    }),
  )
const all = { tools: UPSTREAMS.flatMap((name) => lists[name].tools) }
const direct = createProxy({
  terminal: async (ctx) => {
    ctx.result =
      ctx.method === 'tools/list' ? all : { content: [{ type: 'text', text: ctx.params.name }] }
  },
  strict: false,
})

const list = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }
const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'beta_beta_tool_123' } }
const whole = routed({})
const paged = routed({ pageSize: 100 })
for (const proxy of [whole, paged]) await proxy.handle(list) // warm the catalogs

// Two runs: the lists allocate hundreds of objects each and would tax the calls' rounds with their GC.
const rowsOf = (result, baseline) => {
  const { ratios, ...times } = result
  return Object.entries(times).map(([name, ns]) => [
    name,
    (ns / 1000).toFixed(2),
    ratios[name].toFixed(2),
    baseline,
  ])
}
const listing = await measure(
  {
    'no router, 750 tools from the terminal': () => direct.handle(list),
    'router, tools/list (750 tools, one page)': () => whole.handle(list),
    'router, tools/list first page of 100': () => paged.handle(list),
  },
  { rounds: 21, batch: 200 },
)
const calling = await measure({
  'no router, tools/call': () => direct.handle(call),
  'router, tools/call by namespaced name': () => whole.handle(call),
})
console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores`,
)
console.log(
  '\n### router: aggregated tools/list (3 upstreams × 250 cached tools) and a routed tools/call\n',
)
console.log(
  table(
    ['case', 'median µs per message', 'ratio (paired)', 'ratio to'],
    [...rowsOf(listing, 'no router, list'), ...rowsOf(calling, 'no router, call')],
  ),
)
