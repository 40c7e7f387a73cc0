import { ErrorCode, McpxError } from '@mcpx/core'

/**
 * Whether `error` (what a call to an upstream threw, or the reason its
 * signal aborted with) counts against the upstream: the default
 * classification of {@link createCircuitBreaker}.
 *
 * A failure, since the upstream is sick or unreachable:
 * - anything that is not an {@link McpxError} (a network error, a bug in a
 *   connector): the gateway cannot tell it from a broken upstream;
 * - -32010 `UpstreamUnavailable`: the connection failed, closed, or the
 *   server answered a non-2xx HTTP status. mcpx's HTTP connectors carry no
 *   status field: an HTTP 5xx arrives as -32010 `Upstream "x" answered HTTP 500`;
 * - -32001 `RequestTimeout`, and a `TimeoutError` (`AbortSignal.timeout()`);
 * - -32603 `InternalError`, the upstream's own "something broke".
 *
 * Not a failure, since it says nothing against the upstream:
 * - the client's own mistakes: -32602 `InvalidParams`, -32601
 *   `MethodNotFound`, -32600, and any other code the upstream chose to answer
 *   with (it answered, so it is up);
 * - -32011 `Overloaded`: the gateway's own limits (the pool's "no free
 *   connection"), reached before the upstream was;
 * - any error core marks `unsent`: the gateway refused or gave up on the
 *   request before it left (an open circuit, a full queue, a deadline spent
 *   waiting for a connection), so the upstream never saw it;
 * - -32000 `ConnectionClosed`: the client's session closed (a lost upstream
 *   connection is -32010);
 * - a cancellation: -32800 `RequestCancelled` or an `AbortError`;
 * - a `tools/call` result with `isError: true`: that is the tool's answer.
 *
 * Never throws, whatever it is given (a getter that throws counts as a failure).
 *
 * @example
 * ```ts
 * isFailure(new McpxError(ErrorCode.RequestTimeout, 'Upstream "math" timed out')) // true
 * isFailure(new McpxError(ErrorCode.InvalidParams, 'Unknown tool: deploy')) // false
 * ```
 */
export function isFailure(error: unknown): boolean {
  try {
    return classify(error)
  } catch {
    // A hostile value (a throwing getter, a revoked Proxy) is no answer from the upstream.
    return true
  }
}

function classify(error: unknown): boolean {
  // Refused or given up by the gateway itself (its circuit, a full queue, a deadline spent waiting
  // for a connection): the upstream never saw the request, so it says nothing of the upstream.
  if (McpxError.is(error)) return !error.unsent && FAILURE_CODES.has(error.code)
  if (typeof error !== 'object' || error === null) return true
  const name = (error as { name?: unknown }).name
  if (name === 'AbortError') return false
  if (name === 'TimeoutError') return true
  // A `CallToolResult` with `isError: true` (MCP spec, Tools §Error Handling) is a result, not a fault.
  return (error as { isError?: unknown }).isError !== true
}

const FAILURE_CODES: ReadonlySet<number> = new Set([
  ErrorCode.UpstreamUnavailable,
  ErrorCode.RequestTimeout,
  ErrorCode.InternalError,
])
