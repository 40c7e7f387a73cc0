// A real gateway for the end-to-end and exposition tests: the SDK's real
// Client over Streamable HTTP, a stack of the real packages (metrics, rate
// limit, router, pins, cache, bulkhead, breaker, forward), a pool and an
// upstream in front of in-process SDK McpServers, every package reporting
// to one core stats registry, and /metrics served by metricsHandler().
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { breaker, concurrencyLimit } from '@mcpx/breaker'
import { createProxy, createStatsRegistry, type Middleware, type StatsRegistry } from '@mcpx/core'
import { pool } from '@mcpx/pool'
import { rateLimit, tokenBucket } from '@mcpx/ratelimit'
import { router } from '@mcpx/router'
import { cache, pinTools } from '@mcpx/transformers'
import { forward, inProcess, upstream } from '@mcpx/transports'
import { type HttpServer, serveHttp } from '@mcpx/transports/node'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import { type Metrics, metrics } from '../src/metrics.js'
import { metricsHandler } from '../src/node.js'

/** `add` calls each client may make (the rate limit the script runs into). */
export const ADD_LIMIT = 4

function mathServer(): McpServer {
  const mcp = new McpServer({ name: 'math', version: '1.0.0' })
  mcp.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }))
  mcp.registerTool('div', { inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) =>
    b === 0
      ? { content: [{ type: 'text', text: 'division by zero' }], isError: true }
      : { content: [{ type: 'text', text: String(a / b) }] },
  )
  return mcp
}

function docsServer(): McpServer {
  const mcp = new McpServer({ name: 'docs', version: '1.0.0' })
  mcp.registerTool('search', { inputSchema: { q: z.string() } }, ({ q }) => ({
    content: [{ type: 'text', text: `found ${q}` }],
  }))
  mcp.registerResource('readme', 'docs://readme', { mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, text: 'readme' }],
  }))
  return mcp
}

export interface Gateway {
  readonly m: Metrics
  readonly stats: StatsRegistry
  /** The /metrics URL. */
  readonly metricsUrl: string
  /** A connected SDK client for `user` (its principal's subject). */
  connect(user: string): Promise<Client>
  close(): Promise<void>
}

/** `first`: a middleware above metrics(), first in the stack (the access log). */
export async function startGateway(options: { first?: Middleware } = {}): Promise<Gateway> {
  const stats = createStatsRegistry()
  // No cacheStatusKey: core's is the default, and the cache sets it.
  const m = metrics({ statsRegistry: stats, log: () => {} })
  const mathPool = pool('math', inProcess(mathServer), {
    min: 1,
    statsRegistry: stats,
    log: () => {},
  })
  const docs = upstream('docs', inProcess(docsServer()), { listChangedDebounce: 0 })
  const proxy = createProxy({ terminal: forward([mathPool, docs]) })
  if (options.first !== undefined) proxy.use(options.first)
  proxy.use(
    m,
    rateLimit({
      limits: [
        {
          name: 'adds',
          by: 'client',
          tools: 'add',
          // A token per 1,000 s: no window boundary for the script to cross.
          algorithm: tokenBucket({ capacity: ADD_LIMIT, refillPerSecond: 0.001 }),
        },
      ],
    }),
    router({ upstreams: { math: {}, docs: {} }, log: () => {} }),
    pinTools({ statsRegistry: stats, log: () => {} }),
    cache({ tools: { include: ['search'] }, statsRegistry: stats, log: () => {} }),
    concurrencyLimit({ limit: 16, statsRegistry: stats }),
    breaker({ statsRegistry: stats }),
  )
  const server: HttpServer = await serveHttp(proxy, {
    port: 0,
    // Who is calling, as an auth hook would say it: here, a header.
    authenticate: ({ headers }) => ({
      subject: String(headers['x-user'] ?? 'anonymous'),
      scopes: [],
    }),
  })
  const scrape: Server = createServer(metricsHandler(m))
  await new Promise<void>((resolve) => scrape.listen(0, '127.0.0.1', resolve))
  const clients: Client[] = []
  return {
    m,
    stats,
    metricsUrl: `http://127.0.0.1:${(scrape.address() as AddressInfo).port}/metrics`,
    async connect(user) {
      const client = new Client({ name: `metrics-e2e-${user}`, version: '1.0.0' })
      await client.connect(
        new StreamableHTTPClientTransport(new URL(server.url), {
          requestInit: { headers: { 'x-user': user } },
        }),
      )
      clients.push(client)
      return client
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()))
      await server.close()
      await proxy.close()
      await new Promise((resolve) => scrape.close(resolve))
    },
  }
}
