// One gateway replica for the replicas test, in its own process: the built
// package (dist), a per-session faulty stdio upstream, and the session
// registry in Redis. Prints `LISTENING <url>` once it serves; every onError
// line goes to stderr as `ERROR <message>`. Environment: REDIS_URL,
// REPLICA_SECRET, REPLICA_TTL (ms).
import { createServer } from 'node:http'
import { createProxy } from '@mcpx/core'
import { faultyBinPath } from '@mcpx/test-utils'
import { forward, upstream } from '@mcpx/transports'
import { createStreamableHttpHandler } from '@mcpx/transports/node'
import { redisSessionDirectory } from '@mcpx/transports/redis'
import { stdio } from '@mcpx/transports/stdio'
import { Redis } from 'ioredis'

const { REDIS_URL, REPLICA_SECRET, REPLICA_TTL } = process.env
const client = new Redis(REDIS_URL, {
  enableOfflineQueue: false,
  socketTimeout: 1000,
  retryStrategy: () => 100,
})
client.on('error', () => {})
// Serve only once the directory can take claims (a readiness check in production).
await new Promise((resolve) => client.once('ready', resolve))
const faulty = stdio({ command: process.execPath, args: [faultyBinPath('stdio')] })
const up = upstream('faulty', faulty, { mode: 'per-session' })
const proxy = createProxy({ terminal: forward(up) })
// Listen first: the replica's advertised origin is its own port.
const server = createServer()
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${server.address().port}`
const mcp = createStreamableHttpHandler(proxy, {
  path: '/mcp',
  registry: {
    directory: redisSessionDirectory({ client, ttl: Number(REPLICA_TTL) }),
    self: origin,
    secret: REPLICA_SECRET,
  },
  // `Authorization: Bearer <name>` is the principal <name>; without it the caller is anonymous.
  authenticate: ({ headers }) => {
    const match = /^Bearer (\w+)$/.exec(String(headers.authorization ?? ''))
    return match ? { subject: match[1], scopes: [] } : undefined
  },
  onError: (error) => process.stderr.write(`ERROR ${error.message}\n`),
})
server.on('request', mcp)
process.stdout.write(`LISTENING ${origin}/mcp\n`)

process.once('SIGTERM', async () => {
  await mcp.close()
  server.closeAllConnections()
  server.close()
  await up.close()
  client.disconnect()
  process.exit(0)
})
