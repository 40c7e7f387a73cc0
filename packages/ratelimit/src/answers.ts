import { ErrorCode, McpxError } from '@mcpx/core'
import type { Algorithm, Decision } from './types.js'

/** What a refusal carries in `data`, for clients of every transport. */
export interface RateLimitedData {
  /** Milliseconds until the same message would be accepted; `null` if never (it costs more than the limit). */
  retryAfterMs: number | null
  /** The same in whole seconds, rounded up (what the transports turn into `Retry-After`). */
  retryAfter?: number
  /** The limit's size. */
  limit: number
  /** What is left of it. */
  remaining: number
  /** The limit's name. */
  policy: string
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000))

/**
 * The refusal of a message over `limit`: -32029 with `data` (see
 * {@link RateLimitedData}), and the headers of the IETF draft "RateLimit
 * header fields for HTTP" (`RateLimit-Policy: "name";q=100;w=60`,
 * `RateLimit: "name";r=0;t=12`) plus `Retry-After`, which the transports
 * send with a 429 when the whole HTTP request was this message.
 */
export function rateLimited(name: string, algorithm: Algorithm, decision: Decision): McpxError {
  const never = !Number.isFinite(decision.retryAfterMs)
  const data: RateLimitedData = {
    retryAfterMs: never ? null : decision.retryAfterMs,
    limit: decision.limit,
    remaining: decision.remaining,
    policy: name,
  }
  const headers: Record<string, string> = {
    // The draft's q and r are integers.
    'ratelimit-policy': `"${name}";q=${Math.floor(algorithm.limit)};w=${seconds(algorithm.windowMs)}`,
    ratelimit: `"${name}";r=${decision.remaining};t=${seconds(decision.resetMs)}`,
  }
  if (!never) {
    data.retryAfter = seconds(decision.retryAfterMs)
    headers['retry-after'] = String(data.retryAfter)
  }
  const message = never
    ? `Rate limit ${name}: this message costs more than the limit allows`
    : `Rate limit ${name} exceeded; retry in ${data.retryAfter} s`
  return new McpxError(ErrorCode.RateLimited, message, { data, headers })
}

/** A fail-closed limit whose store could not answer: -32011 (HTTP 503), a second to wait. */
export function limitsUnavailable(): McpxError {
  return new McpxError(
    ErrorCode.Overloaded,
    'Rate limits cannot be checked right now; retry shortly',
    { data: { retryAfter: 1 }, headers: { 'retry-after': '1' } },
  )
}
