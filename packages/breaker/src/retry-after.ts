import { McpxError } from '@mcpx/core'

// When an upstream (or a gateway component in front of it) says when to come
// back: issue 12 §3, "honours an upstream's Retry-After". Whatever it says is
// capped, so that a hostile or broken upstream cannot park a retry for hours.

/** The default cap of {@link retryAfterMs}: a minute. */
const DEFAULT_MAX_MS = 60_000

/** Longer than any valid value (an IMF-fixdate is 29 characters): not parsed at all. */
const MAX_LENGTH = 64

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)'
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})'
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec'

// RFC 9110 §5.6.7: IMF-fixdate, and the two obsolete forms a recipient must accept.
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`)
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`)
/** `Sun Nov  6 08:49:37 1994` */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`)
/** RFC 9110 §10.2.3: `delay-seconds = 1*DIGIT`. */
const DELAY_SECONDS = /^\d+$/

/**
 * How long to wait before retrying after `error`, in whole ms, if it says:
 * `undefined` if it does not, or says something invalid. Never negative,
 * never above `max`: a date in the past is 0, a wait longer than `max` is
 * `max`. Never throws, whatever `error` is.
 *
 * Read from an {@link McpxError} only, first found wins:
 * 1. `data.retryAfterMs`, a number of ms (what `@mcpx/ratelimit` sends: the
 *    most precise);
 * 2. the `retry-after` header of its `headers` (what the pool and the
 *    gateway's own limits set for HTTP answers);
 * 3. `data.retryAfter`, seconds as a number, or a string read as the header
 *    is (core's documented shape for -32029 `RateLimited`).
 *
 * A `Retry-After` value is delay-seconds or an HTTP-date (RFC 9110 §10.2.3),
 * the date in any of the three forms of §5.6.7 (a two-digit rfc850 year
 * more than 50 years ahead is taken as the last century's). Anything else,
 * including a fraction or a negative number of seconds, is ignored.
 *
 * @param now - the current time for an HTTP-date, in ms since the epoch; read from `Date.now()` only when a date needs it.
 * @param max - the cap, in ms. @defaultValue 60_000
 *
 * @example
 * ```ts
 * const error = new McpxError(ErrorCode.RateLimited, 'Slow down', { data: { retryAfter: 2 } })
 * retryAfterMs(error) // 2000
 * retryAfterMs(new McpxError(ErrorCode.Overloaded, 'Busy', { headers: { 'retry-after': '86400' } })) // 60000
 * retryAfterMs(new Error('ECONNRESET')) // undefined
 * ```
 */
export function retryAfterMs(
  error: unknown,
  now?: number,
  max: number = DEFAULT_MAX_MS,
): number | undefined {
  if (!McpxError.is(error)) return undefined
  const data = error.data
  const fields =
    typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : undefined
  const ms = fields?.retryAfterMs
  let wait: number | undefined
  if (typeof ms === 'number' && ms >= 0) wait = ms
  wait ??= header(error.headers?.['retry-after'], now)
  if (wait === undefined) {
    const seconds = fields?.retryAfter
    if (typeof seconds === 'number') wait = seconds >= 0 ? seconds * 1000 : undefined
    else wait = header(seconds, now)
  }
  // NaN (a NaN in data, or a NaN `now`) says nothing; Infinity is over any cap.
  if (wait === undefined || Number.isNaN(wait)) return undefined
  return Math.min(max, Math.max(0, Math.ceil(wait)))
}

/** A `Retry-After` field value in ms from `now` (possibly negative or infinite), or undefined. */
function header(value: unknown, now: number | undefined): number | undefined {
  if (typeof value !== 'string' || value.length > MAX_LENGTH) return undefined
  // RFC 9110 §5.5: a field value is read without its leading and trailing whitespace.
  const text = value.replace(/^[ \t]+|[ \t]+$/g, '')
  if (DELAY_SECONDS.test(text)) return Number(text) * 1000
  const at = httpDate(text, now)
  return at === undefined ? undefined : at - (now ?? Date.now())
}

/** An HTTP-date in ms since the epoch, or undefined. */
function httpDate(text: string, now: number | undefined): number | undefined {
  let m = IMF_FIXDATE.exec(text)
  if (m) return utc(Number(m[3]), m[2]!, m[1]!, m[4]!, m[5]!, m[6]!)
  m = RFC850_DATE.exec(text)
  if (m) {
    // §5.6.7: a two-digit year more than 50 years ahead is the most recent past year ending so.
    const thisYear = new Date(now ?? Date.now()).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3])
    if (year > thisYear + 50) year -= 100
    return utc(year, m[2]!, m[1]!, m[4]!, m[5]!, m[6]!)
  }
  m = ASCTIME_DATE.exec(text)
  if (m) return utc(Number(m[6]), m[1]!, m[2]!.trim(), m[3]!, m[4]!, m[5]!)
  return undefined
}

function utc(
  year: number,
  month: string,
  day: string,
  hour: string,
  minute: string,
  second: string,
): number | undefined {
  const d = Number(day)
  const h = Number(hour)
  const min = Number(minute)
  const s = Number(second)
  // 60: a leap second (§5.6.7 allows it).
  if (d < 1 || d > 31 || h > 23 || min > 59 || s > 60) return undefined
  return Date.UTC(year, MONTHS.indexOf(month) / 3, d, h, min, s)
}
