import { expect, it } from 'vitest'
import * as root from '../src/index.js'
import * as redis from '../src/redis.js'

it('exports exactly the public API', () => {
  expect(Object.keys(root).sort()).toMatchInlineSnapshot(`
    [
      "MAX_KEY",
      "fixedWindow",
      "memoryStore",
      "rateLimit",
      "slidingWindow",
      "tokenBucket",
    ]
  `)
})

it('exports exactly the Redis store from @mcpx/ratelimit/redis', () => {
  expect(Object.keys(redis).sort()).toMatchInlineSnapshot(`
    [
      "RateLimitStoreUnavailable",
      "redisStore",
    ]
  `)
})
