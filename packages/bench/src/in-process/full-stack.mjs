// pnpm bench (part), pnpm bench:full-stack: issue 15's in-process bar, the
// default production stack ≤ 2 µs median per tools/call over an empty stack.
// The stack is built from the packages' public APIs in apps/gateway's order
// (src/stack.ts): [accessLog: off] → metrics({ tracing: false }) →
// authenticate(jwt()) (HS256, a real token signed with jose, warm cache) →
// rateLimit() (per client, memory store, never refusing) → [metadata: off,
// as are the other transformers: the gateway's default config turns none on]
// → router() over three namespaced upstreams → timeout() → breaker() →
// m.attempts() → the terminal. The terminal is a minimal in-memory upstream
// (answers from the router's target at once), the same for the empty stack,
// so the difference is the stack alone. In process, auth runs as middleware
// (as over stdio): the HTTP front end would run the same jwt() in its hook.
// Each layer alone is measured beside it in the same run, so that the total
// can be read as a sum.
import os from 'node:os'
import { authenticate, jwt } from '@mcpx/auth'
import { breaker, timeout } from '@mcpx/breaker'
import { createHealthRegistry, createProxy, createStatsRegistry, targetKey } from '@mcpx/core'
import { metrics } from '@mcpx/metrics'
import { memoryStore, rateLimit, tokenBucket } from '@mcpx/ratelimit'
import { router } from '@mcpx/router'
import { SignJWT } from 'jose'
import { batchFor, measure, table } from './measure.mjs'

const SECRET = new TextEncoder().encode('a-benchmark-secret-of-at-least-32-bytes!')
const ISSUER = 'https://auth.example.com'
const AUDIENCE = 'https://mcp.example.com'
const UPSTREAMS = ['one', 'two', 'three']
const HUGE = 1e15

const now = Math.floor(Date.now() / 1000)
const token = await new SignJWT({
  client_id: 'mcp-inspector',
  scope: 'tools:read tools:call',
  jti: '4f9d1c0e-6a2b-4b57-9d1e-0c3f8e2a7b61',
})
  .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
  .setSubject('user-8c1f2a')
  .setIssuer(ISSUER)
  .setAudience(AUDIENCE)
  .setIssuedAt(now)
  .setNotBefore(now)
  .setExpirationTime(now + 3600)
  .sign(SECRET)

const echoTool = {
  name: 'echo',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
}
/** The minimal in-memory upstream: each of the three lists `echo`, and echoes its text. */
const terminal = async (ctx) => {
  const target = ctx.get(targetKey)
  const method = target?.method ?? ctx.method
  if (method === 'tools/list') ctx.result = { tools: [echoTool] }
  else if (method === 'tools/call') {
    const params = target?.params ?? ctx.params
    if (params.name !== 'echo') throw new Error(`upstream got ${params.name}`)
    ctx.result = { content: [{ type: 'text', text: params.arguments.text }] }
  } else ctx.result = {}
}

const layers = {
  metrics: () => {
    const m = metrics({ tracing: false, statsRegistry: createStatsRegistry(), log: () => {} })
    return [m, m.attempts()]
  },
  auth: () => [
    authenticate(
      jwt({ secret: SECRET, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE }),
    ),
  ],
  rateLimit: () => [
    rateLimit({
      limits: [
        {
          name: 'per-client',
          by: 'client',
          algorithm: tokenBucket({ capacity: HUGE, refillPerSecond: HUGE }),
        },
      ],
      store: memoryStore(),
    }),
  ],
  router: (health) => [
    router({
      upstreams: Object.fromEntries(UPSTREAMS.map((name) => [name, { namespace: true }])),
      ...(health && { health }),
      log: () => {},
    }),
  ],
  resilience: (health) => [timeout(30_000), breaker(health ? { healthRegistry: health } : {})],
}

/** The gateway's order; metrics' attempt layer goes last, above the terminal. */
function fullStack() {
  const health = createHealthRegistry()
  const [m, attempts] = layers.metrics()
  return createProxy({ terminal, strict: false }).use(
    m,
    ...layers.auth(),
    ...layers.rateLimit(),
    ...layers.router(health),
    ...layers.resilience(health),
    attempts,
  )
}

const proxies = {
  empty: createProxy({ terminal, strict: false }),
  'full default stack': fullStack(),
  'metrics({ tracing: false }) + m.attempts() alone': createProxy({ terminal, strict: false }).use(
    ...layers.metrics(),
  ),
  'authenticate(jwt()) alone, warm cache': createProxy({ terminal, strict: false }).use(
    ...layers.auth(),
  ),
  'rateLimit() per client alone': createProxy({ terminal, strict: false }).use(
    ...layers.auth(),
    ...layers.rateLimit(),
  ),
  'router() alone (3 namespaced upstreams)': createProxy({ terminal, strict: false }).use(
    ...layers.router(),
  ),
  'timeout() + breaker() alone': createProxy({ terminal, strict: false }).use(
    ...layers.router(),
    ...layers.resilience(),
  ),
}

/** A header string new each message, decoded from bytes as node:http does for each request. */
const headerBytes = Buffer.from(`Bearer ${token}`, 'latin1')
const session = () => ({
  session: {
    id: 'session-1',
    transport: 'streamable-http',
    headers: { authorization: headerBytes.latin1Slice(0, headerBytes.length) },
  },
})
let seq = 0
/** Round-robin over the three namespaced names, as the e2e load generator's clients do. */
const names = UPSTREAMS.map((name) => `${name}_echo`)
const call = (namespaced) => () => {
  const id = ++seq
  return {
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: namespaced ? names[id % 3] : 'echo', arguments: { text: 'hi' } },
  }
}
/** Which proxies see namespaced names: those with the router in them. */
const routed = (name) =>
  name.startsWith('full') || name.startsWith('router') || name.startsWith('timeout')
const variants = Object.fromEntries(
  Object.entries(proxies).map(([name, proxy]) => {
    const message = call(routed(name))
    return [name, () => proxy.handle(message(), session())]
  }),
)

// Warm the router's catalogs (as a client's tools/list does) and the token cache, then check that
// every variant answers the call, so that no variant times a refusal.
for (const [name, proxy] of Object.entries(proxies)) {
  await proxy.handle({ jsonrpc: '2.0', id: 0, method: 'tools/list', params: {} }, session())
  const answer = await variants[name]()
  if (answer?.result?.content?.[0]?.text !== 'hi') {
    throw new Error(`${name} did not answer the call: ${JSON.stringify(answer)}`)
  }
}

const run = await measure(variants, { rounds: 41, batch: await batchFor(variants, 4) })
const over = (name) => (run.ratios[name] - 1) * run.empty
const rows = Object.keys(variants).map((name) => [
  name,
  run[name].toFixed(0),
  name === 'empty' ? '' : (run[name] - run.empty).toFixed(0),
  name === 'empty' ? '' : over(name).toFixed(0),
  run.ratios[name].toFixed(2),
])

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
)
console.log('\n### full default stack: tools/call through proxy.handle, over an empty stack\n')
console.log(
  table(
    [
      'stack',
      'median ns',
      'over empty, difference of medians (ns)',
      'over empty, from the paired ratio (ns)',
      'ratio to empty (paired)',
    ],
    rows,
  ),
)
const full = over('full default stack')
console.log(
  `\nfull default stack over empty (paired): ${full.toFixed(0)} ns (bar: ≤ 2,000 ns) ${full <= 2000 ? 'PASS' : 'OVER'}; difference of medians ${(run['full default stack'] - run.empty).toFixed(0)} ns; paired ratio ${run.ratios['full default stack'].toFixed(2)}`,
)
console.log(
  '(the rateLimit() row includes auth, which it needs for a client key, and the timeout/breaker row the router, which they need for a target: subtract those rows to read the layer)',
)
