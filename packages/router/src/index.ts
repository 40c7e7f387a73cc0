export type {
  Balancer,
  BalanceStrategy,
  HashKey,
  Replica,
} from './balance/balancer.js'
export { type BalancerOptions, createBalancer } from './balance/create-balancer.js'
export { type CursorCodec, type CursorState, createCursorCodec } from './cursor.js'
export {
  createMatcher,
  type Matcher,
  type MatcherEntry,
  type MatcherOptions,
} from './match/matcher.js'
export { compileUriTemplate } from './match/uri-template.js'
export { createNamer, isValidToolName, type Namer, type NamespaceOptions } from './namespace.js'
export type {
  Collision,
  CollisionPolicy,
  Patterns,
  ReplicaOption,
  Route,
  RouterOptions,
  UpstreamEntry,
} from './options.js'
export { type Router, router } from './router.js'
export type { UpstreamStatus } from './status.js'
