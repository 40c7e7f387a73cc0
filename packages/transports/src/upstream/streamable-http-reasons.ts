/**
 * Why a Streamable HTTP request got no answer, in the words that follow
 * the upstream's name (`Upstream "search" could not be reached
 * (ECONNREFUSED)`): no URL, no text from the wire.
 */
import { WireFault } from '../protocol/sse-decoder.js'
import type { HeaderSource } from './connector-options.js'
import type { StreamEnd } from './sse-reconnect.js'

export const EXPIRED = 'expired the session and could not be re-initialized'
export const UNANSWERED = 'ended the response without answering'
/** The configured `headers` function threw or rejected: no request went out. */
export const NO_CREDENTIALS = 'could not get its credentials'

/**
 * Why a request answered with a non-2xx `status` failed. 401 and 403 say
 * the upstream refused the gateway's own credentials (never a client's:
 * those are not forwarded); nothing of its `WWW-Authenticate` challenge or
 * body is repeated, and the request is not retried with the same credentials.
 */
export function refusal(status: number): string {
  return status === 401 || status === 403
    ? `refused the gateway's credentials (HTTP ${status})`
    : `answered HTTP ${status}`
}

/**
 * The `invalidate` method of a `headers` function (`clientCredentials()`
 * has one), bound and made safe to call: its errors are swallowed, since
 * the refused request fails either way. Undefined when there is none.
 */
export function invalidator(headers: unknown): (() => void) | undefined {
  const invalidate = (headers as { invalidate?: unknown } | null | undefined)?.invalidate
  if (typeof headers !== 'function' || typeof invalidate !== 'function') return undefined
  return () => {
    try {
      const result: unknown = invalidate.call(headers)
      if (result instanceof Promise) result.catch(() => {})
    } catch {
      // Its own failure is its own business: the refusal is reported as it is.
    }
  }
}

/** Thrown in place of whatever the `headers` function threw; that is its `cause`. */
export class CredentialsFault extends Error {
  override name = 'CredentialsFault'
}

/** `headers` whose failures are {@link CredentialsFault}s, so they are not taken for network errors. */
export function guardHeaders(headers: HeaderSource): HeaderSource {
  const fault = (cause: unknown) => new CredentialsFault(NO_CREDENTIALS, { cause })
  return () => {
    let value: ReturnType<HeaderSource>
    try {
      value = headers()
    } catch (error) {
      throw fault(error)
    }
    return value instanceof Promise
      ? value.catch((error: unknown) => {
          throw fault(error)
        })
      : value
  }
}

/** A log line's worth of a credentials failure: the cause's own message (never sent to clients). */
export function faultText(error: CredentialsFault): string {
  const cause = error.cause as { message?: unknown } | undefined
  return typeof cause?.message === 'string' ? cause.message : String(cause)
}

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
  if (error instanceof CredentialsFault) return NO_CREDENTIALS
  if (error instanceof WireFault) return error.message
  if (error instanceof SyntaxError) return 'answered with invalid JSON'
  if (reached) return 'broke off the response'
  // Node's fetch puts the system error (ECONNREFUSED, ENOTFOUND) in `cause`; its message names the address.
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code
  return typeof code === 'string' && /^[A-Z_]+$/.test(code)
    ? `could not be reached (${code})`
    : 'could not be reached'
}
