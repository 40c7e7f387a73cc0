export type {
  Algorithm,
  AlgorithmKind,
  Check,
  Decision,
  RateLimitStore,
  State,
} from './types.js'
