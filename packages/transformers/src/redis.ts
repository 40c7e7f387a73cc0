// @mcpx/transformers/redis: the Redis stores of the response cache (issue 13)
// and of tool pins (issue 16), shared by gateway replicas. Node-only
// (node:crypto) and the only entry that imports ioredis, an optional peer
// dependency: the root entry never does.
export {
  type RedisCacheStore,
  type RedisCacheStoreOptions,
  redisCacheStore,
} from './redis-cache-store.js'
export { type RedisPinStoreOptions, redisPinStore } from './redis-pin-store.js'
