/**
 * Issue 11's per-request acceptance test: 8 SDK clients on 8 Streamable HTTP
 * sessions share a pool of 2 stdio children whose `sample` tool samples
 * during the call; each sampling request reaches the client whose call
 * caused it and no other (docs/pool-design.md §3.2, §4). In shared mode a
 * stdio connection cannot attribute it, so the call fails.
 */
import { createProxy } from '@mcpx/core'
import { eventually, faultyBinPath } from '@mcpx/test-utils'
import { forward } from '@mcpx/transports'
import { createStreamableHttpHandler, listen } from '@mcpx/transports/node'
import { stdio } from '@mcpx/transports/stdio'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, expect, it } from 'vitest'
import { type Pool, pool } from '../src/index.js'

const CLIENTS = 8
const CALLS_EACH = 5

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
})

async function gateway(mode: 'shared' | 'per-request') {
  const p: Pool = pool(
    'faulty',
    stdio({ command: process.execPath, args: [faultyBinPath('stdio'), '--latency', '5-20'] }),
    { mode, min: 2, max: 2, timeout: 10_000, acquireTimeout: 10_000, log: () => {} },
  )
  const proxy = createProxy({ terminal: forward([p]) })
  cleanup.push(() => proxy.close())
  const server = await listen(createStreamableHttpHandler(proxy), { port: 0 })
  cleanup.push(() => server.close())
  await eventually(() => p.stats().ready === 2, 10_000)
  return { pool: p, url: new URL(`${server.origin}/mcp`) }
}

/** `CLIENTS` SDK clients, each answering sampling with its own name and counting what it was asked. */
async function clients(url: URL) {
  return Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const name = `client-${i}`
      const asked: string[] = []
      const client = new Client({ name, version: '1.0.0' }, { capabilities: { sampling: {} } })
      client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
        const content = request.params.messages[0]?.content
        asked.push(content && 'text' in content ? content.text : '')
        return { role: 'assistant', model: 'test', content: { type: 'text', text: name } }
      })
      await client.connect(new StreamableHTTPClientTransport(url))
      cleanup.push(() => client.close())
      return { name, client, asked }
    }),
  )
}

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content
  return content?.[0]?.text ?? ''
}

it('per-request: 8 clients on 8 sessions over 2 stdio children each get their own sampling requests', async () => {
  const { pool: p, url } = await gateway('per-request')
  const all = await clients(url)
  const results = await Promise.all(
    all.flatMap(({ name, client }) =>
      Array.from({ length: CALLS_EACH }, (_, k) =>
        client
          .callTool({ name: 'sample', arguments: { prompt: `${name}#${k}` } })
          .then((result) => ({ name, result })),
      ),
    ),
  )
  expect(results).toHaveLength(CLIENTS * CALLS_EACH)
  for (const { name, result } of results) {
    expect(result.isError).not.toBe(true)
    expect(textOf(result)).toBe(name)
  }
  for (const { name, asked } of all) {
    // Every sampling request this client answered came from its own calls, and all of them did.
    expect(asked.sort()).toEqual(Array.from({ length: CALLS_EACH }, (_, k) => `${name}#${k}`))
  }
  await eventually(() => p.stats().inUse === 0 && p.stats().inFlight === 0, 2_000)
  expect(p.stats()).toMatchObject({ ready: 2, pending: 0, quarantined: 0 })
})

it('shared: the same calls fail, since sampling cannot be attributed on a shared stdio connection', async () => {
  const { url } = await gateway('shared')
  const all = await clients(url)
  const outcomes = await Promise.all(
    all.map(({ client }) =>
      client.callTool({ name: 'sample', arguments: { prompt: 'p' } }).then(
        (result) => ({ failed: result.isError === true, text: textOf(result) }),
        (error: Error) => ({ failed: true, text: error.message }),
      ),
    ),
  )
  for (const outcome of outcomes) {
    expect(outcome).toEqual({
      failed: true,
      text: expect.stringContaining('-32601: mcpx cannot deliver sampling/createMessage'),
    })
  }
  // No client was asked anything: no sampling request was delivered to the wrong one.
  for (const { asked } of all) expect(asked).toEqual([])
})

it('per-request: a connection whose request was abandoned takes no new owner until its quarantine passed', async () => {
  const p = pool('faulty', stdio({ command: process.execPath, args: [faultyBinPath('stdio')] }), {
    mode: 'per-request',
    min: 1,
    max: 1,
    quarantine: 300,
    acquireTimeout: 5_000,
    log: () => {},
  })
  cleanup.push(() => p.close())
  await eventually(() => p.stats().ready === 1, 10_000)
  const never = { aborted: false, reason: undefined, onAbort: () => () => {} }
  const first = p.lease({ session: undefined, id: 1 }, never)
  // Idle and ready: leased synchronously, exclusively.
  expect(first).not.toBeInstanceOf(Promise)
  const lease = first as Exclude<typeof first, Promise<unknown>>
  const second = p.lease({ session: undefined, id: 2 }, never)
  expect(second).toBeInstanceOf(Promise)
  lease.release('done')
  // 'done' with nothing unanswered: straight to the waiter.
  const next = await second
  expect(next.connection).toBe(lease.connection)
  const released = Date.now()
  next.release('abandoned')
  expect(p.stats()).toMatchObject({ quarantined: 1, inFlight: 0 })
  const third = await p.lease({ session: undefined, id: 3 }, never)
  expect(Date.now() - released).toBeGreaterThanOrEqual(290)
  expect(third.connection).toBe(lease.connection)
  expect(p.stats()).toMatchObject({ quarantined: 0, inFlight: 1 })
  third.release('done')
})
