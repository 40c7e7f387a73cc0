/** What decides when one outgoing request times out. */
export interface Clock {
  /** Milliseconds without an answer or progress before the request fails; 0 for none. */
  timeout: number
  /** `Date.now()` after which the request fails whatever progress arrived; 0 for never. */
  limit: number
}

/**
 * The `Date.now()` at which a request times out if nothing restarts its
 * clock: the idle timeout from `now`, capped by the total limit (the SDK's
 * `maxTotalTimeout`, so that progress cannot hold a request forever). 0 for
 * never.
 */
export function deadlineOf(clock: Clock, now: number): number {
  const idle = clock.timeout ? now + clock.timeout : 0
  if (!clock.limit) return idle
  return idle && idle < clock.limit ? idle : clock.limit
}

/**
 * One coarse timer per peer that checks deadlines, instead of a timer per
 * request. It runs at a twentieth of the shortest period it was asked for
 * (10 ms to 1 s: a deadline is met within 5 % of its period, plus the event loop's delay), never keeps the process alive, and stops itself once a
 * sweep reports that nothing is left to time.
 */
export class Sweeper {
  #timer: ReturnType<typeof setInterval> | undefined
  #every = Number.POSITIVE_INFINITY
  readonly #sweep: () => boolean

  /** @param sweep checks every deadline; returns whether any request is still timed. */
  constructor(sweep: () => boolean) {
    this.#sweep = sweep
  }

  /** Make sure deadlines `period` ms out are noticed promptly. */
  watch(period: number): void {
    const every = Math.min(1000, Math.max(10, Math.floor(period / 20)))
    if (this.#timer && every >= this.#every) return
    this.stop()
    this.#every = every
    this.#timer = setInterval(() => {
      if (!this.#sweep()) this.stop()
    }, every)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
    this.#every = Number.POSITIVE_INFINITY
  }
}
