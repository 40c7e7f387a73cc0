// The outcome label of a message: what its client was answered, from core's
// error code table (packages/core/src/errors.ts) and the result itself.
import { ErrorCode, McpxError } from '@mcpx/core'

/** What a message's client was answered: the `outcome` label of `mcpx_requests_total`. */
export type Outcome =
  | 'ok'
  | 'cache_hit'
  | 'tool_error'
  | 'rate_limited'
  | 'unauthorized'
  | 'forbidden'
  | 'invalid_request'
  | 'invalid_params'
  | 'not_found'
  | 'unavailable'
  | 'overloaded'
  | 'timeout'
  | 'cancelled'
  | 'internal'
  | 'error'

/** Every outcome, in the order of their slots. */
export const outcomes: readonly Outcome[] = Object.freeze([
  'ok',
  'cache_hit',
  'tool_error',
  'rate_limited',
  'unauthorized',
  'forbidden',
  'invalid_request',
  'invalid_params',
  'not_found',
  'unavailable',
  'overloaded',
  'timeout',
  'cancelled',
  'internal',
  'error',
])

export const OK = 0
export const CACHE_HIT = 1
export const TOOL_ERROR = 2
export const RATE_LIMITED = 3
const UNAUTHORIZED = 4
const FORBIDDEN = 5
const INVALID_REQUEST = 6
const INVALID_PARAMS = 7
export const NOT_FOUND = 8
const UNAVAILABLE = 9
const OVERLOADED = 10
const TIMEOUT = 11
const CANCELLED = 12
export const INTERNAL = 13
const ERROR = 14

/** The slot of an error answer's code. */
export function outcomeOfCode(code: number): number {
  switch (code) {
    case ErrorCode.RateLimited:
      return RATE_LIMITED
    case ErrorCode.Unauthorized:
      return UNAUTHORIZED
    case ErrorCode.Forbidden:
      return FORBIDDEN
    case ErrorCode.ParseError:
    case ErrorCode.InvalidRequest:
      return INVALID_REQUEST
    case ErrorCode.InvalidParams:
      return INVALID_PARAMS
    case ErrorCode.MethodNotFound:
    case ErrorCode.ResourceNotFound:
      return NOT_FOUND
    case ErrorCode.UpstreamUnavailable:
    case ErrorCode.ConnectionClosed:
      return UNAVAILABLE
    case ErrorCode.Overloaded:
      return OVERLOADED
    case ErrorCode.RequestTimeout:
      return TIMEOUT
    case ErrorCode.RequestCancelled:
      return CANCELLED
    case ErrorCode.InternalError:
      return INTERNAL
    default:
      return ERROR
  }
}

/** The slot of something thrown through the stack: its code if it is an McpxError, else -32603 (what the client gets). */
export function outcomeOfThrown(thrown: unknown): number {
  return McpxError.is(thrown) ? outcomeOfCode(thrown.code) : INTERNAL
}

/** Successes: the client got a result that is not a tool's own error. */
export function isSuccess(slot: number): boolean {
  return slot === OK || slot === CACHE_HIT
}

/**
 * Whether a message with this outcome may give a tool name the router's
 * catalog does not know (core's `toolKey` unset) a label value of its own:
 * only a success. Any failure may be an upstream's answer to a name it
 * does not have (the SDK's `McpServer` answers an unknown tool with an
 * `isError` result, others with -32602 or -32603), so a client sending
 * made-up names never takes a slot from a real tool. A tool the catalog
 * knows is admitted whatever its outcome.
 */
export const admits: readonly boolean[] = Object.freeze(
  outcomes.map((o) => o === 'ok' || o === 'cache_hit'),
)
