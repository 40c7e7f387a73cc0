import { type Cluster, Command, type Redis } from 'ioredis'
import type { SessionDirectory } from './downstream/session-directory.js'

/** Options of {@link redisSessionDirectory}. */
export interface RedisSessionDirectoryOptions {
  /**
   * An ioredis client (`Redis`, a Sentinel-backed `Redis`, or `Cluster`),
   * owned by the caller: the directory never connects or closes it. Give it
   * `enableOfflineQueue: false` (so that nothing waits for a Redis that is
   * gone) and a `socketTimeout` of a second or so.
   */
  client: Redis | Cluster
  /**
   * Prepended to each session id to make its key. Several gateways may
   * share a Redis under different prefixes.
   * @defaultValue `'mcpx:sessions:'`
   */
  prefix?: string
  /**
   * Milliseconds an entry lives without a refresh. Each replica refreshes
   * the entries of its live sessions every `ttl / 3`, so this bounds how long
   * the entries of a replica that died without releasing them linger (a
   * request routed to a dead owner drops the entry at once anyway).
   * @defaultValue 60000
   */
  ttl?: number
  /**
   * Milliseconds one command may take: by then it has answered or
   * rejected (the front end then fails open). A misrouted request waits at
   * most this long for its owner's name.
   * @defaultValue 200
   */
  timeoutMs?: number
}

/** Deletes the key only if it still names this owner: a replica never deletes another's claim. */
const RELEASE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

/**
 * A {@link SessionDirectory} in Redis, shared by gateway replicas: a claim
 * or a refresh is `SET key owner PX ttl`, a lookup `GET`, a release a
 * compare-and-delete script. Each is one command with its own timeout.
 *
 * When Redis is down (the client is not `ready`) every call rejects at
 * once, without queueing: sessions keep working on their replica, a
 * request that reaches another replica gets 404, and the front end reports
 * the outage once. A refresh writes the whole entry again (not `PEXPIRE`),
 * so after a Redis restart that lost everything, every live session is
 * found again within `ttl / 3`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createStreamableHttpHandler } from '@mcpx/transports/node'
 * import { redisSessionDirectory } from '@mcpx/transports/redis'
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, socketTimeout: 1000 })
 * const mcp = createStreamableHttpHandler(proxy, {
 *   path: '/mcp',
 *   registry: {
 *     directory: redisSessionDirectory({ client, ttl: 60_000 }),
 *     self: process.env.REPLICA_ORIGIN!, // e.g. http://10.0.0.7:3000
 *     secret: process.env.REPLICA_SECRET!,
 *   },
 * })
 * ```
 */
export function redisSessionDirectory(options: RedisSessionDirectoryOptions): SessionDirectory {
  const { client } = options
  if (typeof client?.sendCommand !== 'function') {
    throw new TypeError(
      '[@mcpx/transports] redisSessionDirectory() client must be an ioredis client',
    )
  }
  const prefix = options.prefix ?? 'mcpx:sessions:'
  if (typeof prefix !== 'string') {
    throw new TypeError('[@mcpx/transports] redisSessionDirectory() prefix must be a string')
  }
  const ttl = options.ttl ?? 60_000
  if (!Number.isInteger(ttl) || ttl < 100) {
    throw new TypeError('[@mcpx/transports] redisSessionDirectory() ttl must be an integer >= 100')
  }
  const timeoutMs = options.timeoutMs ?? 200
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError('[@mcpx/transports] redisSessionDirectory() timeoutMs must be > 0')
  }
  const send = async (name: string, args: (string | number)[]): Promise<unknown> => {
    if (client.status !== 'ready') {
      // A lazyConnect client connects on its first command; this one is refused.
      if (client.status === 'wait') client.connect().catch(() => {})
      throw new Error(`[@mcpx/transports] Redis is not ready (${client.status})`)
    }
    const command = new Command(name, args, { replyEncoding: 'utf8' })
    command.setTimeout(Math.ceil(timeoutMs))
    return client.sendCommand(command)
  }
  const set = async (id: string, owner: string) => {
    await send('set', [prefix + id, owner, 'PX', ttl])
  }
  return {
    ttl,
    claim: set,
    touch: set,
    release: async (id, owner) => {
      await send('eval', [RELEASE, 1, prefix + id, owner])
    },
    owner: async (id) => {
      const value = await send('get', [prefix + id])
      return typeof value === 'string' ? value : undefined
    },
  }
}
