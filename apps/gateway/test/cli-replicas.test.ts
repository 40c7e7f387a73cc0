// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${REDIS_URL}` in a plain string is what the config file holds
// Issue 16's first acceptance point: two gateway processes (the built CLI) sharing one real
// redis-server through the top-level `redis` section: the session registry, a global rate
// limit and the response cache, with an SDK client whose requests alternate between them.
import { eventually, faultyBinPath } from '@mcpx/test-utils'
import { type RedisServer, startRedis } from '@mcpx/test-utils/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  call,
  expectOneBudget,
  expectSessionAcross,
  openSession,
  type Replicas,
  resultText,
  startReplicas,
} from './fixtures/replicas.js'

const SECRET = 'the-replicas-shared-secret-0123'
/** `echo` calls everyone together may make (tokens come back one per 10,000 s: never, here). */
const BUDGET = 5

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

let redis: RedisServer
let replicas: Replicas
let A: string
let B: string

beforeAll(async () => {
  redis = await startRedis()
  replicas = await startReplicas(config, ['gateway A', 'gateway B'], { REDIS_URL: redis.url })
  ;[A, B] = replicas.urls as [string, string]
}, 60_000)
afterAll(async () => {
  await replicas?.stop()
  await redis?.stop()
})

describe('two gateways sharing one Redis', () => {
  it('serves a session opened on A through B: calls, a sampling round trip, one upstream session', async () => {
    await expectSessionAcross([A, B])
  })

  it('holds a global rate limit exactly across both: sessions on A and on B share one budget', async () => {
    const echo = { tool: 'echo', args: { text: 'x' }, budget: BUDGET, policy: 'everyone' }
    await expectOneBudget([A, B], echo)
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
    expect(replicas.alive()).toEqual([undefined, undefined])

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
    expect(replicas.alive()).toEqual([undefined, undefined])
  }, 45_000)
})
