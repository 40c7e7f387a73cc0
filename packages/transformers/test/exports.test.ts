import { expect, it } from 'vitest'
import * as root from '../src/index.js'
import * as node from '../src/node.js'
import * as redis from '../src/redis.js'

it('exports exactly the public API', () => {
  expect(Object.keys(root).sort()).toMatchInlineSnapshot(`
    [
      "cache",
      "cacheStatusKey",
      "createRedactor",
      "defaultRedactKeys",
      "defaultRedactPatterns",
      "hashTool",
      "memoryCacheStore",
      "memoryPinStore",
      "metadata",
      "pinTools",
      "redact",
      "redactPatternNames",
      "requestIdKey",
      "rewriteTools",
      "validateArguments",
    ]
  `)
})

it('exports exactly the Redis cache and pin stores from @mcpx/transformers/redis', () => {
  expect(Object.keys(redis).sort()).toMatchInlineSnapshot(`
    [
      "redisCacheStore",
      "redisPinStore",
    ]
  `)
})

it('exports exactly the lock-file helpers from @mcpx/transformers/node', () => {
  expect(Object.keys(node).sort()).toMatchInlineSnapshot(`
    [
      "readPinLock",
      "writePinLock",
    ]
  `)
})
