// pnpm bench (part), pnpm bench:metrics: @mcpx/metrics' metrics() on a tools/call
// and a resources/read answered by an in-memory upstream, over an empty stack, side
// by side in one run. Issue 14's bar: the middleware ≤ 300 ns median per message
// with tracing disabled (`tracing: false`), reported with tracing on: the
// default with no SDK registered (a ~5 ns check), an explicit tracer of the
// api with no SDK (no-op spans), and a real SDK tracer (BasicTracerProvider,
// a processor handing each span to an exporter that drops it), alone and
// with m.attempts() below (a CLIENT span and the _meta/header injection). Beside it, the floor under any
// timing middleware: one layer that only awaits next() (what any Koa-style
// middleware costs), one that also reads the clock twice (performance.now(),
// what metrics() reads) and does nothing else; and the hostile case: a new
// tool name on every call, each folded into `other`.
import os from 'node:os'
import { Context, createProxy, principalKey, targetKey } from '@mcpx/core'
import { metrics } from '@mcpx/metrics'
import { trace } from '@opentelemetry/api'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { batchFor, measure, table } from './measure.mjs'

const result = { content: [{ type: 'text', text: '3' }] }
const terminal = async (ctx) => {
  ctx.result = result
}
const proxyWith = (...layers) => createProxy({ terminal, strict: false }).use(...layers)
const principal = { subject: 'alice', clientId: 'app', scopes: ['math'] }

/** A message as the router and auth leave it (target and principal set); params parsed per message, as a transport delivers them. */
const message = (method, json) => () => {
  const params = JSON.parse(json)
  const ctx = new Context({ kind: 'request', id: 1, method, params })
  ctx.set(principalKey, principal)
  ctx.set(targetKey, { upstream: 'math', method, params })
  return ctx
}
const toolCall = message('tools/call', JSON.stringify({ name: 'add', arguments: { a: 1, b: 2 } }))
const resourceRead = message('resources/read', JSON.stringify({ uri: 'math://constants/pi' }))
// 10,000 names, one after another: past maxTools (100) every one is `other`.
const hostileJson = Array.from({ length: 10_000 }, (_, i) =>
  JSON.stringify({ name: `made-up-${i}`, arguments: {} }),
)
let nextHostile = 0
const hostileCall = () => message('tools/call', hostileJson[nextHostile++ % hostileJson.length])()

let sink = 0
/** What any middleware that runs code after next() costs at least. */
const pass = () =>
  async function pass(_ctx, next) {
    await next()
  }
/** What any timing middleware costs at least: two clock reads around next(), as metrics() reads them. */
const clock = globalThis.performance
const clockPair = () =>
  async function clockPair(_ctx, next) {
    const start = clock.now()
    await next()
    sink += clock.now() - start
  }

const measured = metrics()
const untraced = metrics({ tracing: false })
// No SDK is registered in this process: trace.getTracer() is the api's no-op (proxy) tracer.
const noopTraced = metrics({ tracing: { tracer: trace.getTracer('bench') } })
let exported = 0
const dropping = {
  export(spans, done) {
    exported += spans.length
    done({ code: 0 })
  },
  shutdown: async () => {},
}
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(dropping)] })
const sdkTraced = metrics({ tracing: { tracer: provider.getTracer('bench') } })
const sdkAttempts = metrics({ tracing: { tracer: provider.getTracer('bench') } })
const noClients = metrics({ maxClients: 0 })
const hostile = metrics()
const stacks = {
  empty: [proxyWith(), toolCall],
  'one async pass-through layer': [proxyWith(pass()), toolCall],
  'clock pair (2 × performance.now())': [proxyWith(clockPair()), toolCall],
  'metrics({ tracing: false }), tools/call': [proxyWith(untraced), toolCall],
  'metrics() (tracing on, no SDK registered), tools/call': [proxyWith(measured), toolCall],
  'metrics({ tracing: { tracer: no-op api tracer } }), tools/call': [
    proxyWith(noopTraced),
    toolCall,
  ],
  'metrics({ tracing: { tracer: SDK tracer } }), tools/call': [proxyWith(sdkTraced), toolCall],
  'SDK tracer, metrics() + m.attempts(), tools/call': [
    proxyWith(sdkAttempts, sdkAttempts.attempts()),
    toolCall,
  ],
  'empty, resources/read': [proxyWith(), resourceRead],
  'metrics(), resources/read': [proxyWith(measured), resourceRead],
  'metrics({ maxClients: 0 }), tools/call': [proxyWith(noClients), toolCall],
  'metrics(), tools/call, a new tool name each (folded)': [proxyWith(hostile), hostileCall],
}
const variants = Object.fromEntries(
  Object.entries(stacks).map(([name, [proxy, make]]) => [name, () => proxy.dispatch(make())]),
)
const run = await measure(variants, { rounds: 41, batch: await batchFor(variants, 4) })
/** What a row is compared with: the empty stack given the same messages. */
const baseOf = (name) => (name.endsWith('resources/read') ? 'empty, resources/read' : 'empty')
/** A row's paired ratio to its empty stack (each round's time over that round's empty time). */
const ratioOf = (name) => run.ratios[name] / run.ratios[baseOf(name)]
/**
 * What a row adds to its empty stack, from the paired ratio and the empty stack's median: on a
 * noisy machine the difference of two medians taken apart drifts; the paired ratio does not.
 */
const overOf = (name) => (ratioOf(name) - 1) * run[baseOf(name)]
const rows = Object.keys(variants).map((name) => [
  name,
  run[name].toFixed(0),
  name === baseOf(name) ? '' : overOf(name).toFixed(0),
  ratioOf(name).toFixed(2),
])

const stats = measured.getStats()
if (stats.tools.add === undefined || stats.total === 0 || sink < 0 || exported === 0) {
  throw new Error('metrics() counted nothing: the benchmark measured the wrong thing')
}
const series = hostile.registry.series
if (series > 110) throw new Error(`hostile names grew the series to ${series}`)

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}`,
)
console.log('\n### metrics: metrics() per message, over an empty stack\n')
console.log(
  table(
    ['stack', 'median ns', 'over its empty stack, ns (paired)', 'ratio to its empty (paired)'],
    rows,
  ),
)
const over = overOf('metrics({ tracing: false }), tools/call')
const floor = overOf('clock pair (2 × performance.now())')
console.log(
  `\nmetrics({ tracing: false }) (tools/call): ${over.toFixed(0)} ns median over the empty stack (bar: ≤ 300 ns) ${over <= 300 ? 'PASS' : 'OVER'}; ` +
    `of which ${floor.toFixed(0)} ns is the floor of an awaiting layer with a clock pair, ${(over - floor).toFixed(0)} ns its own work`,
)
console.log(
  `hostile tool names: ${hostile.getStats().folded.tool} calls folded into other, ${series} label sets held`,
)
