// Two gateway replicas, each its own process with its own per-session
// upstream, sharing a session registry in a real redis-server: a session
// opened on one is served through the other. The replicas run the built
// package (test/replica.mjs): build it first.
import { alternatingFetch, eventually, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { type RedisServer, startRedis } from '@mcpx/test-utils/redis'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACCEPT, INIT, textOf } from './harness.js'

const SECRET = 'the-replicas-shared-secret-0123'
/** Entries refreshed every 500 ms: a Redis restart is repaired that fast. */
const TTL = 1500

let redis: RedisServer
let inspect: Redis
const replicas: StartedProcess[] = []
let A: string
let B: string

async function startReplica(name: string): Promise<string> {
  const replica = startProcess(
    process.execPath,
    [new URL('./replica.mjs', import.meta.url).pathname],
    {
      name,
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        REPLICA_SECRET: SECRET,
        REPLICA_TTL: String(TTL),
      },
      tailLines: 200,
    },
  )
  replicas.push(replica)
  return replica.ready
}

beforeAll(async () => {
  redis = await startRedis()
  inspect = new Redis(redis.url, { lazyConnect: true, retryStrategy: () => 100 })
  inspect.on('error', () => {})
  ;[A, B] = await Promise.all([startReplica('replica A'), startReplica('replica B')])
}, 60_000)
afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()))
  inspect?.disconnect()
  await redis?.stop()
})

/** An entry naming the replica at `url`: its origin, then its signature. */
const ownedBy = (url: string) => new RegExp(`^${new URL(url).origin} [\\w-]{43}$`)

async function samplingClient(): Promise<Client> {
  const client = new Client(
    { name: 'replicas-test', version: '1' },
    { capabilities: { sampling: {} } },
  )
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    model: 'test-model',
    role: 'assistant' as const,
    content: { type: 'text' as const, text: 'sampled on the client' },
  }))
  return client
}

const headersFor = (sessionId: string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  accept: ACCEPT,
  'mcp-session-id': sessionId,
  'mcp-protocol-version': '2025-06-18',
  ...extra,
})

/** A raw session on `url`: initialize and notifications/initialized, with `extra` headers. */
async function openSession(url: string, extra: Record<string, string> = {}): Promise<string> {
  const opened = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...extra },
    body: INIT,
  })
  expect(opened.status).toBe(200)
  await opened.text()
  const sessionId = opened.headers.get('mcp-session-id')!
  const body = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })
  const answer = await fetch(url, { method: 'POST', headers: headersFor(sessionId, extra), body })
  expect(answer.status).toBe(202)
  return sessionId
}

let callId = 100
/** POST a `pid` tools/call on `sessionId` to `url`: its HTTP status (and the body read). */
async function callPid(url: string, sessionId: string, extra?: Record<string, string>) {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: ++callId,
    method: 'tools/call',
    params: { name: 'pid', arguments: {} },
  })
  const answer = await fetch(url, { method: 'POST', headers: headersFor(sessionId, extra), body })
  return { status: answer.status, text: await answer.text() }
}

describe('two replicas sharing a session registry', () => {
  it('serves a session opened on A through B: calls, a sampling round trip, one upstream session', async () => {
    const client = await samplingClient()
    const { fetch: alternate, sent } = alternatingFetch(A, B)
    const transport = new StreamableHTTPClientTransport(new URL(A), { fetch: alternate })
    await client.connect(transport)
    try {
      const pids = new Set<string>()
      for (let i = 0; i < 4; i++) {
        pids.add(textOf(await client.callTool({ name: 'pid', arguments: {} })))
      }
      // One upstream child served every call, whichever replica received it.
      expect(pids.size).toBe(1)
      await client.callTool({ name: 'stateful_set', arguments: { key: 'k', value: 'kept on A' } })
      const got = await client.callTool({ name: 'stateful_get', arguments: { key: 'k' } })
      expect(textOf(got)).toBe('kept on A')
      const sampled = await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } })
      expect(textOf(sampled)).toBe('sampled on the client')

      const to = (needle: string) => sent.find(({ body }) => body.includes(needle))?.to
      expect(to('"initialize"')).toBe(A)
      expect(new Set([to('stateful_set'), to('stateful_get')])).toEqual(new Set([A, B]))
      // The sampling answer went to the other replica than the call that asked for it.
      const sample = sent.findIndex(({ body }) => body.includes('"sample"'))
      expect(sent[sample + 1]?.body).toContain('sampled on the client')
      expect(sent[sample + 1]?.to).not.toBe(sent[sample]?.to)
    } finally {
      await client.close()
    }
  })

  it('refuses 403 a request whose replica secret is wrong (of another length or one character off), and serves a forwarded one without forwarding it again', async () => {
    const sessionId = await openSession(A)
    expect((await callPid(B, sessionId)).status).toBe(200)
    const forged = await callPid(B, sessionId, { 'mcpx-replica-secret': 'not-the-secret-at-all' })
    expect(forged.status).toBe(403)
    expect(forged.text).toMatch(/bad replica secret/)
    // As long as the secret, one character off.
    const near = await callPid(B, sessionId, { 'mcpx-replica-secret': `${SECRET.slice(0, -1)}4` })
    expect(near.status).toBe(403)
    // Loop guard: a request marked as forwarded is answered where it lands.
    const marked = await callPid(B, sessionId, { 'mcpx-replica-secret': SECRET })
    expect(marked.status).toBe(404)
  })

  it('keeps a session bound to its principal through B: the owner authenticates the forwarded request', async () => {
    const alice = { authorization: 'Bearer alice' }
    const sessionId = await openSession(A, alice)
    expect((await callPid(B, sessionId, alice)).status).toBe(200)
    const mallory = await callPid(B, sessionId, { authorization: 'Bearer mallory' })
    expect(mallory.status).toBe(403)
    expect(mallory.text).toMatch(/another identity/)
    expect((await callPid(B, sessionId)).status).toBe(403)
  })

  it("streams a GET through B, and a client that goes away ends the owner's stream", async () => {
    const sessionId = await openSession(A)
    const get = (url: string, signal: AbortSignal) =>
      fetch(url, { headers: { ...headersFor(sessionId), accept: 'text/event-stream' }, signal })
    const client = new AbortController()
    const viaB = await get(B, client.signal)
    expect(viaB.status).toBe(200)
    expect(viaB.headers.get('content-type')).toMatch(/text\/event-stream/)
    // A holds the stream: a second one is refused.
    const second = await get(A, AbortSignal.timeout(5000))
    expect(second.status).toBe(409)
    await second.text()
    client.abort()
    const own = new AbortController()
    await eventually(async () => {
      const again = await get(A, own.signal)
      if (again.status === 200) return true
      await again.text()
      return false
    })
    own.abort()
  })

  it('ends the session on A with a DELETE sent to B, and drops its registry entry', async () => {
    const sessionId = await openSession(A)
    await inspect.connect().catch(() => {})
    expect(await inspect.get(`mcpx:sessions:${sessionId}`)).toMatch(ownedBy(A))
    const deleted = await fetch(B, { method: 'DELETE', headers: headersFor(sessionId) })
    expect(deleted.status).toBe(200)
    expect((await callPid(A, sessionId)).status).toBe(404)
    await eventually(async () => (await inspect.get(`mcpx:sessions:${sessionId}`)) === null)
    expect((await callPid(B, sessionId)).status).toBe(404)
  })

  it('while Redis is down: sessions work on their owner, B still forwards those it knew, answers 404 for the others, reports once, and recovers', async () => {
    const known = await openSession(A)
    expect((await callPid(B, known)).status).toBe(200) // B has looked up its owner
    const unseen = await openSession(A)
    await redis.stop()
    await eventually(async () => (await callPid(B, unseen)).status === 404, 10_000)
    for (let i = 0; i < 5; i++) expect((await callPid(B, unseen)).status).toBe(404)
    expect((await callPid(A, unseen)).status).toBe(200)
    expect((await callPid(B, known)).status).toBe(200)
    expect(replicas.map((replica) => replica.exitReason())).toEqual([undefined, undefined])
    // One report per outage, not one per request.
    const reports = replicas[1]!.tail().match(/session directory unavailable/g) ?? []
    expect(reports).toHaveLength(1)

    await redis.start()
    // A writes its live sessions again on its next refresh; B reconnects.
    await eventually(async () => (await callPid(B, unseen)).status === 200, 15_000)
    expect((await callPid(A, unseen)).status).toBe(200)
  }, 40_000)

  it('answers 404 and drops the entry when the owner died without releasing its sessions', async () => {
    const sessionId = await openSession(A)
    await inspect.connect().catch(() => {})
    await eventually(async () => (await inspect.get(`mcpx:sessions:${sessionId}`)) !== null)
    // SIGKILL to A's process group (A and its upstream child): nothing is released.
    process.kill(-replicas[0]!.pid, 'SIGKILL')
    await replicas[0]!.exited
    expect(await inspect.get(`mcpx:sessions:${sessionId}`)).toMatch(ownedBy(A))
    const misrouted = await callPid(B, sessionId)
    expect(misrouted.status).toBe(404)
    expect(misrouted.text).toMatch(/Session not found/)
    expect(await inspect.get(`mcpx:sessions:${sessionId}`)).toBeNull()
  })
})
