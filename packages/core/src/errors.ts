/**
 * JSON-RPC 2.0 and MCP error codes, plus the codes mcpx uses for gateway
 * failures. Codes from -32000 to -32099 are "server error" codes reserved by
 * JSON-RPC for implementation-defined errors.
 */
export const ErrorCode = {
  /** The body was not valid JSON (JSON-RPC 2.0 §5.1). */
  ParseError: -32700,
  /** The JSON is not a valid JSON-RPC 2.0 request or notification. */
  InvalidRequest: -32600,
  /** The method does not exist or is not routed. */
  MethodNotFound: -32601,
  /** Invalid method parameters, including an unknown tool name. */
  InvalidParams: -32602,
  /** Internal error: the details stay in the gateway's logs. */
  InternalError: -32603,
  /** The connection closed while the request was pending (MCP SDK). */
  ConnectionClosed: -32000,
  /** The request timed out; the upstream request was cancelled (MCP SDK). */
  RequestTimeout: -32001,
  /** `resources/read` of an unknown URI (MCP spec, Resources §Error Handling). */
  ResourceNotFound: -32002,
  /** The upstream server cannot be reached or has failed. */
  UpstreamUnavailable: -32010,
  /** The gateway itself is at one of its own limits (sessions, queued messages); retry later. */
  Overloaded: -32011,
  /** The caller is rate limited; `data.retryAfter` holds seconds. */
  RateLimited: -32029,
  /** Missing or invalid credentials. */
  Unauthorized: -32030,
  /** Valid credentials without the needed permission. */
  Forbidden: -32031,
  /** The request was cancelled (LSP's `RequestCancelled`). */
  RequestCancelled: -32800,
  /** URL-mode elicitation is required (MCP spec 2025-11-25). */
  UrlElicitationRequired: -32042,
} as const

/** A code from {@link ErrorCode} or any other integer code. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode] | (number & {})

/** Options for {@link McpxError}. */
export interface McpxErrorOptions {
  /** Sent to the client as the JSON-RPC error's `data`: never put secrets here. */
  data?: unknown
  /** The underlying error: kept for logs, never sent to a client. */
  cause?: unknown
  /**
   * Headers for the HTTP answer (`WWW-Authenticate`, `Retry-After`), used
   * where the transport is HTTP and the whole HTTP request was this one
   * rejected message. Never part of the JSON-RPC error. Lower-case names.
   */
  headers?: Readonly<Record<string, string>>
  /**
   * The request never left the gateway: refused or given up by its own
   * policies (a circuit open, a full bulkhead or pool queue, a deadline that
   * passed before a connection was free). Sending it again, or elsewhere,
   * cannot run its work twice, and it says nothing of how the upstream
   * answers. Set only by the code that refused it: nothing from the wire
   * sets it.
   * @defaultValue false
   */
  unsent?: boolean
}

const brand = Symbol.for('mcpx.error')

/**
 * An error whose code, message and data are meant for the client. Anything
 * else thrown inside the stack reaches the client as a generic -32603.
 *
 * @example
 * ```ts
 * throw new McpxError(ErrorCode.InvalidParams, 'Unknown tool: deploy', { data: { name: 'deploy' } })
 * ```
 */
export class McpxError extends Error {
  /** Recognise mcpx errors across bundled copies of this package: no `instanceof`. */
  static is(value: unknown): value is McpxError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[brand] === true
    )
  }

  readonly code: ErrorCodeValue
  readonly data: unknown
  /** Headers for an HTTP answer; see {@link McpxErrorOptions.headers}. */
  readonly headers: Readonly<Record<string, string>> | undefined
  /** The request never left the gateway; see {@link McpxErrorOptions.unsent}. */
  readonly unsent: boolean

  constructor(code: ErrorCodeValue, message: string, options: McpxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'McpxError'
    this.code = code
    this.data = options.data
    this.headers = options.headers
    this.unsent = options.unsent === true
  }

  /** The JSON-RPC `error` object for this error. */
  toJSON(): ErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data }
  }
}
Object.defineProperty(McpxError.prototype, brand, { value: true })

/** A JSON-RPC 2.0 error object. */
export interface ErrorObject {
  code: number
  message: string
  data?: unknown
}

/** Called with every error that is not an {@link McpxError}, before the client sees -32603. */
export type ErrorHandler = (error: unknown, info: { method: string | undefined }) => void

const INTERNAL = 'Internal error'

/**
 * The error boundary: an {@link McpxError} passes through unchanged; anything
 * else is reported to `onError` and replaced by a generic -32603 so that no
 * internal message or stack trace reaches a client.
 */
export function toMcpxError(
  error: unknown,
  onError: ErrorHandler | undefined,
  method?: string,
): McpxError {
  if (McpxError.is(error)) return error
  onError?.(error, { method })
  return new McpxError(ErrorCode.InternalError, INTERNAL)
}
