import { expect, it } from 'vitest'
import * as root from '../src/index.js'

it('exports exactly the public API', () => {
  expect(Object.keys(root).sort()).toMatchInlineSnapshot(`
    [
      "CircuitOpenError",
      "breaker",
      "concurrencyLimit",
      "createBulkhead",
      "createCircuitBreaker",
      "createRetryBudget",
      "failover",
      "isFailure",
      "retry",
      "retryAfterMs",
      "timeout",
    ]
  `)
})
