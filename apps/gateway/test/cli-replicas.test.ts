// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${REDIS_URL}` in a plain string is what the config file holds
// Issue 16's first acceptance point: two gateway processes (the built CLI) sharing one real
// redis-server through the top-level `redis` section: the session registry, a global rate
// limit and the response cache, with an SDK client whose requests alternate between them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  alternatingFetch,
  eventually,
  faultyBinPath,
  type StartedProcess,
  startProcess,
} from '@mcpx/test-utils'
import { type RedisServer, startRedis } from '@mcpx/test-utils/redis'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const SECRET = 'the-replicas-shared-secret-0123'
/** `echo` calls everyone together may make (tokens come back one per 10,000 s: never, here). */
const BUDGET = 5
const ACCEPT = 'application/json, text/event-stream'

const config = {
  redis: { url: '${REDIS_URL}' },
  // Entries refreshed every 500 ms: a Redis restart is repaired that fast.
  sessions: { registry: { secret: SECRET, ttl: 1500 } },
  rateLimits: {
    limits: [
      {
        name: 'everyone',
        by: 'global',
        tools: ['echo'],
        algorithm: { tokenBucket: { capacity: BUDGET, refillPerSecond: 0.0001 } },
        failure: 'open',
      },
      {
        name: 'metered',
        by: 'global',
        tools: ['client_info'],
        algorithm: { tokenBucket: { capacity: 1000, refillPerSecond: 100 } },
        failure: 'closed',
      },
    ],
    store: { redis: { timeoutMs: 500 } },
  },
  transformers: { cache: { tools: { include: ['pid'] }, vary: [], store: 'redis' } },
  upstreams: {
    faulty: { command: process.execPath, args: [faultyBinPath('stdio')], mode: 'per-session' },
  },
}

let dir: string
let redis: RedisServer
const gateways: StartedProcess[] = []
let A: string
let B: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-replicas-'))
  redis = await startRedis()
  const file = join(dir, 'replicas.json')
  await writeFile(file, JSON.stringify(config))
  const start = (name: string) => {
    const gateway = startProcess(process.execPath, [cli, '--port', '0', '--config', file], {
      name,
      env: { ...process.env, REDIS_URL: redis.url, MCPX_LOG_FORMAT: 'text' },
      tailLines: 300,
    })
    gateways.push(gateway)
    return gateway.ready
  }
  ;[A, B] = await Promise.all([start('gateway A'), start('gateway B')])
}, 60_000)
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()))
  await redis?.stop()
  await rm(dir, { recursive: true, force: true })
})

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text

async function alternatingClient() {
  const client = new Client(
    { name: 'replicas-test', version: '1' },
    { capabilities: { sampling: {} } },
  )
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    model: 'test-model',
    role: 'assistant' as const,
    content: { type: 'text' as const, text: 'sampled on the client' },
  }))
  const { fetch: alternate, sent } = alternatingFetch(A, B)
  await client.connect(new StreamableHTTPClientTransport(new URL(A), { fetch: alternate }))
  return { client, sent }
}

const headersFor = (sessionId: string) => ({
  'content-type': 'application/json',
  accept: ACCEPT,
  'mcp-session-id': sessionId,
  'mcp-protocol-version': '2025-06-18',
})

/** A raw session on `url`: initialize and notifications/initialized. */
async function openSession(url: string): Promise<string> {
  const init = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  }
  const opened = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT },
    body: JSON.stringify(init),
  })
  expect(opened.status).toBe(200)
  await opened.text()
  const sessionId = opened.headers.get('mcp-session-id')!
  const body = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })
  const answer = await fetch(url, { method: 'POST', headers: headersFor(sessionId), body })
  expect(answer.status).toBe(202)
  return sessionId
}

let callId = 100
/** POST one tools/call on `sessionId` to `url`: its HTTP status and body. */
async function call(url: string, sessionId: string, name: string, args: object = {}) {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: ++callId,
    method: 'tools/call',
    params: { name, arguments: args },
  })
  const answer = await fetch(url, {
    method: 'POST',
    headers: headersFor(sessionId),
    body,
    signal: AbortSignal.timeout(10_000),
  })
  return { status: answer.status, body: await answer.text() }
}

/** The text of a tools/call answered 200 (as JSON or as one SSE event). */
function resultText(answer: { status: number; body: string }): string {
  expect(answer.status, answer.body).toBe(200)
  const json = answer.body.trimStart().startsWith('{')
    ? answer.body
    : answer.body
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .find((line) => line.includes('"result"') || line.includes('"error"'))!
  const message = JSON.parse(json) as { result?: unknown; error?: unknown }
  expect(message.error).toBeUndefined()
  return text(message.result)
}

const alive = () => gateways.map((gateway) => gateway.exitReason())

describe('two gateways sharing one Redis', () => {
  it('serves a session opened on A through B: calls, a sampling round trip, one upstream session', async () => {
    const { client, sent } = await alternatingClient()
    try {
      await client.callTool({ name: 'stateful_set', arguments: { key: 'k', value: 'kept' } })
      const got = await client.callTool({ name: 'stateful_get', arguments: { key: 'k' } })
      // One upstream child holds the session's state, whichever gateway received the call.
      expect(text(got)).toBe('kept')
      const sampled = await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } })
      expect(text(sampled)).toBe('sampled on the client')

      const to = (needle: string) => sent.find(({ body }) => body.includes(needle))?.to
      expect(to('"initialize"')).toBe(A)
      expect(new Set([to('stateful_set'), to('stateful_get')])).toEqual(new Set([A, B]))
      // The sampling answer went to the other gateway than the call that asked for it.
      const sample = sent.findIndex(({ body }) => body.includes('"sample"'))
      expect(sent[sample + 1]?.body).toContain('sampled on the client')
      expect(sent[sample + 1]?.to).not.toBe(sent[sample]?.to)
    } finally {
      await client.close()
    }
  })

  it('holds a global rate limit exactly across both: the budget allowed, then refused on either', async () => {
    const { client, sent } = await alternatingClient()
    try {
      for (let i = 0; i < BUDGET; i++) {
        expect(text(await client.callTool({ name: 'echo', arguments: { text: `${i}` } }))).toBe(
          `${i}`,
        )
      }
      const refusals = []
      for (let i = 0; i < 2; i++) {
        const refused = client.callTool({ name: 'echo', arguments: { text: 'over' } })
        await expect(refused).rejects.toThrow(/429|Rate limit everyone exceeded/)
        refusals.push(sent.at(-1)!.to)
      }
      // The two refusals came from the two gateways.
      expect(new Set(refusals)).toEqual(new Set([A, B]))
      const allowed = sent.filter(({ body }) => body.includes('"echo"')).slice(0, BUDGET)
      expect(new Set(allowed.map(({ to }) => to))).toEqual(new Set([A, B]))
    } finally {
      await client.close()
    }
  })

  it('answers through B from a cache entry filled through A', async () => {
    const onA = await openSession(A)
    const onB = await openSession(B)
    const filled = resultText(await call(A, onA, 'pid'))
    // B's session has a child of its own, which never sees the call: the answer is A's child's pid.
    expect(resultText(await call(B, onB, 'pid'))).toBe(filled)
    expect(JSON.parse(resultText(await call(B, onB, 'stats')))).toMatchObject({ received: 0 })
  })

  it('with Redis gone: limits fail open or closed as configured, the cache is bypassed, sessions stay served; all recover when it is back', async () => {
    const known = await openSession(A)
    expect((await call(B, known, 'stateful_get', { key: 'x' })).status).toBe(200) // B learns its owner
    const unseen = await openSession(A)
    const filled = resultText(await call(A, unseen, 'pid'))
    await redis.stop()

    // A misrouted request whose owner B never looked up: 404 (the client would re-initialize).
    await eventually(
      async () => (await call(B, unseen, 'stateful_get', { key: 'x' })).status === 404,
      10_000,
    )
    expect((await call(A, unseen, 'stateful_get', { key: 'x' })).status).toBe(200)
    expect((await call(B, known, 'stateful_get', { key: 'x' })).status).toBe(200)
    // `everyone` is spent, and fails open: echo passes. `metered` fails closed: 503.
    expect(resultText(await call(A, unseen, 'echo', { text: 'unmetered' }))).toBe('unmetered')
    const closed = await call(A, unseen, 'client_info')
    expect(closed.status).toBe(503)
    expect(closed.body).toContain('-32011')
    // The cache is bypassed: a miss, answered by this session's own child.
    expect(resultText(await call(B, await openSession(B), 'pid'))).not.toBe(filled)
    expect(alive()).toEqual([undefined, undefined])

    await redis.start()
    // A session opened now is claimed again, and forwarded.
    await eventually(async () => {
      const fresh = await openSession(A)
      return (await call(B, fresh, 'stateful_get', { key: 'x' })).status === 200
    }, 20_000)
    // Redis came back empty: a whole budget again, then refused, whichever gateway.
    const session = await openSession(A)
    for (let i = 0; i < BUDGET; i++) {
      expect((await call(i % 2 === 0 ? A : B, session, 'echo', { text: 'x' })).status).toBe(200)
    }
    expect((await call(B, session, 'echo', { text: 'x' })).status).toBe(429)
    expect((await call(A, session, 'client_info')).status).toBe(200)
    expect(alive()).toEqual([undefined, undefined])
  }, 45_000)
})
