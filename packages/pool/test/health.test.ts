/**
 * The pool's health checks (issue 11 point 4; docs/pool-design.md §3.4)
 * through `forward()`: MCP pings evict a connection that stopped answering
 * and the pool replaces it; an HTTP health endpoint marks the upstream in
 * core's health registry; the pool's numbers sit in core's stats registry
 * while it is open.
 */
import { createServer, type Server } from 'node:http'
import { createHealthRegistry, createProxy, createStatsRegistry, type McpProxy } from '@mcpx/core'
import { eventually } from '@mcpx/test-utils'
import { forward, inProcess } from '@mcpx/transports'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { PingRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { type PoolFactoryOptions, pool } from '../src/index.js'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
})

/** In-process servers, one per connection, numbered; `hung` ones never answer ping. */
function servers() {
  const hung = new Set<number>()
  let made = 0
  const connector = inProcess(() => {
    const n = ++made
    const server = new McpServer({ name: 'pinged', version: '1.0.0' })
    server.registerTool('which', {}, async () => ({ content: [{ type: 'text', text: String(n) }] }))
    server.server.setRequestHandler(PingRequestSchema, (_request, extra) =>
      hung.has(n)
        ? new Promise((resolve) => extra.signal.addEventListener('abort', () => resolve({})))
        : {},
    )
    return server
  })
  return { connector, hung, made: () => made }
}

function start(connector: ReturnType<typeof servers>['connector'], options: PoolFactoryOptions) {
  const p = pool('pinged', connector, { log: () => {}, ...options })
  const proxy: McpProxy = createProxy({ terminal: forward([p]) })
  cleanup.push(() => proxy.close())
  return { pool: p, proxy }
}

let id = 0
const which = async (proxy: McpProxy) => {
  const response = (await proxy.handle({
    jsonrpc: '2.0',
    id: ++id,
    method: 'tools/call',
    params: { name: 'which', arguments: {} },
  })) as unknown as { result: { content: { text: string }[] } }
  return Number(response.result.content[0]!.text)
}

describe('MCP ping health checks', () => {
  it('evicts a connection that misses pingFailures pings in a row and serves on a replacement', async () => {
    const upstreams = servers()
    const { pool: p, proxy } = start(upstreams.connector, {
      min: 1,
      max: 1,
      health: { pingInterval: 30, pingTimeout: 30, pingFailures: 2 },
    })
    expect(await which(proxy)).toBe(1)
    upstreams.hung.add(1)
    await eventually(() => p.stats().evictions === 1, 5_000)
    await eventually(() => p.stats().ready === 1, 5_000)
    expect(await which(proxy)).toBe(2)
  })

  it('keeps a connection that answers its pings', async () => {
    const upstreams = servers()
    const { pool: p, proxy } = start(upstreams.connector, {
      min: 1,
      max: 1,
      health: { pingInterval: 20, pingTimeout: 50, pingFailures: 1 },
    })
    expect(await which(proxy)).toBe(1)
    await new Promise((r) => setTimeout(r, 300))
    expect(p.stats().evictions).toBe(0)
    expect(await which(proxy)).toBe(1)
  })
})

describe('HTTP health endpoint', () => {
  it('marks the upstream unhealthy after unhealthyThreshold failures and ready after healthyThreshold successes', async () => {
    let status = 200
    const server: Server = createServer((_req, res) => {
      res.statusCode = status
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanup.push(() => new Promise((resolve) => server.close(resolve)))
    const { port } = server.address() as { port: number }
    const health = createHealthRegistry()
    const { pool: p } = start(servers().connector, {
      healthRegistry: health,
      health: {
        http: {
          url: `http://127.0.0.1:${port}/healthz`,
          interval: 20,
          healthyThreshold: 2,
          unhealthyThreshold: 2,
        },
      },
    })
    await eventually(() => p.stats().ready === 1)
    expect(health.isAvailable('pinged')).toBe(true)
    status = 503
    await eventually(() => !health.isAvailable('pinged'), 5_000)
    expect(health.statusOf('pinged')).toEqual({ pool: 'unhealthy' })
    // The connections are fine: only the upstream is marked.
    expect(p.stats().ready).toBe(1)
    status = 200
    await eventually(() => health.isAvailable('pinged'), 5_000)
  })
})

describe('stats registry', () => {
  it("registers the pool's numbers while it is open and removes them on close()", async () => {
    const stats = createStatsRegistry()
    const { pool: p } = start(servers().connector, { statsRegistry: stats })
    await eventually(() => p.stats().ready === 1)
    const [source] = stats.sources()
    expect(source).toMatchObject({ kind: 'pool', name: 'pinged' })
    expect(source!.read()).toMatchObject({ up: 1, ready: 1, inFlight: 0 })
    await p.close()
    expect(stats.sources()).toEqual([])
  })
})
