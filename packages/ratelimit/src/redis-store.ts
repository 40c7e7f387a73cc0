import { createHash } from 'node:crypto'
import { type Cluster, Command, type Redis } from 'ioredis'
import { KIND_CODE, pushArgs, SCRIPT, SCRIPT_SHA } from './redis-script.js'
import { RateLimitStoreUnavailable } from './redis-unavailable.js'
import type { Check, Decision, RateLimitStore } from './types.js'

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * An ioredis client (`Redis`, a Sentinel-backed `Redis`, or `Cluster`),
   * owned by the caller: the store never connects or closes it. Give it
   * `enableOfflineQueue: false` and `autoResendUnfulfilledCommands: false`
   * (so that a check that timed out is never sent again, and charged late,
   * after a reconnect), and a `socketTimeout` of a second or so (so that a
   * Redis that hangs with the connection open drops it, and what was
   * written to it fails instead of waiting).
   */
  client: Redis | Cluster
  /**
   * Prepended to every key. Each key is `prefix + limitId + ':' + kind +
   * ':' + base64url(sha256(key))` (kind 1, 2, 3: token bucket, fixed and
   * sliding window, so a limit whose algorithm changes starts afresh): a
   * client-chosen key never reaches Redis raw.
   * The default's hash tag `{rl}` puts every key of the store in one
   * Cluster slot, so that one script may touch a global limit's key and a
   * client's key together (Cluster requires a script's keys to share a
   * slot); the price is that one Cluster node holds all rate-limit state
   * and serves every check. Several stores (or gateways) may share a Redis
   * under different prefixes; with a prefix without a `{…}` tag, keys
   * hash on their whole name, which only a single-node Redis accepts.
   * @defaultValue `'mcpx:rl:{rl}:'`
   */
  prefix?: string
  /**
   * Milliseconds one `consume()` may take, NOSCRIPT recovery included: by
   * then it has answered or thrown {@link RateLimitStoreUnavailable}. It is
   * the ioredis command timeout of each command the store sends (set per
   * command, not on the client), so the promise settles at the deadline;
   * the command itself is dropped by ioredis when its late reply arrives,
   * or with the connection.
   * @defaultValue 50
   */
  timeoutMs?: number
}

/**
 * A {@link RateLimitStore} in Redis, shared by gateway replicas. One
 * `consume(checks)` is one atomic round trip: EVALSHA of one Lua script that
 * evaluates every check with the algorithms' arithmetic on Redis's clock
 * (`TIME`) and writes (with `PX` the algorithm's `ttlMs`) only when all
 * allow. When Redis lost the script (restart, `SCRIPT FLUSH`, failover), the
 * NOSCRIPT answer is followed by one EVAL, which loads it again.
 *
 * It fails fast: when the client is not connected, `consume()` throws
 * {@link RateLimitStoreUnavailable} at once, without queueing; when Redis
 * is slow, it throws after `timeoutMs`. What to do then is the middleware's
 * policy (`failure` per limit), not the store's.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { rateLimit, slidingWindow } from '@mcpx/ratelimit'
 * import { redisStore } from '@mcpx/ratelimit/redis'
 *
 * const client = new Redis(process.env.REDIS_URL!, {
 *   enableOfflineQueue: false,
 *   autoResendUnfulfilledCommands: false,
 *   socketTimeout: 1000,
 * })
 * const limits = rateLimit({
 *   store: redisStore({ client, timeoutMs: 50 }),
 *   limits: [{ name: 'all', by: 'global', algorithm: slidingWindow({ limit: 1000, windowMs: 60_000 }) }],
 * })
 * ```
 */
export function redisStore(options: RedisStoreOptions): RateLimitStore {
  const settings = settingsOf(options)
  return { consume: (checks) => consume(settings, checks) }
}

interface Settings {
  readonly client: Redis | Cluster
  readonly prefix: string
  readonly timeoutMs: number
}

function settingsOf(options: RedisStoreOptions): Settings {
  const { client } = options
  if (typeof client?.sendCommand !== 'function') {
    throw new TypeError('[@mcpx/ratelimit] redisStore() client must be an ioredis Redis or Cluster')
  }
  const prefix = options.prefix ?? 'mcpx:rl:{rl}:'
  if (typeof prefix !== 'string') {
    throw new TypeError('[@mcpx/ratelimit] redisStore() prefix must be a string')
  }
  const timeoutMs = options.timeoutMs ?? 50
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError('[@mcpx/ratelimit] redisStore() timeoutMs must be > 0')
  }
  return { client, prefix, timeoutMs }
}

async function consume(settings: Settings, checks: readonly Check[]): Promise<readonly Decision[]> {
  const { client, prefix, timeoutMs } = settings
  const count = checks.length
  if (count === 0) return []
  if (client.status !== 'ready') {
    // A lazyConnect client connects on its first command; this one is refused.
    if (client.status === 'wait') client.connect().catch(() => {})
    throw new RateLimitStoreUnavailable(`[@mcpx/ratelimit] Redis is not ready (${client.status})`)
  }
  const deadline = performance.now() + timeoutMs
  const tail: (string | number)[] = [count]
  for (const check of checks) tail.push(redisKey(prefix, check))
  for (const check of checks) pushArgs(tail, check)
  let reply: unknown
  try {
    reply = await send(client, 'evalsha', [SCRIPT_SHA, ...tail], timeoutMs)
  } catch (error) {
    const left = deadline - performance.now()
    if (!isNoScript(error) || left <= 0) throw unavailable(error)
    try {
      reply = await send(client, 'eval', [SCRIPT, ...tail], left)
    } catch (again) {
      throw unavailable(again)
    }
  }
  return decisionsOf(reply, checks)
}

// The algorithm's kind is part of the key: a limit whose algorithm changed (a deploy) starts
// afresh instead of reading another algorithm's state.
function redisKey(prefix: string, check: Check): string {
  return `${prefix}${check.limitId}:${KIND_CODE[check.algorithm.kind]}:${createHash('sha256').update(check.key).digest('base64url')}`
}

/** Sends one command that settles within `ms`, whatever Redis does. */
function send(
  client: Redis | Cluster,
  name: string,
  args: (string | number)[],
  ms: number,
): Promise<unknown> {
  const command = new Command(name, args, { replyEncoding: 'utf8' })
  command.setTimeout(Math.max(1, Math.ceil(ms)))
  return client.sendCommand(command) as Promise<unknown>
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

function unavailable(cause: unknown): RateLimitStoreUnavailable {
  const why = cause instanceof Error ? cause.message : 'unknown error'
  return new RateLimitStoreUnavailable(`[@mcpx/ratelimit] Redis failed: ${why}`, { cause })
}

const finite = (value: number) => (value === -1 ? Number.POSITIVE_INFINITY : value)

/** The script's 4 integers per check, as decisions. */
function decisionsOf(reply: unknown, checks: readonly Check[]): Decision[] {
  const words = reply as number[]
  if (!Array.isArray(words) || words.length !== checks.length * 4) {
    throw new RateLimitStoreUnavailable('[@mcpx/ratelimit] Redis answered the script unexpectedly')
  }
  const decisions: Decision[] = []
  for (let i = 0; i < checks.length; i++) {
    const at = i * 4
    decisions.push({
      allowed: words[at] === 1,
      limit: checks[i]!.algorithm.limit,
      remaining: words[at + 1]!,
      retryAfterMs: finite(words[at + 2]!),
      resetMs: finite(words[at + 3]!),
    })
  }
  return decisions
}
