/**
 * Issue 11's per-session acceptance tests (docs/pool-design.md §3.2, §3.3,
 * §4): real faulty stdio children behind a real Streamable HTTP front end,
 * SDK clients downstream. Each session leases its own child, taken from the
 * warm spares and initialized with the client's own `initialize`.
 */
import { createProxy } from '@mcpx/core'
import {
  descendants,
  eventually,
  faultyBinPath,
  hasProc,
  statefulStdioBinPath,
} from '@mcpx/test-utils'
import { forward } from '@mcpx/transports'
import { createStreamableHttpHandler, listen } from '@mcpx/transports/node'
import { stdio } from '@mcpx/transports/stdio'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterEach, describe, expect, it } from 'vitest'
import { type Pool, type PoolFactoryOptions, pool } from '../src/index.js'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
})

async function gateway(options: Partial<PoolFactoryOptions> = {}, bin = faultyBinPath('stdio')) {
  const p: Pool = pool('faulty', stdio({ command: process.execPath, args: [bin] }), {
    mode: 'per-session',
    timeout: 10_000,
    log: () => {},
    ...options,
  } as PoolFactoryOptions)
  const proxy = createProxy({ terminal: forward([p]) })
  cleanup.push(() => proxy.close())
  const server = await listen(createStreamableHttpHandler(proxy), { port: 0 })
  cleanup.push(() => server.close())
  return { pool: p, url: new URL(`${server.origin}/mcp`) }
}

async function connect(url: URL, name = 'client') {
  const transport = new StreamableHTTPClientTransport(url)
  const client = new Client({ name, version: '1.0.0' })
  await client.connect(transport)
  cleanup.push(() => client.close())
  return { client, transport }
}

async function text(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args })
  return (result.content as { text: string }[])[0]!.text
}

/** The gateway's children (this test process is the gateway). */
const children = () =>
  descendants(process.pid).filter((s) => s.ppid === process.pid && !s.zombie).length

/** A raw POST on `sessionId`, as a client whose SDK forgot nothing would send next. */
async function post(url: URL, sessionId: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
  })
  await res.body?.cancel()
  return res.status
}

describe('pool() in per-session mode', () => {
  it('gives two clients of a stateful server isolated state', async () => {
    const { url } = await gateway()
    const a = await connect(url, 'a')
    const b = await connect(url, 'b')
    await text(a.client, 'stateful_set', { key: 'k', value: 'from a' })
    expect(await text(a.client, 'stateful_get', { key: 'k' })).toBe('from a')
    expect(await text(b.client, 'stateful_get', { key: 'k' })).toBe('')
    expect(await text(a.client, 'pid')).not.toBe(await text(b.client, 'pid'))
  })

  it("initializes a warm spare with the client's own initialize", async () => {
    const { pool: p, url } = await gateway({ spares: 1 })
    await eventually(() => p.stats().spares === 1, 10_000)
    const [spare, ...others] = descendants(process.pid).filter(
      (s) => s.ppid === process.pid && !s.zombie,
    )
    expect(others).toEqual([])
    const { client } = await connect(url, 'own-client')
    expect(Number(await text(client, 'pid'))).toBe(spare!.pid)
    // The server saw the client's clientInfo, not the gateway's.
    expect(await text(client, 'client_info')).toContain('own-client')
    await eventually(() => p.stats().spares === 1, 10_000)
  })

  it('closes the connection when its session ends with a DELETE', async () => {
    const { pool: p, url } = await gateway({ spares: 0 })
    const { client, transport } = await connect(url)
    const pid = Number(await text(client, 'pid'))
    expect(p.stats().inUse).toBe(1)
    await transport.terminateSession()
    await eventually(() => p.stats().connections === 0)
    await eventually(() => !descendants(process.pid).some((d) => d.pid === pid))
  })

  it.runIf(hasProc)(
    'leaves no child behind after 200 sessions opened and closed',
    async () => {
      // The minimal server boots in a fraction of the SDK fixture's time: 200 children, one per session.
      const { pool: p, url } = await gateway(
        { spares: 4, leaseIdleTimeout: 1_000, max: 200 },
        statefulStdioBinPath(),
      )
      const SESSIONS = 200
      const BATCH = 10
      for (let i = 0; i < SESSIONS; i += BATCH) {
        await Promise.all(
          Array.from({ length: BATCH }, async (_, k) => {
            const transport = new StreamableHTTPClientTransport(url)
            const client = new Client({ name: `c${i + k}`, version: '1.0.0' })
            await client.connect(transport)
            await text(client, 'echo', { text: 'x' })
            // Half end their session (DELETE); half just close, as the SDK's close() does (no DELETE).
            if ((i + k) % 2 === 0)
              await transport.terminateSession().catch((e) => {
                throw new Error(`delete ${i + k}: ${e}`)
              })
            await client.close()
          }),
        )
      }
      await eventually(() => p.stats().sessions === 0 && p.stats().inUse === 0, 10_000)
      // Only the warm spares are left, then nothing once the pool closes.
      await eventually(() => children() === 4, 10_000)
      expect(p.stats().opened).toBeGreaterThanOrEqual(SESSIONS)
      await p.close()
      await eventually(() => children() === 0, 10_000)
    },
    120_000,
  )

  it('ends the downstream session when its leased child is killed (404 next), under the default policy', async () => {
    const { pool: p, url } = await gateway()
    const { client, transport } = await connect(url)
    const pid = Number(await text(client, 'pid'))
    const sessionId = transport.sessionId!
    process.kill(pid, 'SIGKILL')
    await eventually(() => p.stats().sessions === 0, 10_000)
    expect(await post(url, sessionId)).toBe(404)
  })

  it('answers a call in flight on a killed child with an error naming the upstream', async () => {
    const { url } = await gateway()
    const { client } = await connect(url)
    const pid = Number(await text(client, 'pid'))
    const call = client.callTool({ name: 'slow', arguments: { delayMs: 5_000 } })
    await new Promise((r) => setTimeout(r, 100))
    process.kill(pid, 'SIGKILL')
    await expect(call).rejects.toThrow(/-32010.*Upstream \\"faulty\\" exited/)
  })

  it("reopens a killed child for the same session under 'reopen' (its state is gone)", async () => {
    const { pool: p, url } = await gateway({ onConnectionLost: 'reopen', spares: 0 })
    const { client } = await connect(url)
    await text(client, 'stateful_set', { key: 'k', value: 'v' })
    const pid = Number(await text(client, 'pid'))
    process.kill(pid, 'SIGKILL')
    // The lease is gone once the pool saw the child die; the session is not.
    await eventually(() => p.stats().inUse === 0, 10_000)
    expect(p.stats().sessions).toBe(1)
    const next = Number(await text(client, 'pid'))
    expect(next).not.toBe(pid)
    expect(await text(client, 'stateful_get', { key: 'k' })).toBe('')
  })

  it("ends the session of a client that went away without a DELETE after leaseIdleTimeout ms (the SDK's close())", async () => {
    const { pool: p, url } = await gateway({ leaseIdleTimeout: 100, spares: 0 })
    const { client, transport } = await connect(url)
    await text(client, 'echo', { text: 'x' })
    const sessionId = transport.sessionId!
    await client.close()
    await eventually(() => p.stats().connections === 0, 5_000)
    expect(await post(url, sessionId)).toBe(404)
  })

  it('keeps the lease of a silent client that holds its GET stream open past leaseIdleTimeout', async () => {
    const { pool: p, url } = await gateway({ leaseIdleTimeout: 100, spares: 0 })
    const { client } = await connect(url)
    const pid = await text(client, 'pid')
    await new Promise((r) => setTimeout(r, 500))
    expect(p.stats().inUse).toBe(1)
    expect(await text(client, 'pid')).toBe(pid)
  })

  it('refuses a session over max with no spare at once when no wait is allowed', async () => {
    const { url } = await gateway({ max: 1, spares: 0, maxWaiting: 0 })
    await connect(url, 'first')
    await expect(connect(url, 'second')).rejects.toThrow(
      /-32011.*Upstream \\"faulty\\" has no free connection/,
    )
  })
})
