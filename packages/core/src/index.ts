export {
  type AbortHandle,
  type AbortSource,
  abortSource,
  fromSignal,
  isAbortSignal,
} from './abort.js'
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
export { createKey, type Key, type Principal, principalKey, type Target, targetKey } from './key.js'
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
  createProxy,
  type HandleOptions,
  type McpProxy,
  type ProxyOptions,
  type Terminal,
} from './proxy.js'
