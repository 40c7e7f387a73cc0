// @mcpx/transformers/redis: the response cache's Redis store (issue 13), shared
// by gateway replicas. Node-only (node:crypto) and the only entry that imports
// ioredis, an optional peer dependency: the root entry never does.
export {
  type RedisCacheStore,
  type RedisCacheStoreOptions,
  redisCacheStore,
} from './redis-cache-store.js'
