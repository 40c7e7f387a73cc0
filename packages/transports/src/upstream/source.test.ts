import { createProxy, deadlineKey } from '@mcpx/core'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import {
  RootsListChangedNotificationSchema,
  SubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanups, connectSdkClient, eventually, runCleanups } from '../../test/fixtures.js'
import { textOf } from '../../test/harness.js'
import { forward } from '../forward.js'
import { serveHttp } from '../node.js'
import { inProcess } from './in-process.js'
import type { LeaseOutcome, UpstreamLease, UpstreamSource } from './source.js'
import { stdio } from './stdio.js'
import { type Upstream, upstream } from './upstream.js'

afterEach(runCleanups)

const INIT_PARAMS = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'test', version: '1' },
}
const never = { aborted: false, reason: undefined, onAbort: () => () => {} }

function testServer(): McpServer {
  const server = new McpServer({ name: 'mine', version: '1.0.0' })
  server.registerTool('ok', {}, async () => ({ content: [{ type: 'text', text: 'ok' }] }))
  server.registerTool('slow', {}, async () => {
    await new Promise((resolve) => setTimeout(resolve, 500))
    return { content: [{ type: 'text', text: 'late' }] }
  })
  return server
}

/** `up` as a source of its own, counting its leases and recording how each ended. */
function recording(up: Upstream) {
  const outcomes: LeaseOutcome[] = []
  const counts = { leases: 0 }
  const waits: (number | undefined)[] = []
  const wrap = (lease: UpstreamLease): UpstreamLease => ({
    connection: lease.connection,
    release: (outcome) => {
      outcomes.push(outcome)
      lease.release(outcome)
    },
  })
  const source: UpstreamSource = {
    name: up.name,
    mode: up.mode,
    timeout: up.timeout,
    maxTotalTimeout: up.maxTotalTimeout,
    handshake: (session, initialize, signal) => up.handshake(session, initialize, signal),
    lease: (origin, signal, maxWait) => {
      counts.leases++
      waits.push(maxWait)
      const pending = up.lease(origin, signal)
      return pending instanceof Promise ? pending.then(wrap) : wrap(pending)
    },
    subscription: (session, method, params) => up.subscription(session, method, params),
    taskCreated: (session, result) => up.taskCreated(session, result),
    close: () => up.close(),
  }
  return { source, outcomes, counts, waits }
}

describe('Upstream as an UpstreamSource', () => {
  it('leases the ready shared connection synchronously, the same lease object every time', async () => {
    const up = upstream('mine', inProcess(testServer()), { log: () => {} })
    cleanups.push(() => up.close())
    const result = await up.handshake(undefined, INIT_PARAMS, never)
    expect(result.serverInfo).toMatchObject({ name: 'mine' })
    const first = up.lease({ session: undefined, id: 1 }, never)
    const second = up.lease({ session: undefined, id: 2 }, never)
    expect(first).not.toBeInstanceOf(Promise)
    expect(second).toBe(first)
    ;(first as UpstreamLease).release('done')
    expect(up.stats.connections).toBe(1)
  })

  it('forward() takes any UpstreamSource and releases each lease once with how the request ended', async () => {
    const up = upstream('mine', inProcess(testServer()), { timeout: 100, log: () => {} })
    const { source, outcomes } = recording(up)
    const http = await serveHttp(createProxy({ terminal: forward(source) }), { port: 0 })
    cleanups.push(
      () => up.close(),
      () => http.close(),
    )
    const client = await connectSdkClient(
      new StreamableHTTPClientTransport(new URL(http.url)),
      new Client({ name: 'test', version: '1.0.0' }),
    )
    expect(textOf(await client.callTool({ name: 'ok' }))).toBe('ok')
    expect(outcomes).toEqual(['done'])
    // The server's own JSON-RPC error is an answer: the connection is fine.
    await expect(client.getPrompt({ name: 'none' })).rejects.toThrow()
    expect(outcomes).toEqual(['done', 'done'])
    // Timed out: the server may still be working on it.
    await expect(client.callTool({ name: 'slow' })).rejects.toThrow(/timed out|-32001/)
    expect(outcomes).toEqual(['done', 'done', 'abandoned'])
  })
})

/** A server that records the roots changes and subscriptions its client sends. */
function watchedServer(seen: string[]): McpServer {
  const server = new McpServer(
    { name: 'mine', version: '1.0.0' },
    { capabilities: { resources: { subscribe: true } } },
  )
  server.registerTool('ok', {}, async () => ({ content: [{ type: 'text', text: 'ok' }] }))
  server.server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
    seen.push('roots changed')
  })
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    seen.push(`subscribe ${request.params.uri}`)
    return {}
  })
  return server
}

/** A gateway forwarding to `source` over Streamable HTTP, and the client notifications its terminal saw. */
async function gatewayFor(source: UpstreamSource) {
  const proxy = createProxy({ terminal: forward(source) })
  const forwarded: string[] = []
  proxy.use(async (ctx, next) => {
    await next()
    if (ctx.kind === 'notification') forwarded.push(ctx.method)
  })
  const http = await serveHttp(proxy, { port: 0 })
  cleanups.push(() => http.close())
  const client = await connectSdkClient(
    new StreamableHTTPClientTransport(new URL(http.url)),
    new Client(
      { name: 'test', version: '1.0.0' },
      { capabilities: { roots: { listChanged: true } } },
    ),
  )
  return { client, forwarded }
}

describe('forward() leases only what needs a connection', () => {
  it('leases nothing for a client notification or a subscription to a shared upstream', async () => {
    const seen: string[] = []
    const up = upstream('mine', inProcess(watchedServer(seen)), { log: () => {} })
    cleanups.push(() => up.close())
    const { source, counts } = recording(up)
    const { client, forwarded } = await gatewayFor(source)
    await client.sendRootsListChanged()
    await eventually(() => forwarded.includes('notifications/roots/list_changed'))
    await client.subscribeResource({ uri: 'file:///a' })
    expect(counts.leases).toBe(0)
    // The subscription went upstream from the table; the notification went nowhere.
    expect(seen).toEqual(['subscribe file:///a'])
    expect(textOf(await client.callTool({ name: 'ok' }))).toBe('ok')
    expect(counts.leases).toBe(1)
  })

  it('sends a client notification to a per-session upstream on its lease', async () => {
    const seen: string[] = []
    const up = upstream(
      'mine',
      inProcess(() => watchedServer(seen)),
      {
        mode: 'per-session',
        log: () => {},
      },
    )
    cleanups.push(() => up.close())
    const { source, counts } = recording(up)
    const { client } = await gatewayFor(source)
    await client.sendRootsListChanged()
    await eventually(() => seen.includes('roots changed'))
    expect(counts.leases).toBe(1)
  })
})

describe("forward() and core's deadlineKey", () => {
  const callWith = (deadline: number | undefined, name: string, source?: UpstreamSource) => {
    const up = source ?? upstream('mine', inProcess(testServer()), { log: () => {} })
    const proxy = createProxy({ terminal: forward(up) })
    cleanups.push(() => proxy.close())
    proxy.use(async (ctx, next) => {
      if (deadline !== undefined) ctx.set(deadlineKey, Date.now() + deadline)
      await next()
    })
    return proxy.handle({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name, arguments: {} },
    }) as Promise<Record<string, any>>
  }

  it('cuts the upstream request to the time left: -32001 at the deadline, not the upstream timeout', async () => {
    const started = performance.now()
    const response = await callWith(100, 'slow')
    expect(response.error.code).toBe(-32001)
    expect(performance.now() - started).toBeLessThan(400)
  })

  it('answers -32001 at once, sending nothing, when the deadline passed before the request', async () => {
    const response = await callWith(-1, 'ok')
    expect(response.error).toMatchObject({
      code: -32001,
      message: 'Request to upstream "mine" timed out',
      data: { upstream: 'mine' },
    })
  })

  it('tells the source how long it may wait for a connection: the time left before the deadline', async () => {
    const { source, waits } = recording(
      upstream('mine', inProcess(testServer()), { log: () => {} }),
    )
    const without = await callWith(undefined, 'ok', source)
    expect(textOf(without.result)).toBe('ok')
    const within = await callWith(2_000, 'ok', source)
    expect(textOf(within.result)).toBe('ok')
    expect(waits[0]).toBeUndefined()
    expect(waits[1]).toBeGreaterThan(1_900)
    expect(waits[1]).toBeLessThanOrEqual(2_000)
  })

  it('leases nothing when the deadline passed before the request', async () => {
    const { source, counts } = recording(
      upstream('mine', inProcess(testServer()), { log: () => {} }),
    )
    expect((await callWith(-1, 'ok', source)).error.code).toBe(-32001)
    expect(counts.leases).toBe(0)
  })

  it('answers -32001 at the deadline while the connection is still opening (a child that never answers initialize), not at connectTimeout', async () => {
    // A real child that reads its input and never answers.
    const mute = upstream(
      'mute',
      stdio({ command: process.execPath, args: ['-e', 'process.stdin.resume()'] }),
      { mode: 'shared', connectTimeout: 5_000, log: () => {} },
    )
    const started = performance.now()
    const response = await callWith(300, 'ok', mute)
    const waited = performance.now() - started
    expect(response.error).toMatchObject({
      code: -32001,
      message: 'Request to upstream "mute" timed out waiting for a connection',
      data: { upstream: 'mute' },
    })
    expect(waited).toBeGreaterThanOrEqual(270)
    expect(waited).toBeLessThan(1_500)
  })

  it('leaves a request that answers before the deadline alone', async () => {
    const response = await callWith(2_000, 'ok')
    expect(textOf(response.result)).toBe('ok')
  })
})
