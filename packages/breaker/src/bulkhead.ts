import { type AbortSource, ErrorCode, fromSignal, isAbortSignal, McpxError } from '@mcpx/core'
import { fail, integer, options as known, MAX_TIMER_MS } from './validate.js'

const KEYS = ['limit', 'queue', 'queueTimeout', 'upstream']

// The bulkhead of issue 12 §6: a fixed number of requests in flight to one
// upstream, so that a slow upstream ties up its own share of the gateway and
// nothing more. Over the limit a request is refused at once (or waits in a
// small bounded queue): an immediate -32011 the client can retry, never an
// unbounded pile-up.

/** Options of {@link createBulkhead}. */
export interface BulkheadOptions {
  /** The most requests in flight at once. An integer ≥ 1. */
  limit: number
  /**
   * The most requests that wait for a slot when `limit` are in flight; past
   * that, {@link Bulkhead.enter} refuses at once. 0: no queue, every request
   * over the limit is refused at once. An integer ≥ 0.
   *
   * @defaultValue 0
   */
  queue?: number
  /**
   * The longest a request waits in the queue, in ms; then it is refused.
   * A whole number of ms from 1 to 2^31 − 1 (the longest timer).
   *
   * @defaultValue 1000
   */
  queueTimeout?: number
  /** The upstream's name, for the error messages (`Upstream "search" has 16 requests in flight`). */
  upstream?: string
}

/** A concurrency limit for one upstream: see {@link createBulkhead}. */
export interface Bulkhead {
  /** The configured limit. */
  readonly limit: number
  /** Requests in flight now (holding a slot). */
  readonly active: number
  /** Requests waiting for a slot now. */
  readonly queued: number
  /** Requests refused since the bulkhead was made: full, queue full or waited too long (monotonic). */
  readonly rejected: number
  /**
   * Take a slot if one is free. Never waits; `false` counts as rejected.
   * Synchronous and allocation-free. With a queue, call
   * {@link Bulkhead.enter} instead (not both: a refusal would count twice).
   */
  tryEnter(): boolean
  /**
   * Take a slot, waiting in the FIFO queue for at most `queueTimeout` when
   * all are taken. Rejects with {@link Bulkhead.overloaded}'s error when the
   * queue is full (at once) or the wait times out, and with the signal's
   * reason when it aborts (leaving the queue at once; not counted as
   * rejected). With a free slot it resolves without allocating.
   */
  enter(signal?: AbortSignal | AbortSource, maxWait?: number): Promise<void>
  /** Give back a slot: the oldest waiter, if any, takes it. Without a slot taken, does nothing. */
  leave(): void
  /** The -32011 error of a request refused now (what to throw when {@link Bulkhead.tryEnter} says no). */
  overloaded(): McpxError
}

/**
 * A bulkhead: at most `limit` requests in flight, at most `queue` more
 * waiting (FIFO, each for at most `queueTimeout`), the rest refused at once
 * with -32011 `Overloaded` (HTTP 503 with `Retry-After: 1` where the whole
 * request was refused), whose message names the upstream.
 *
 * Without a queue, `tryEnter()` and `leave()` are the whole hot path: a
 * counter compare, nothing allocated. With one, `enter()` waits; a wait
 * allocates (a promise and a timer), a free slot does not. Every timer and
 * abort listener is removed when its waiter leaves the queue.
 *
 * @example
 * ```ts
 * const bulkhead = createBulkhead({ limit: 16, queue: 4, queueTimeout: 500, upstream: 'search' })
 * async function call(ctx: Context, next: Next) {
 *   await bulkhead.enter(ctx) // a Context is an AbortSource
 *   try {
 *     await next()
 *   } finally {
 *     bulkhead.leave()
 *   }
 * }
 * ```
 */
export function createBulkhead(options: BulkheadOptions): Bulkhead {
  known('', options, KEYS, 'createBulkhead() options')
  const limit = integer('limit', options.limit, Number.NaN, 1)
  const queue = integer('queue', options.queue, 0, 0)
  const queueTimeout = integer('queueTimeout', options.queueTimeout, 1_000, 1, MAX_TIMER_MS)
  const upstream = options.upstream
  if (upstream !== undefined && typeof upstream !== 'string') fail('upstream', 'a string')
  return new Slots(limit, queue, queueTimeout, upstream)
}

interface Waiter {
  resolve(): void
  reject(error: unknown): void
  timer: ReturnType<typeof setTimeout> | undefined
  stopAbort: () => void
}

const RESOLVED: Promise<void> = Promise.resolve()
const RETRY_AFTER: Readonly<Record<string, string>> = Object.freeze({ 'retry-after': '1' })
const noop = (): void => {}

class Slots implements Bulkhead {
  active = 0
  rejected = 0
  readonly limit: number
  readonly #queue: number
  readonly #queueTimeout: number
  readonly #subject: string
  readonly #data: Readonly<Record<string, unknown>>
  /** At most `#queue` long: a waiter leaves it when it gets a slot, times out or aborts. */
  readonly #waiters: Waiter[] = []

  constructor(limit: number, queue: number, queueTimeout: number, upstream: string | undefined) {
    this.limit = limit
    this.#queue = queue
    this.#queueTimeout = queueTimeout
    this.#subject = upstream === undefined ? 'The upstream' : `Upstream "${upstream}"`
    this.#data = Object.freeze(upstream === undefined ? { limit } : { upstream, limit })
  }

  get queued(): number {
    return this.#waiters.length
  }

  // Nobody waits while a slot is free (leave() hands a slot straight to the oldest waiter), so a
  // free slot is never taken from under the queue.
  tryEnter(): boolean {
    if (this.active < this.limit) {
      this.active++
      return true
    }
    this.rejected++
    return false
  }

  enter(signal?: AbortSignal | AbortSource, maxWait = this.#queueTimeout): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.active < this.limit) {
      this.active++
      return RESOLVED
    }
    if (this.#waiters.length >= this.#queue) {
      this.rejected++
      return Promise.reject(this.overloaded())
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, stopAbort: noop }
      this.#waiters.push(waiter)
      // Not unref'd: a waiting request is a client's work in progress, bounded by queueTimeout.
      waiter.timer = setTimeout(
        () => {
          this.#remove(waiter)
          this.rejected++
          reject(this.#timedOut())
        },
        Math.min(this.#queueTimeout, maxWait),
      )
      if (signal !== undefined) {
        const source = isAbortSignal(signal) ? fromSignal(signal) : signal
        waiter.stopAbort = source.onAbort((reason) => {
          this.#remove(waiter)
          reject(reason)
        })
      }
    })
  }

  leave(): void {
    const next = this.#waiters.shift()
    if (next === undefined) {
      if (this.active > 0) this.active--
      return
    }
    // The slot passes straight to the oldest waiter: `active` stays as it is.
    clearTimeout(next.timer)
    next.stopAbort()
    next.resolve()
  }

  overloaded(): McpxError {
    const waiting = this.#waiters.length
    const message =
      waiting === 0
        ? `${this.#subject} has ${this.active} requests in flight (its limit)`
        : `${this.#subject} has ${this.active} requests in flight and ${waiting} waiting (its limits)`
    return this.#error(message)
  }

  #timedOut(): McpxError {
    return this.#error(
      `${this.#subject} had no free slot within ${this.#queueTimeout} ms (${this.active} requests in flight, its limit)`,
    )
  }

  #error(message: string): McpxError {
    // The gateway's own limit, not the upstream failing: -32011 (HTTP 503), retry in a second,
    // as the pool answers when it has no free connection.
    // Unsent, so that a retry or failover can tell it from an upstream's own -32011.
    const error = new McpxError(ErrorCode.Overloaded, message, {
      data: this.#data,
      headers: RETRY_AFTER,
      unsent: true,
    })
    error.name = 'BulkheadFullError'
    return error
  }

  #remove(waiter: Waiter): void {
    const i = this.#waiters.indexOf(waiter)
    if (i !== -1) this.#waiters.splice(i, 1)
    clearTimeout(waiter.timer)
    waiter.stopAbort()
  }
}
