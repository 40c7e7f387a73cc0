// @mcpx/breaker: failure handling between the router and forward() (issue 12).

export type { OptionError } from '@mcpx/core'
export { type Breaker, type BreakerOptions, breaker } from './breaker.js'
export { type Bulkhead, type BulkheadOptions, createBulkhead } from './bulkhead.js'
export {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitOpenData,
  CircuitOpenError,
  type CircuitState,
  createCircuitBreaker,
  type Disposable,
  type OpenBackoff,
  type TripStrategy,
} from './circuit-breaker.js'
export {
  type ConcurrencyLimit,
  type ConcurrencyLimitOptions,
  concurrencyLimit,
} from './concurrency-limit.js'
export { type FailoverOptions, failover } from './failover.js'
export { isFailure } from './failure.js'
export type { IdempotentTools } from './repeat.js'
export { type RetryOptions, retry } from './retry.js'
export { retryAfterMs } from './retry-after.js'
export { createRetryBudget, type RetryBudget, type RetryBudgetOptions } from './retry-budget.js'
export { timeout } from './timeout.js'
