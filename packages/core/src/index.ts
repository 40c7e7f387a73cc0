export {
  type AbortHandle,
  type AbortSource,
  abortSource,
  fromSignal,
  isAbortSignal,
} from './abort.js'
export { type Backoff, backoffDelay } from './backoff.js'
export { mergeCapabilities } from './capabilities.js'
export { type Clock, cachedClock } from './clock.js'
export {
  type Composed,
  type ComposeOptions,
  compose,
  type Handler,
  type Middleware,
  type Next,
} from './compose.js'
export {
  Context,
  type ContextInit,
  type Direction,
  type ForkInit,
  type MessageKind,
  type SessionInfo,
} from './context.js'
export {
  ErrorCode,
  type ErrorCodeValue,
  type ErrorHandler,
  type ErrorObject,
  McpxError,
  type McpxErrorOptions,
  toMcpxError,
} from './errors.js'
export { compileGlob } from './glob.js'
export {
  addHeaders,
  answerHeadersKey,
  type MessageHeaders,
  upstreamHeadersKey,
} from './headers.js'
export {
  createHealthRegistry,
  type HealthChange,
  type HealthStatus,
  type UpstreamHealth,
} from './health.js'
export {
  errorResponse,
  type FailureResponse,
  idOf,
  isNotification,
  isRequest,
  isResponse,
  type Message,
  type Notification,
  parseMessage,
  type Request,
  type RequestId,
  type Response,
  type SuccessResponse,
  validateMessage,
} from './jsonrpc.js'
export {
  type Access,
  type AccessKind,
  accessKey,
  type CacheStatus,
  type ClientSession,
  cacheStatusKey,
  createKey,
  deadlineKey,
  type Key,
  type Principal,
  principalKey,
  sessionKey,
  sourceKey,
  type Target,
  type ToolDefinition,
  targetKey,
  toolKey,
} from './key.js'
export type {
  AnyNotification,
  AnyRequest,
  Method,
  NotificationMethod,
  ParamsOf,
  RequestMethod,
  ResultMap,
  ResultOf,
  UnknownParams,
  UnknownResult,
} from './methods.js'
export { on, onNotification, onRequest } from './on.js'
export {
  MAX_TIMER_MS,
  type OptionChecks,
  type OptionError,
  optionChecks,
} from './option-checks.js'
export {
  createProxy,
  type HandleOptions,
  type McpProxy,
  type ProxyOptions,
  type Terminal,
} from './proxy.js'
export {
  createStatsRegistry,
  type StatKind,
  type StatsRegistry,
  type StatsSource,
} from './stats.js'
