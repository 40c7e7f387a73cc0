import { ErrorCode, type ErrorObject, McpxError } from './errors.js'

/** A JSON-RPC request id. */
export type RequestId = string | number

/** A JSON-RPC 2.0 request. */
export interface Request {
  jsonrpc: '2.0'
  id: RequestId
  method: string
  params?: Record<string, unknown>
}

/** A JSON-RPC 2.0 notification. */
export interface Notification {
  jsonrpc: '2.0'
  method: string
  params?: Record<string, unknown>
}

/** A JSON-RPC 2.0 success response. */
export interface SuccessResponse {
  jsonrpc: '2.0'
  id: RequestId
  result: Record<string, unknown>
}

/** A JSON-RPC 2.0 error response; `id` is null when the request's id could not be read. */
export interface FailureResponse {
  jsonrpc: '2.0'
  id: RequestId | null
  error: ErrorObject
}

/** Any JSON-RPC 2.0 response. */
export type Response = SuccessResponse | FailureResponse

/** The JSON-RPC error response for `error` answering request `id`. */
export function errorResponse(id: RequestId | null, error: McpxError): FailureResponse {
  return { jsonrpc: '2.0', id, error: error.toJSON() }
}

/** Any single JSON-RPC 2.0 message. */
export type Message = Request | Notification | Response

/** True for a request (it has a `method` and an `id`). */
export function isRequest(message: Message): message is Request {
  return 'method' in message && 'id' in message
}

/** True for a notification (a `method` and no `id`). */
export function isNotification(message: Message): message is Notification {
  return 'method' in message && !('id' in message)
}

/** True for a response (an `id` and a `result` or an `error`). */
export function isResponse(message: Message): message is Response {
  return !('method' in message)
}

function isId(value: unknown): value is RequestId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalid(reason: string): McpxError {
  return new McpxError(ErrorCode.InvalidRequest, `Invalid Request: ${reason}`)
}

/**
 * Check that a parsed value is one JSON-RPC 2.0 message as MCP uses it
 * (params, when present, are an object; ids are strings or integers). Returns
 * the message, or an {@link McpxError} with code -32600 that says what is wrong.
 * It looks only at the envelope: the cost is a handful of property reads.
 */
export function validateMessage(value: unknown): Message | McpxError {
  if (!isObject(value)) return invalid('expected a JSON-RPC 2.0 object')
  if (value.jsonrpc !== '2.0') return invalid('"jsonrpc" must be "2.0"')
  const { method, id } = value
  if (method !== undefined) {
    if (typeof method !== 'string' || method === '')
      return invalid('"method" must be a non-empty string')
    if (id !== undefined && !isId(id)) return invalid('"id" must be a string or an integer')
    if (value.params !== undefined && !isObject(value.params))
      return invalid('"params" must be an object')
    return value as unknown as Request | Notification
  }
  if (!isId(id)) return invalid('a response needs a string or integer "id"')
  const hasResult = 'result' in value
  if (hasResult === 'error' in value)
    return invalid('a response has exactly one of "result" and "error"')
  if (hasResult ? !isObject(value.result) : !isErrorObject(value.error)) {
    return invalid(
      hasResult ? '"result" must be an object' : '"error" must have an integer code and a message',
    )
  }
  return value as unknown as Response
}

function isErrorObject(value: unknown): value is ErrorObject {
  return isObject(value) && Number.isInteger(value.code) && typeof value.message === 'string'
}

/**
 * Parse one JSON-RPC message from text (an HTTP body, a WebSocket frame):
 * the message, or an {@link McpxError} with -32700 when the text is not
 * JSON and -32600 when it is not one JSON-RPC 2.0 message.
 */
export function parseMessage(text: string): Message | McpxError {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return new McpxError(ErrorCode.ParseError, 'Parse error: not valid JSON')
  }
  return validateMessage(value)
}

/**
 * Read the id of a value that failed validation, so that the error response
 * can still name it (JSON-RPC 2.0 §5: null when it cannot be determined).
 */
export function idOf(value: unknown): RequestId | null {
  return isObject(value) && isId(value.id) ? value.id : null
}
