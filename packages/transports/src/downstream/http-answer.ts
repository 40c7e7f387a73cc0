import { ErrorCode, type ErrorObject, McpxError } from '@mcpx/core'

/**
 * The one mapping from an error to an HTTP answer, used by every HTTP front
 * end (architecture: "Errors a client sees"). It applies when the whole HTTP
 * request was one rejected message: an `authenticate` hook that threw, or a
 * single POSTed request answered with an error as plain JSON. Inside an SSE
 * stream, or for one message among several, the error is only a JSON-RPC
 * error and the HTTP status stays 200.
 *
 * | code | status |
 * |---|---|
 * | `Unauthorized` (-32030) | 401 |
 * | `Forbidden` (-32031) | 403 |
 * | `RateLimited` (-32029) | 429, `Retry-After` from `data.retryAfter` (seconds) |
 * | `UpstreamUnavailable` (-32010), `Overloaded` (-32011) | 503 |
 *
 * Headers come from the error's `headers` (`WWW-Authenticate`, …), plus
 * `Retry-After` where the data says when to retry.
 */
export interface HttpAnswer {
  status: number
  headers: Record<string, string> | undefined
}

const STATUS: ReadonlyMap<number, number> = new Map<number, number>([
  [ErrorCode.Unauthorized, 401],
  [ErrorCode.Forbidden, 403],
  [ErrorCode.RateLimited, 429],
  [ErrorCode.UpstreamUnavailable, 503],
  [ErrorCode.Overloaded, 503],
])

/**
 * The HTTP status and headers for `error`; `fallback` is the status when its
 * code has none of its own (200 for a JSON-RPC answer, 400 or 500 for a
 * refused HTTP request).
 */
export function httpAnswer(
  error: ErrorObject,
  headers: Readonly<Record<string, string>> | undefined,
  fallback: number,
): HttpAnswer {
  const status = STATUS.get(error.code) ?? fallback
  const retry = retryAfter(error)
  if (retry === undefined) return { status, headers: headers && { ...headers } }
  return { status, headers: { ...headers, 'retry-after': retry } }
}

/** {@link httpAnswer} for an error thrown before anything was dispatched (a hook). */
export function httpAnswerForThrown(error: unknown): HttpAnswer & { error: McpxError } {
  const mcpx = McpxError.is(error)
    ? error
    : new McpxError(ErrorCode.InternalError, 'Internal error', { cause: error })
  return {
    ...httpAnswer(mcpx, mcpx.headers, mcpx.code === ErrorCode.InternalError ? 500 : 400),
    error: mcpx,
  }
}

function retryAfter(error: ErrorObject): string | undefined {
  const seconds = (error.data as { retryAfter?: unknown } | undefined)?.retryAfter
  return typeof seconds === 'number' && seconds >= 0 ? String(Math.ceil(seconds)) : undefined
}
