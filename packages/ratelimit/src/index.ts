export type { RateLimitedData } from './answers.js'
export { type FixedWindowOptions, fixedWindow } from './fixed-window.js'
export { type KeyFunction, type KeyKind, MAX_KEY } from './keys.js'
export type { ClassesOptions, ClassSource, LimitOptions, LimitOverride } from './limits.js'
export { type MemoryStore, type MemoryStoreOptions, memoryStore } from './memory-store.js'
export {
  type AllowList,
  type RateLimitMiddleware,
  type RateLimitOptions,
  type RateLimitStats,
  rateLimit,
} from './rate-limit.js'
export { type SlidingWindowOptions, slidingWindow } from './sliding-window.js'
export { type TokenBucketOptions, tokenBucket } from './token-bucket.js'
export type {
  Algorithm,
  AlgorithmKind,
  Check,
  Decision,
  RateLimitStore,
  State,
} from './types.js'
