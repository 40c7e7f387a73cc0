const BRAND = Symbol.for('mcpx.ratelimit.storeUnavailable')

/**
 * The Redis store could not answer in time: Redis is unreachable, slow, or
 * answered with an error. Thrown by `consume()`, with the client's error as
 * `cause`; the `rateLimit()` middleware then applies each limit's
 * fail-open or fail-closed policy. Recognise it with
 * {@link RateLimitStoreUnavailable.is}, which holds across bundled copies.
 */
export class RateLimitStoreUnavailable extends Error {
  override readonly name = 'RateLimitStoreUnavailable'
  readonly [BRAND] = true

  static is(error: unknown): error is RateLimitStoreUnavailable {
    return typeof error === 'object' && error !== null && BRAND in error
  }
}
