import { ErrorCode, McpxError } from '@mcpx/core'

/** What a refused call's {@link CircuitOpenError} carries to the client. */
export interface CircuitOpenData {
  readonly state: 'open' | 'half-open'
  /** Ms until the circuit lets a trial call through; absent while half-open (a trial is under way). */
  readonly retryAfterMs?: number
  /** The same in whole seconds, rounded up (as `@mcpx/ratelimit` sends it; the `retry-after` header). */
  readonly retryAfter?: number
  /** The upstream it guards, when the caller named it. */
  readonly upstream?: string
}

/**
 * A call refused by an open (or busy half-open) circuit: -32010
 * `UpstreamUnavailable` (the upstream is failing; HTTP 503 where the whole
 * request failed), with a `retry-after` header while open.
 */
export class CircuitOpenError extends McpxError {
  declare readonly data: CircuitOpenData

  /** `retryAfterMs` sets `retryAfter` and the header too. */
  constructor({ state, retryAfterMs, upstream }: Omit<CircuitOpenData, 'retryAfter'>) {
    const data: { -readonly [K in keyof CircuitOpenData]: CircuitOpenData[K] } = { state }
    let headers: Record<string, string> | undefined
    if (retryAfterMs !== undefined) {
      data.retryAfterMs = retryAfterMs
      data.retryAfter = Math.max(0, Math.ceil(retryAfterMs / 1000))
      headers = { 'retry-after': String(data.retryAfter) }
    }
    if (upstream !== undefined) data.upstream = upstream
    const who = upstream === undefined ? 'Upstream' : `Upstream "${upstream}"`
    super(ErrorCode.UpstreamUnavailable, `${who} is failing: circuit ${state}`, {
      data,
      headers,
      unsent: true,
    })
    this.name = 'CircuitOpenError'
  }
}
