// The `@mcpx/transports/redis` entry: the session directory in Redis (ioredis, an optional peer dependency).

export type { SessionDirectory } from './downstream/session-directory.js'
export {
  type RedisSessionDirectoryOptions,
  redisSessionDirectory,
} from './redis-session-directory.js'
