import { describe, expect, it } from 'vitest'
import { eventually } from './fixtures.js'
import {
  ACCEPT,
  childPids,
  fixtureStdio,
  type Gateway,
  initialize,
  startGateway,
} from './harness.js'

function handles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length
}

/** Handles once idle keep-alive connections are closed (they belong to connections, not sessions). */
async function idleHandles(gateway: Gateway): Promise<number> {
  gateway.server.server.closeIdleConnections()
  await new Promise((resolve) => setTimeout(resolve, 200))
  return handles()
}

async function session(url: string, call: boolean): Promise<void> {
  const { sessionId: id } = await initialize(url)
  const headers = { 'content-type': 'application/json', accept: ACCEPT, 'mcp-session-id': id }
  if (call) {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'x' } },
      }),
    })
    expect(
      ((await response.json()) as { result: { content: { text: string }[] } }).result.content[0]!
        .text,
    ).toBe('x')
  }
  const deleted = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': id } })
  expect(deleted.status).toBe(200)
}

async function run(url: string, total: number, concurrency: number, call: boolean) {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++
        await session(url, call)
      }
    }),
  )
}

describe('sessions leave nothing behind', () => {
  it('returns to the same handles and children after 1,000 sessions on a shared upstream', async () => {
    const gateway = await startGateway(fixtureStdio(), 'shared')
    await run(gateway.url, 10, 2, true) // warm: the shared child and keep-alive sockets exist
    await eventually(() => gateway.server.handler.sessionCount === 0)
    const children = childPids().length
    const baseline = await idleHandles(gateway)
    await run(gateway.url, 1000, 8, true)
    expect(gateway.server.handler.sessionCount).toBe(0)
    expect(gateway.upstream.connectionCount).toBe(1)
    expect(childPids().length).toBe(children)
    await eventually(async () => (await idleHandles(gateway)) <= baseline, 10_000)
    await gateway.close()
  }, 120_000)

  it('closes each per-session child when its session ends (50 sessions)', async () => {
    const before = childPids().length
    const gateway = await startGateway(fixtureStdio(), 'per-session')
    await run(gateway.url, 50, 4, true)
    expect(gateway.server.handler.sessionCount).toBe(0)
    expect(gateway.upstream.connectionCount).toBe(0)
    await eventually(() => childPids().length === before, 10_000)
    await gateway.close()
  }, 120_000)
})
