import { cachedClock, deadlineKey, type Middleware } from '@mcpx/core'
import { passesThrough } from './repeat.js'
import { fail, MAX_TIMER_MS } from './validate.js'

/**
 * A deadline on everything below it in the stack: the upstream request
 * that `forward()` sends for the message is cancelled when `ms` ms have
 * passed since the message reached this middleware (the upstream gets
 * `notifications/cancelled`, the client -32001 naming the upstream), and
 * progress does not extend it. Above `retry()` it is the total deadline of
 * every attempt, below it each attempt's; where several are stacked the
 * tightest wins. It sets core's `deadlineKey` and arms no timer of its own:
 * the upstream connection's request timer does the cancelling, so no work
 * is left running behind a `Promise.race`. Notifications pass untouched.
 * The time is core's `cachedClock()` (a clock read is most of what a
 * deadline would otherwise cost): at most 1 ms stale, or, in a turn of the
 * event loop that runs longer, as old as that turn, so a message handled
 * late in a long turn gets a deadline that much early.
 *
 * @example
 * ```ts
 * proxy.use(timeout(30_000)) // no upstream request outlives 30 s
 * ```
 */
export function timeout(ms: number): Middleware {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 1 || ms > MAX_TIMER_MS) {
    fail('ms', `a whole number of ms from 1 to ${MAX_TIMER_MS}`, 'timeout() ms')
  }
  const clock = cachedClock()
  return function timeout(ctx, next) {
    if (!passesThrough(ctx)) {
      const deadline = clock.now() + ms
      const above = ctx.get(deadlineKey)
      if (above === undefined || deadline < above) ctx.set(deadlineKey, deadline)
    }
    return next()
  }
}
