import type { Context } from '@mcpx/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createStreamableHttpHandler, type Listening, listen } from '../src/node.js'
import { echoProxy, eventually } from './fixtures.js'
import {
  ACCEPT,
  childPids,
  connectClient,
  fixtureStdio,
  initialize,
  startGateway,
} from './harness.js'

/** A call that answers after `ms` milliseconds, or as soon as its signal aborts; `begun` lists the calls started. */
function sleepyProxy(aborted: string[], begun: string[] = []) {
  return echoProxy(async (ctx: Context) => {
    if (ctx.method !== 'tools/call') return
    const ms = (ctx.params as { arguments: { ms: number } }).arguments.ms
    begun.push(String(ms))
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer)
        aborted.push(String(ms))
        resolve()
      })
    })
    ctx.result = { content: [{ type: 'text', text: `slept ${ms}` }] }
  })
}

async function call(url: string, sessionId: string, id: number, ms: number): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-session-id': sessionId },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'sleep', arguments: { ms } },
    }),
  })
  return `${response.status} ${await response.text()}`
}

describe('listen().shutdown()', () => {
  let listening: Listening | undefined
  afterEach(async () => {
    await listening?.close().catch(() => {})
    listening = undefined
  })

  it('lets a call that ends before the deadline answer, and ends the rest with the reason', async () => {
    const aborted: string[] = []
    const begun: string[] = []
    const handler = createStreamableHttpHandler(sleepyProxy(aborted, begun), { path: '/mcp' })
    listening = await listen(handler, { port: 0 })
    const url = `${listening.origin}/mcp`
    const { sessionId } = await initialize(url)
    const fast = call(url, sessionId, 2, 50)
    const slow = call(url, sessionId, 3, 10_000)
    // Both calls are in flight at the proxy: a fixed sleep loses that race on a busy machine.
    await eventually(() => begun.length === 2)
    const started = performance.now()
    const result = await listening.shutdown({ timeout: 300, reason: 'gateway shutting down' })
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(result.aborted).toBe(1)
    expect(await fast).toContain('slept 50')
    const ended = await slow
    expect(ended).toContain('gateway shutting down')
    expect(ended).not.toContain('slept')
    // The slow call's own signal aborted: that is what sends the upstream its notifications/cancelled.
    expect(aborted).toEqual(['10000'])
  })

  it('answers a request that arrives while draining 503 with the reason', async () => {
    const begun: string[] = []
    const handler = createStreamableHttpHandler(sleepyProxy([], begun), { path: '/mcp' })
    listening = await listen(handler, { port: 0 })
    const url = `${listening.origin}/mcp`
    const { sessionId } = await initialize(url)
    // A keep-alive connection with a call in flight still carries the next request to the server.
    const pending = call(url, sessionId, 2, 500)
    await eventually(() => begun.length === 1)
    const done = listening.shutdown({ timeout: 2_000, reason: 'bye' })
    const late = await call(url, sessionId, 3, 1).catch(() => 'refused')
    // Either the connection was refused (no longer listening) or the request got a 503 naming the reason.
    expect(late === 'refused' || (late.startsWith('503') && late.includes('bye'))).toBe(true)
    expect(await pending).toContain('slept 500')
    expect((await done).aborted).toBe(0)
  })

  it('has upstream().close() wait for the per-session children of sessions the front end just ended', async () => {
    const gateway = await startGateway(fixtureStdio(), 'per-session')
    const clients = await Promise.all([connectClient(gateway.url), connectClient(gateway.url)])
    await Promise.all(clients.map((client) => client.listTools()))
    expect(childPids().length).toBeGreaterThanOrEqual(2)
    // The front end ends the sessions first; their children are still closing when close() is called.
    await gateway.server.handler.close('bye')
    await gateway.upstream.close()
    expect(childPids()).toEqual([])
    await gateway.close()
    await Promise.all(clients.map((client) => client.close().catch(() => {})))
  }, 30_000)
})
