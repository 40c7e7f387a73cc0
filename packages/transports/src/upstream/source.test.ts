import { createProxy } from '@mcpx/core'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanups, connectSdkClient, runCleanups } from '../../test/fixtures.js'
import { textOf } from '../../test/harness.js'
import { forward } from '../forward.js'
import { serveHttp } from '../node.js'
import { inProcess } from './in-process.js'
import type { LeaseOutcome, UpstreamLease, UpstreamSource } from './source.js'
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

/** `up` as a source of its own, recording how each lease ended. */
function recording(up: Upstream) {
  const outcomes: LeaseOutcome[] = []
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
    lease: (origin, signal) => {
      const pending = up.lease(origin, signal)
      return pending instanceof Promise ? pending.then(wrap) : wrap(pending)
    },
    subscription: (session, method, params) => up.subscription(session, method, params),
    taskCreated: (session, result) => up.taskCreated(session, result),
    close: () => up.close(),
  }
  return { source, outcomes }
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
