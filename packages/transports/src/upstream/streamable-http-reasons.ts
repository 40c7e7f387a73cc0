/**
 * Why a Streamable HTTP request got no answer, in the words that follow
 * the upstream's name (`Upstream "search" could not be reached
 * (ECONNREFUSED)`): no URL, no text from the wire.
 */
import { WireFault } from '../protocol/sse-decoder.js'
import type { StreamEnd } from './sse-reconnect.js'

export const EXPIRED = 'expired the session and could not be re-initialized'
export const UNANSWERED = 'ended the response without answering'

/** Why a POST's SSE stream gave no answer; undefined when it did. */
export function unanswered(outcome: StreamEnd): string | undefined {
  switch (outcome.end) {
    case 'done':
      return undefined
    case 'stopped':
      return outcome.reason
    case 'exhausted':
      return outcome.reconnects === 0
        ? UNANSWERED
        : `${UNANSWERED} (${outcome.reconnects} reconnections got nothing)`
    case 'ended':
      return UNANSWERED
  }
}

/** Why a POST failed: `reached` once the server sent response headers. */
export function failure(error: unknown, reached: boolean): string {
  if (error instanceof WireFault) return error.message
  if (error instanceof SyntaxError) return 'answered with invalid JSON'
  if (reached) return 'broke off the response'
  // Node's fetch puts the system error (ECONNREFUSED, ENOTFOUND) in `cause`; its message names the address.
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code
  return typeof code === 'string' && /^[A-Z_]+$/.test(code)
    ? `could not be reached (${code})`
    : 'could not be reached'
}
