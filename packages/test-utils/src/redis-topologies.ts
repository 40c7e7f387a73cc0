// Redis Sentinel and Redis Cluster for tests (issue 16: the gateway on Sentinel and Cluster
// through the client's own support, run for real): built of the redis-server processes
// startRedis() starts, on free loopback ports, each in a directory of its own that is removed
// at the end. redis-cli (Debian's redis-tools, which redis-server's package depends on) forms
// the cluster and drives a failover.
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { which } from './debian-tool.js'
import { eventually } from './eventually.js'
import { runProcess } from './processes.js'
import { ensureRedisServer, type RedisServer, startRedis } from './redis.js'

/** redis-cli: on PATH, or beside redis-server. */
async function redisCli(): Promise<string> {
  const beside = join(dirname(await ensureRedisServer()), 'redis-cli')
  const found = which('redis-cli') ?? (existsSync(beside) ? beside : undefined)
  if (found) return found
  throw new Error(
    'redis-cli is needed beside redis-server to form a Redis Cluster or drive a Sentinel ' +
      'failover: `sudo apt-get install -y redis-tools`',
  )
}

/** `redis-cli -p <port> <args…>`: its stdout, or an Error with its stderr. */
async function cli(port: number, args: readonly string[], timeoutMs = 15_000): Promise<string> {
  const address = ['-h', '127.0.0.1', '-p', String(port)]
  const result = await runProcess(await redisCli(), [...address, ...args], { timeoutMs })
  if (result.code !== 0) {
    throw new Error(`redis-cli ${args.join(' ')} failed (${result.code}): ${result.stderr}`)
  }
  return result.stdout
}

/** Polls `check` (a redis-cli run, so every 100 ms) until it holds; a failed run is a no. */
function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  return eventually(() => check().catch(() => false), ms, 100).catch(() => {
    throw new Error(`${what} within ${ms} ms`)
  })
}

/** Redis Sentinel: a primary, its replica and one Sentinel watching them. */
export interface RedisSentinel {
  /** The name the Sentinel knows the primary by. */
  readonly name: string
  /** The Sentinel's address (ioredis's `sentinels: [sentinel]`). */
  readonly sentinel: { readonly host: string; readonly port: number }
  /** The port of the server that is the primary now. */
  primaryPort(): Promise<number>
  /** Makes the replica the primary (`SENTINEL FAILOVER`); resolves once the Sentinel names it. */
  failover(): Promise<number>
  /** Stops all three and removes their directory. */
  stop(): Promise<void>
}

/**
 * Starts Redis Sentinel for real: a primary, a replica of it, and a Sentinel
 * (quorum 1) that knows them as `name`; resolves once the replica is in sync
 * and the Sentinel sees it.
 *
 * @example
 * ```ts
 * const sentinel = await startRedisSentinel()
 * const client = new Redis({ sentinels: [sentinel.sentinel], name: sentinel.name })
 * await sentinel.failover() // the client reconnects to the new primary
 * ```
 */
export async function startRedisSentinel(name = 'mcpx'): Promise<RedisSentinel> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpx-redis-sentinel-'))
  const servers: RedisServer[] = []
  try {
    const primary = await startRedis()
    servers.push(primary)
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] })
    servers.push(replica)
    await until(
      'the replica did not sync',
      async () => (await cli(replica.port, ['info', 'replication'])).includes('link_status:up'),
      15_000,
    )
    const file = join(dir, 'sentinel.conf')
    await writeFile(
      file,
      [
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} 1`,
        `sentinel down-after-milliseconds ${name} 2000`,
        `sentinel failover-timeout ${name} 10000`,
        '',
      ].join('\n'),
    )
    const sentinel = await startRedis({
      configFile: file,
      args: ['--sentinel', '--dir', dir],
      ready: /\+monitor master/,
    })
    servers.push(sentinel)
    const primaryPort = async () => {
      const [, port] = (await cli(sentinel.port, ['sentinel', 'get-master-addr-by-name', name]))
        .trim()
        .split('\n')
      return Number(port)
    }
    const sees = async (what: string) =>
      (await cli(sentinel.port, ['sentinel', 'replicas', name])).includes(what)
    await until('the Sentinel did not find the replica', () => sees(String(replica.port)), 20_000)
    return {
      name,
      sentinel: { host: '127.0.0.1', port: sentinel.port },
      primaryPort,
      async failover() {
        const before = await primaryPort()
        await cli(sentinel.port, ['sentinel', 'failover', name])
        let after = before
        await until(
          'the Sentinel did not fail over',
          async () => {
            after = await primaryPort()
            return after !== before
          },
          20_000,
        )
        // The new primary answers as one before this resolves.
        await until(
          'the new primary did not take the role',
          async () => (await cli(after, ['role'])).startsWith('master'),
          10_000,
        )
        return after
      },
      stop: () => stopAll(servers, dir),
    }
  } catch (error) {
    await stopAll(servers, dir)
    throw error
  }
}

/** A Redis Cluster of primaries on loopback. */
export interface RedisCluster {
  /** `redis://127.0.0.1:<port>`, one per node: the seeds a client is given. */
  readonly urls: readonly string[]
  /** Stops every node and removes their directory. */
  stop(): Promise<void>
}

/**
 * Starts a Redis Cluster for real: `nodes` primaries (at least 3, as
 * `redis-cli --cluster create` asks), no replicas, the 16,384 slots split
 * between them; resolves once every node says `cluster_state:ok`.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster()
 * const client = new Cluster(cluster.urls)
 * ```
 */
export async function startRedisCluster(nodes = 3): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpx-redis-cluster-'))
  const servers: RedisServer[] = []
  try {
    for (let i = 0; i < nodes; i++) {
      const args = ['--cluster-enabled', 'yes', '--cluster-node-timeout', '5000', '--dir', dir]
      servers.push(
        await startRedis({ args: [...args, '--cluster-config-file', `nodes-${i}.conf`] }),
      )
    }
    const addresses = servers.map((server) => `127.0.0.1:${server.port}`)
    await cli(servers[0]!.port, ['--cluster', 'create', ...addresses, '--cluster-yes'], 30_000)
    for (const server of servers) {
      await until(
        `node ${server.port} did not join the cluster`,
        async () => (await cli(server.port, ['cluster', 'info'])).includes('cluster_state:ok'),
        20_000,
      )
    }
    return { urls: servers.map((server) => server.url), stop: () => stopAll(servers, dir) }
  } catch (error) {
    await stopAll(servers, dir)
    throw error
  }
}

async function stopAll(servers: readonly RedisServer[], dir: string): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()))
  await rm(dir, { recursive: true, force: true })
}
