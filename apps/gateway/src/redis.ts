import type { Cluster, Redis } from 'ioredis'
import type { RedisConfig } from './config-types.js'

/** Where diagnostics go: the gateway's `Log`; lines here start `[mcpx redis] `. */
type Log = (line: string) => void

/** How long start-up waits for Redis before serving anyway. */
const REDIS_READY_MS = 5_000

/** A lease on one of the process's Redis clients. */
export interface RedisConnection {
  readonly client: Redis | Cluster
  /**
   * Give the lease back. The last one for a client quits it (or, when not
   * connected, disconnects it): no reconnection timer outlives it.
   */
  close(): Promise<void>
}

/** One client, and how many leases hold it (counted at once, before the client is made). */
interface Shared {
  made: Promise<{ client: Redis | Cluster; ready: Promise<boolean> }>
  leases: number
}

/** The process's clients, one per distinct Redis (the `redis` config as written). */
const clients = new Map<string, Shared>()

/**
 * A lease on the client for `redis`, made on the first lease and shared by
 * every later one (the stores of one config, and of the next after a
 * reload, the session registry), so that one Redis costs one connection.
 * The client is made as the mcpx Redis stores ask: fail fast rather than
 * queue, never resend a command that timed out (a rate-limit check would be
 * charged late, a cache read answered late), and drop a connection that
 * hangs. Its first lease waits up to 5 s for it to be ready, and so does
 * each made meanwhile (then it goes on anyway, `meanwhile` saying what
 * that means, in the log line). One line when Redis goes away and one when
 * it is back, not one per reconnection attempt. ioredis is loaded only
 * here: its module graph costs memory every other gateway would carry.
 */
export async function connectRedis(
  redis: RedisConfig,
  log: Log,
  meanwhile: string,
): Promise<RedisConnection> {
  const id = JSON.stringify(redis)
  let shared = clients.get(id)
  if (shared === undefined) {
    shared = { made: create(redis, log), leases: 0 }
    clients.set(id, shared)
  }
  shared.leases++
  const entry = shared
  const { client, ready } = await entry.made
  if (!(await ready)) {
    log(
      `[mcpx redis] ${labelOf(redis)}: not ready after ${REDIS_READY_MS} ms; serving, ${meanwhile}`,
    )
  }
  let closed = false
  return {
    client,
    async close() {
      if (closed) return
      closed = true
      if (--entry.leases > 0) return
      clients.delete(id)
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect())
      else client.disconnect()
    },
  }
}

async function create(redis: RedisConfig, log: Log): Promise<Awaited<Shared['made']>> {
  const { Cluster, Redis } = await import('ioredis')
  const failFast = {
    autoResendUnfulfilledCommands: false,
    socketTimeout: 1_000,
  }
  let client: Redis | Cluster
  if ('url' in redis) client = new Redis(redis.url, { ...failFast, enableOfflineQueue: false })
  else if ('sentinels' in redis) {
    client = new Redis({
      ...failFast,
      enableOfflineQueue: false,
      sentinels: redis.sentinels,
      name: redis.name,
      ...(redis.password !== undefined && { password: redis.password }),
      ...(redis.sentinelPassword !== undefined && { sentinelPassword: redis.sentinelPassword }),
    })
  } else {
    // The seeds' URLs carry host, port and credentials; the nodes the cluster names later are
    // reached with `redisOptions` alone, so the password and TLS go there too.
    const first = new URL(redis.cluster[0]!)
    const password = redis.password ?? (first.password ? decodeURIComponent(first.password) : '')
    client = new Cluster(redis.cluster, {
      enableOfflineQueue: false,
      redisOptions: {
        ...failFast,
        ...(password !== '' && { password }),
        ...(first.username && { username: decodeURIComponent(first.username) }),
        ...(first.protocol === 'rediss:' && { tls: {} }),
      },
    })
  }
  const label = labelOf(redis)
  let down = false
  client.on('error', (error: Error) => {
    if (!down) log(`[mcpx redis] ${label}: ${error.message}`)
    down = true
  })
  client.on('ready', () => {
    if (down) log(`[mcpx redis] ${label}: connected`)
    down = false
  })
  return { client, ready: ready(client, REDIS_READY_MS) }
}

/** Which Redis, for the log: hosts and ports, never a password. */
function labelOf(redis: RedisConfig): string {
  const hostOf = (url: string) => {
    const { host } = new URL(url)
    return host || url.split('@').pop()!
  }
  if ('url' in redis) return hostOf(redis.url)
  if ('sentinels' in redis) return `sentinel ${redis.name}`
  return `cluster ${redis.cluster.map(hostOf).join(',')}`
}

/** Whether `client` became ready within `ms`; the listener and timer are gone either way. */
function ready(client: Redis | Cluster, ms: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer)
      client.off('ready', onReady)
      resolve(ok)
    }
    const onReady = () => done(true)
    const timer = setTimeout(() => done(false), ms)
    timer.unref()
    client.on('ready', onReady)
  })
}
