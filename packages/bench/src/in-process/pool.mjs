// pnpm bench:pool: the shared-mode hot path of @mcpx/pool, lease() + release()
// on a ready pool of 4 in-process connections, beside plain upstream()'s lease
// of its one shared connection (a no-op release). Bar (issue 11): ≤ 100 ns.
import os from 'node:os'
import { pool } from '@mcpx/pool'
import { inProcess, upstream } from '@mcpx/transports'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { measure, table } from './measure.mjs'

/** sync lease + release pairs per measured op, so the op's own await is amortised. */
const INNER = 1_000
const server = () => new McpServer({ name: 'bench', version: '1.0.0' })
const never = { aborted: false, reason: undefined, onAbort: () => () => {} }
const origin = { session: undefined, id: 1 }

const pooled = pool('bench', inProcess(server), { min: 4, max: 4, log: () => {} })
const plain = upstream('bench', inProcess(server), { log: () => {} })
for (const source of [pooled, plain]) {
  const lease = await source.lease(origin, never) // opens (and waits for) the connections
  lease.release('done')
}
while (pooled.stats().ready < 4) await new Promise((resolve) => setTimeout(resolve, 10))

let sink = 0
const cycle = (source) => async () => {
  for (let i = 0; i < INNER; i++) {
    const lease = source.lease(origin, never)
    if (lease instanceof Promise) throw new Error('lease was not synchronous')
    sink += lease.connection === undefined ? 0 : 1
    lease.release('done')
  }
}
const result = await measure(
  {
    'upstream() lease + release': cycle(plain),
    'pool() shared, 4 ready, lease + release': cycle(pooled),
  },
  { rounds: 41, batch: 200 },
)
await Promise.all([pooled.close(), plain.close()])

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, NODE_ENV=${process.env.NODE_ENV ?? ''}`,
)
console.log('\n### pool: acquire + release on the success path (shared)\n')
console.log(
  table(
    ['variant', 'median ns', 'ratio to upstream() (paired)'],
    Object.keys(result)
      .filter((name) => name !== 'ratios')
      .map((name) => [name, (result[name] / INNER).toFixed(1), result.ratios[name].toFixed(2)]),
  ),
)
if (sink === 0) console.log('(no lease ran)')
