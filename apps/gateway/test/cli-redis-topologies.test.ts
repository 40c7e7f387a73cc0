// Issue 16, item 2: the shared state on Redis Sentinel and on Redis Cluster, through ioredis's
// own support (the top-level `redis` section's `sentinels` + `name`, or `cluster`), run for
// real: two gateway processes on each, a session served across them, a global limit of each
// algorithm held exactly by both, a cache entry shared, pins agreed, and, on Sentinel, all of
// it still working after a failover. cli-replicas.test.ts does the same on one redis-server,
// and Redis going away.
import { eventually, faultyBinPath } from '@mcpx/test-utils'
import { startRedisCluster, startRedisSentinel } from '@mcpx/test-utils/redis-topologies'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  alternatingClient,
  call,
  expectOneBudget,
  expectSessionAcross,
  openSession,
  type Replicas,
  resultText,
  startReplicas,
} from './fixtures/replicas.js'

/** Calls each limit allows everyone together (none comes back within a test run). */
const BUDGET = 3
/** One global limit per algorithm, each on a tool of its own (and its arguments). */
const LIMITS = [
  {
    tool: 'echo',
    args: { text: 'x' },
    algorithm: { tokenBucket: { capacity: BUDGET, refillPerSecond: 0.0001 } },
  },
  {
    tool: 'client_info',
    args: {},
    algorithm: { slidingWindow: { limit: BUDGET, windowMs: 3_600_000 } },
  },
  {
    tool: 'slow',
    args: { delayMs: 0 },
    algorithm: { fixedWindow: { limit: BUDGET, windowMs: 3_600_000 } },
  },
]

function configOn(redis: object) {
  return {
    redis,
    sessions: { registry: { secret: 'the-replicas-shared-secret-0123', ttl: 1500 } },
    rateLimits: {
      // Closed: a store that fails answers 503 (-32011), never a 429 that a count could not give.
      limits: LIMITS.map(({ tool, algorithm }) => ({
        name: `global-${tool}`,
        by: 'global',
        tools: [tool],
        algorithm,
        failure: 'closed',
      })),
      store: { redis: { timeoutMs: 1000 } },
    },
    transformers: {
      cache: { tools: { include: ['pid'] }, vary: [], store: { redis: { timeoutMs: 1000 } } },
      pinTools: { store: 'redis' },
    },
    upstreams: {
      faulty: { command: process.execPath, args: [faultyBinPath('stdio')], mode: 'per-session' },
    },
  }
}

interface Topology {
  /** The top-level `redis` section that reaches it. */
  redis: object
  /** Makes a replica the primary (Sentinel). */
  failover?: () => Promise<number>
  stop(): Promise<void>
}

const topologies: { name: string; failsOver: boolean; start: () => Promise<Topology> }[] = [
  {
    name: 'Redis Sentinel (a primary, its replica, one Sentinel)',
    failsOver: true,
    async start() {
      const sentinel = await startRedisSentinel()
      const redis = { sentinels: [sentinel.sentinel], name: sentinel.name }
      return { redis, failover: sentinel.failover, stop: sentinel.stop }
    },
  },
  {
    name: 'Redis Cluster (three primaries)',
    failsOver: false,
    async start() {
      const cluster = await startRedisCluster()
      return { redis: { cluster: cluster.urls }, stop: cluster.stop }
    },
  },
]

describe.each(topologies)('two gateways on $name', ({ failsOver, start }) => {
  let topology: Topology
  let replicas: Replicas
  let A: string
  let B: string

  beforeAll(async () => {
    topology = await start()
    replicas = await startReplicas(configOn(topology.redis), ['gateway A', 'gateway B'])
    ;[A, B] = replicas.urls as [string, string]
  }, 90_000)
  afterAll(async () => {
    await replicas?.stop()
    await topology?.stop()
  })

  it('serves a session opened on A through B, a sampling round trip included, on one upstream session', async () => {
    await expectSessionAcross([A, B])
  })

  it.each(LIMITS)(
    'holds the global limit on $tool exactly: sessions on A and on B share one budget',
    async ({ tool, args }) => {
      await expectOneBudget([A, B], { tool, args, budget: BUDGET, policy: `global-${tool}` })
    },
  )

  it('answers through B from a cache entry filled through A, and agrees on pinned tools', async () => {
    const onA = await openSession(A)
    const onB = await openSession(B)
    const filled = resultText(await call(A, onA, 'pid'))
    expect(resultText(await call(B, onB, 'pid'))).toBe(filled)
    // B's own child never saw the call.
    expect(JSON.parse(resultText(await call(B, onB, 'stats')))).toMatchObject({ received: 0 })
    // Both lists passed the pins in Redis (a pin store that failed would refuse them).
    const { client } = await alternatingClient(A, B)
    try {
      const [first, second] = [await client.listTools(), await client.listTools()]
      expect(second.tools.map(({ name }) => name)).toEqual(first.tools.map(({ name }) => name))
      expect(first.tools.map(({ name }) => name)).toContain('echo')
    } finally {
      await client.close()
    }
    expect(replicas.alive()).toEqual([undefined, undefined])
  })

  // Declared where the topology can fail over: no test passes for want of a failover.
  if (!failsOver) return
  it('keeps serving after a Sentinel failover: sessions across replicas, the spent budget refused', async () => {
    await topology.failover!()
    // ioredis asks the Sentinel again once the old primary drops it: sessions claimed then are
    // served across replicas.
    await eventually(async () => {
      const fresh = await openSession(A)
      return (await call(B, fresh, 'stateful_get', { key: 'x' })).status === 200
    }, 20_000)
    // The spent budgets were replicated: the new primary refuses on both replicas (a store
    // that failed would answer 503).
    const onB = await openSession(B)
    const refused = await call(B, onB, 'echo', { text: 'over' })
    expect(refused.status, refused.body).toBe(429)
    expect(replicas.alive()).toEqual([undefined, undefined])
  }, 45_000)
})
