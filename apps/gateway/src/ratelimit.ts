import { type Middleware, principalKey } from '@mcpx/core'
import {
  memoryStore,
  type RateLimitMiddleware,
  type RateLimitStore,
  rateLimit,
} from '@mcpx/ratelimit'
import { GATEWAY_PRINCIPAL } from './auth.js'
import type { RateLimitStoreConfig, RateLimitsConfig } from './config-types.js'
import { connectRedis } from './redis.js'

/** Where diagnostics go (the gateway's `Log`). */
type Log = (line: string) => void

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
  const [redis, { redisStore }] = await Promise.all([
    connectRedis(config.redis, log, 'rate limits fail open or closed as configured'),
    import('@mcpx/ratelimit/redis'),
  ])
  const store = redisStore({
    client: redis.client,
    ...(config.prefix !== undefined && { prefix: config.prefix }),
    ...(config.timeoutMs !== undefined && { timeoutMs: config.timeoutMs }),
  })
  return {
    consume: (checks) => store.consume(checks),
    // The store never closes the client it was given: the gateway's lease on it goes back.
    async close() {
      await store.close?.()
      await redis.close()
    },
  }
}
