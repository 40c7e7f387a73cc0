/**
 * Edges of the pool's lifecycle, each once a bug: a crash-looped pool stays
 * failed until restart(), a lease for a session that already ended is
 * refused, subscriptions follow the anchor to its replacement, a hung server
 * with traffic is still evicted, close() lends nothing more, and a pool
 * refused by its stats registry starts nothing. In-process SDK servers (real
 * servers, no child processes) so that each edge is quick and exact.
 */
import { createProxy, createStatsRegistry, ErrorCode, type McpProxy } from '@mcpx/core'
import { eventually, faultyBinPath } from '@mcpx/test-utils'
import { forward, inProcess } from '@mcpx/transports'
import { Session } from '@mcpx/transports/protocol'
import { stdio } from '@mcpx/transports/stdio'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { PingRequestSchema, SubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { type Pool, type PoolFactoryOptions, pool } from '../src/index.js'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
})

const neverAborted = { aborted: false, reason: undefined, onAbort: () => () => {} }

/** In-process servers, one per connection; `hang` makes every later one's calls and pings hang. */
function servers() {
  const made: { subscribes: string[] }[] = []
  const faults = { hang: false }
  const connector = inProcess(() => {
    const seen = { subscribes: [] as string[] }
    made.push(seen)
    const server = new McpServer({ name: 'edge', version: '1.0.0' })
    const hangs = () => new Promise<never>(() => {})
    server.registerTool('echo', {}, async () =>
      faults.hang ? hangs() : { content: [{ type: 'text', text: 'ok' }] },
    )
    server.registerTool('slow', {}, async () => {
      await new Promise((r) => setTimeout(r, 300))
      return { content: [{ type: 'text', text: 'slow' }] }
    })
    server.server.registerCapabilities({ resources: { subscribe: true } })
    server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
      seen.subscribes.push(request.params.uri)
      return {}
    })
    server.server.setRequestHandler(PingRequestSchema, async () => (faults.hang ? hangs() : {}))
    return server
  })
  return { connector, made, faults }
}

function open(connector: Parameters<typeof pool>[1], options: PoolFactoryOptions): Pool {
  const p = pool('edge', connector, { log: () => {}, ...options })
  cleanup.push(() => p.close())
  return p
}

function session(proxy: McpProxy = createProxy({ terminal: async () => {} })) {
  return new Session({ proxy, info: { id: 's', transport: 'test' }, send: () => {} })
}

describe('a crash-looped pool', () => {
  it('stays failed across sweeps, not replaced by fresh children, until restart()', async () => {
    const p = open(
      stdio({ command: process.execPath, args: [faultyBinPath('stdio'), '--exit-at-startup'] }),
      {
        min: 1,
        max: 2,
        idleTimeout: 40, // a sweep every 10 ms
        restart: { baseDelay: 1, maxDelay: 5, crashLoop: { failures: 2, windowMs: 60_000 } },
      },
    )
    await eventually(() => p.state === 'failed', 10_000)
    const { opened } = p.stats()
    await new Promise((r) => setTimeout(r, 200))
    expect(p.stats()).toMatchObject({ state: 'failed', failed: 1, opened })
    p.restart()
    expect(p.state).not.toBe('failed')
    await eventually(() => p.stats().opened > opened, 10_000)
  })
})

describe('a pool whose only connection is retiring', () => {
  it('is starting, not failed, and serves a waiting request on the replacement', async () => {
    const { connector } = servers()
    const p = open(connector, { min: 1, max: 1, maxLifetime: 100 })
    const proxy = createProxy({ terminal: forward([p]) })
    cleanup.push(() => proxy.close())
    await eventually(() => p.stats().ready === 1)
    const call = (id: number, name: string) =>
      proxy.handle({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } })
    const slow = call(1, 'slow')
    // It ages out with the slow call in flight: no new lease on it, no room for a replacement yet.
    await eventually(() => p.stats().ready === 0, 5_000)
    expect(p.state).toBe('starting')
    const waiting = call(2, 'echo')
    expect(await slow).toHaveProperty('result')
    expect(await waiting).toHaveProperty('result')
  })
})

describe('a connector whose open() throws', () => {
  it('is a failed start for the supervisor, not an exception out of pool()', async () => {
    let opens = 0
    const throwing = {
      open() {
        opens++
        throw new Error('no such server')
      },
    } as unknown as Parameters<typeof pool>[1]
    const p = open(throwing, {
      min: 1,
      max: 1,
      restart: { baseDelay: 1, maxDelay: 5, crashLoop: { failures: 3, windowMs: 60_000 } },
    })
    await eventually(() => p.state === 'failed', 5_000)
    expect(opens).toBe(3)
  })
})

describe('per-session leases', () => {
  it('keep spares and leases within max, however fast sessions arrive', async () => {
    const p = open(servers().connector, { mode: 'per-session', max: 2, spares: 1 })
    await eventually(() => p.stats().spares === 1)
    const init = {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'c', version: '1' },
    }
    await Promise.all([
      p.handshake(session(), init, neverAborted),
      p.handshake(session(), init, neverAborted),
    ])
    await new Promise((r) => setTimeout(r, 100))
    expect(p.stats()).toMatchObject({ connections: 2, inUse: 2, spares: 0 })
  })

  it('refuses a lease for a session that already ended, leasing nothing', async () => {
    const p = open(servers().connector, { mode: 'per-session', spares: 1 })
    await eventually(() => p.stats().spares === 1)
    const ended = session()
    ended.close()
    expect(() => p.lease({ session: ended, id: 1 }, neverAborted)).toThrow('Session closed')
    await expect(p.handshake(ended, {}, neverAborted)).rejects.toMatchObject({
      code: ErrorCode.ConnectionClosed,
    })
    expect(p.stats()).toMatchObject({ inUse: 0, spares: 1 })
  })
})

describe('subscriptions on a shared pool', () => {
  it('follow the anchor connection to its replacement when it ages out (maxLifetime)', async () => {
    const { connector, made } = servers()
    const p = open(connector, { min: 1, max: 2, maxLifetime: 100 })
    const s = session()
    await p.subscription(s, 'resources/subscribe', { uri: 'file:///a' })
    await eventually(() => made.length >= 2 && p.stats().evictions >= 1, 5_000)
    await eventually(() => made.at(-1)!.subscribes.includes('file:///a'), 5_000)
    await p.subscription(s, 'resources/subscribe', { uri: 'file:///b' })
    expect(made.at(-1)!.subscribes).toContain('file:///b')
  })
})

describe('ping health with traffic', () => {
  it('evicts a hung server whose requests keep timing out: timed-out requests are no proof of life', async () => {
    const { connector, faults } = servers()
    const p = open(connector, {
      min: 1,
      max: 1,
      timeout: 30,
      health: { pingInterval: 40, pingTimeout: 30, pingFailures: 2 },
      restart: { baseDelay: 1, maxDelay: 5 },
    })
    const proxy = createProxy({ terminal: forward([p]) })
    cleanup.push(() => proxy.close())
    await eventually(() => p.stats().ready === 1)
    faults.hang = true
    let id = 0
    const deadline = Date.now() + 3_000
    while (p.stats().evictions === 0 && Date.now() < deadline) {
      void proxy.handle({
        jsonrpc: '2.0',
        id: ++id,
        method: 'tools/call',
        params: { name: 'echo', arguments: {} },
      })
      await new Promise((r) => setTimeout(r, 10))
    }
    expect(p.stats().evictions).toBeGreaterThanOrEqual(1)
    // Evicted as if it died: restarted by its supervisor, with backoff.
    await eventually(() => p.stats().restarts >= 1, 5_000)
  })
})

describe('close()', () => {
  it('lends nothing more on ready connections, and drains as soon as the last lease ends', async () => {
    const p = open(servers().connector, { min: 2, max: 2, drainTimeout: 5_000 })
    await eventually(() => p.stats().ready === 2)
    const held = p.lease({ session: undefined, id: 1 }, neverAborted)
    expect(held).not.toBeInstanceOf(Promise)
    const closing = p.close()
    expect(() => p.lease({ session: undefined, id: 2 }, neverAborted)).toThrow(
      'Upstream "edge" is shutting down',
    )
    const started = Date.now()
    ;(held as { release(outcome: 'done'): void }).release('done')
    await closing
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(p.state).toBe('closed')
  })
})

describe('a stats registry that refuses the pool', () => {
  it('throws before the pool opens anything', () => {
    const { connector, made } = servers()
    const stats = createStatsRegistry()
    open(connector, { min: 0, statsRegistry: stats })
    expect(() => pool('edge', connector, { min: 2, statsRegistry: stats })).toThrow(/already/)
    expect(made).toHaveLength(0)
  })
})
