/**
 * Sessions leave nothing behind. Handle counts cannot see the likeliest
 * leak (a session kept in a shared connection's tables holds no handle), so
 * these tests count what can leak directly, through `Upstream.stats`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { UpstreamStats } from '../src/upstream/upstream.js'
import { eventually } from './fixtures.js'
import { ACCEPT, childPids, fixtureStdio, initialize, startGateway } from './harness.js'

/** What an upstream holds with no session alive, given its open connections. */
const idle = (connections: number): UpstreamStats => ({
  connections,
  sessions: 0,
  leases: 0,
  handshakes: 0,
  subscribedUris: 0,
  subscribedSessions: 0,
  subscriptions: 0,
  pendingListChanged: 0,
  pendingRequests: 0,
  serverRequests: 0,
  tasks: 0,
})

/**
 * One session over raw HTTP: initialize, a tool call, and for some sessions
 * a resource subscription and a list change for everyone; then DELETE.
 */
async function session(url: string, n: number): Promise<void> {
  const { sessionId: id } = await initialize(url)
  const headers = { 'content-type': 'application/json', accept: ACCEPT, 'mcp-session-id': id }
  const post = async (id: number, method: string, params: Record<string, unknown>) => {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    })
    const body = await response.text()
    expect(body).toContain('"result"')
  }
  await post(2, 'tools/call', { name: 'echo', arguments: { text: 'x' } })
  if (n % 3 === 0) await post(3, 'resources/subscribe', { uri: `fixture://r${n % 7}` })
  if (n % 10 === 0) await post(4, 'tools/call', { name: 'notify_tools_changed', arguments: {} })
  const deleted = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': id } })
  expect(deleted.status).toBe(200)
}

/** `total` sessions, `concurrency` at a time. */
async function run(url: string, total: number, concurrency: number): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await session(url, next++)
    }),
  )
}

describe('sessions leave nothing behind', () => {
  // Each test counts children from zero: the last test's are gone first.
  afterEach(async () => {
    await eventually(() => childPids().length === 0, 10_000)
  })

  it('returns every count of a shared upstream to idle after 1,000 sessions', async () => {
    const gateway = await startGateway(fixtureStdio(), 'shared')
    await run(gateway.url, 1000, 8)
    await eventually(() => gateway.upstream.stats.sessions === 0, 10_000)
    await eventually(() => gateway.upstream.stats.pendingRequests === 0, 10_000)
    expect(gateway.upstream.stats).toEqual(idle(1))
    await gateway.close()
  }, 120_000)

  it('keeps one shared child however many sessions came and went', async () => {
    const gateway = await startGateway(fixtureStdio(), 'shared')
    await run(gateway.url, 100, 4)
    expect(childPids().length).toBe(1)
    await gateway.close()
  }, 60_000)

  it('returns every count of a per-session upstream to idle after 50 sessions', async () => {
    const gateway = await startGateway(fixtureStdio(), 'per-session')
    await run(gateway.url, 50, 4)
    await eventually(() => gateway.upstream.stats.sessions === 0, 10_000)
    expect(gateway.upstream.stats).toEqual(idle(0))
    await gateway.close()
  }, 120_000)

  it('closes each per-session child when its session ends (50 sessions)', async () => {
    const gateway = await startGateway(fixtureStdio(), 'per-session')
    await run(gateway.url, 50, 4)
    await eventually(() => childPids().length === 0, 10_000)
    await gateway.close()
  }, 120_000)
})
