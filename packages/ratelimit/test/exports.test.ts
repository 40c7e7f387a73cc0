import { expect, it } from 'vitest'
import * as root from '../src/index.js'

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
