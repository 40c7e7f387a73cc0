// @mcpx/ratelimit/redis: rate-limit state in Redis, shared by gateway
// replicas. Node-only (node:crypto) and the only entry that imports ioredis,
// an optional peer dependency: the root entry never does.
export { type RedisStoreOptions, redisStore } from './redis-store.js'
export { RateLimitStoreUnavailable } from './redis-unavailable.js'
