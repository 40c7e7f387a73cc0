/**
 * Issue 11 point 4: an HTTP upstream that answers 404 for its session is
 * re-initialized transparently, and that keeps working under the pool. The
 * upstream (a real SDK Streamable HTTP server) holds at most 2 sessions; two
 * outside clients initializing evict the pool's two, whose next requests get
 * 404 and are replayed on fresh sessions without the pool seeing a failure.
 */
import { createProxy } from '@mcpx/core'
import { startConformanceHttpServer } from '@mcpx/test-utils'
import { forward, streamableHttp } from '@mcpx/transports'
import { afterEach, expect, it } from 'vitest'
import { pool } from '../src/index.js'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
})

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'o', version: '1' },
  },
}

it('re-initializes pooled connections whose upstream sessions expired (404), with no failure, restart or eviction', async () => {
  let initializes = 0
  const upstream = await startConformanceHttpServer({
    port: 0,
    maxSessions: 2,
    resumable: false,
    // Not a fault: a way to count the initialize requests the upstream gets.
    failPost: (body) => {
      if ((body as { method?: string }).method === 'initialize') initializes++
      return false
    },
  })
  cleanup.push(() => upstream.close())
  const p = pool('conf', streamableHttp({ url: upstream.url }), { min: 2, max: 2, log: () => {} })
  const proxy = createProxy({ terminal: forward([p]) })
  cleanup.push(() => proxy.close())
  let id = 0
  const call = () =>
    proxy.handle({
      jsonrpc: '2.0',
      id: ++id,
      method: 'tools/call',
      params: { name: 'test_simple_text', arguments: {} },
    }) as unknown as Promise<Record<string, unknown>>

  await Promise.all([call(), call(), call(), call()])
  expect(p.stats().ready).toBe(2)
  // Two other clients: the upstream keeps only the newest 2 sessions, so the pool's are gone.
  for (let i = 0; i < 2; i++) {
    const res = await fetch(upstream.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(INITIALIZE),
    })
    await res.body?.cancel()
    expect(res.status).toBe(200)
  }
  expect(initializes).toBe(4)
  const answers = await Promise.all(Array.from({ length: 10 }, call))
  for (const answer of answers) expect(answer).toHaveProperty('result')
  // Each pooled connection replayed its initialize once on a fresh upstream session.
  expect(initializes).toBe(6)
  expect(p.stats()).toMatchObject({ ready: 2, restarts: 0, evictions: 0, opened: 2 })
})
