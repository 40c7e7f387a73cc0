import { type Middleware, principalKey } from '@mcpx/core'
import {
  memoryStore,
  type RateLimitMiddleware,
  type RateLimitStore,
  rateLimit,
} from '@mcpx/ratelimit'
import { GATEWAY_PRINCIPAL } from './auth.js'
import type { RateLimitStoreConfig, RateLimitsConfig } from './config-types.js'

/** Where diagnostics go (the gateway's `Log`). */
type Log = (line: string) => void

/** How long start-up waits for Redis before serving anyway (each limit's `failure` applies meanwhile). */
const REDIS_READY_MS = 5_000

/**
 * The `rateLimits` section as `rateLimit()`: its limits, its store, and an
 * allow-list that also lets the gateway's own session through (the start-up
 * check), so that it is never refused and spends no client's budget. That
 * session is recognised by its principal object, which no credential maps
 * to, never by a subject a token could also carry.
 */
export async function createRateLimit(
  config: RateLimitsConfig,
  log: Log,
): Promise<RateLimitMiddleware> {
  const limiter = rateLimit({
    limits: config.limits,
    allow: config.allow,
    store: await storeOf(config.store, log),
    onStoreError: (error) => log(`[mcpx ratelimit] store failed: ${(error as Error)?.message}`),
  })
  // The gateway's own session passes by its principal object, never by a subject a token could carry.
  const gateway: Middleware = (ctx, next) =>
    ctx.get(principalKey) === GATEWAY_PRINCIPAL ? next() : limiter(ctx, next)
  return Object.assign(gateway, { stats: limiter.stats, close: limiter.close })
}

async function storeOf(config: RateLimitStoreConfig, log: Log): Promise<RateLimitStore> {
  if (config.kind === 'memory') {
    return memoryStore(config.maxKeys === undefined ? {} : { maxKeys: config.maxKeys })
  }
  // Loaded only when asked for: ioredis and its module graph cost memory every other gateway would carry.
  const [{ Redis }, { redisStore }] = await Promise.all([
    import('ioredis'),
    import('@mcpx/ratelimit/redis'),
  ])
  // As redisStore() asks: fail fast rather than queue, never resend a check that timed out
  // (it would be charged late), and drop a connection that hangs.
  const client = new Redis(config.url, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    socketTimeout: 1_000,
  })
  let down = false
  // One line when Redis goes away and one when it is back, not one per reconnection attempt.
  client.on('error', (error: Error) => {
    if (!down) log(`[mcpx ratelimit] redis: ${error.message}`)
    down = true
  })
  client.on('ready', () => {
    if (down) log('[mcpx ratelimit] redis: connected')
    down = false
  })
  if (!(await ready(client, REDIS_READY_MS))) {
    log(
      `[mcpx ratelimit] redis: not ready after ${REDIS_READY_MS} ms; serving, limits fail open or closed as configured`,
    )
  }
  const store = redisStore({
    client,
    ...(config.prefix !== undefined && { prefix: config.prefix }),
    ...(config.timeoutMs !== undefined && { timeoutMs: config.timeoutMs }),
  })
  return {
    consume: (checks) => store.consume(checks),
    // The store never closes the client it was given: the gateway made it, the gateway closes it.
    async close() {
      await store.close?.()
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect())
      else client.disconnect()
    },
  }
}

/** Whether `client` became ready within `ms`; the listener and timer are gone either way. */
function ready(client: import('ioredis').Redis, ms: number): Promise<boolean> {
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
