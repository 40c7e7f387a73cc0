import { ErrorCode, McpxError } from '@mcpx/core'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { retryAfterMs } from './retry-after.js'

const NOW = Date.UTC(2025, 0, 1, 0, 0, 0)

const withHeader = (value: string) =>
  new McpxError(ErrorCode.UpstreamUnavailable, 'Upstream "search" answered HTTP 503', {
    headers: { 'retry-after': value },
  })
const withData = (data: unknown) => new McpxError(ErrorCode.RateLimited, 'Slow down', { data })

describe('retryAfterMs', () => {
  it('reads delay-seconds from the retry-after header', () => {
    expect(retryAfterMs(withHeader('5'), NOW)).toBe(5_000)
  })

  it('reads the header without its surrounding whitespace', () => {
    expect(retryAfterMs(withHeader(' \t7 '), NOW)).toBe(7_000)
  })

  it('reads an IMF-fixdate as the time from now to it', () => {
    expect(retryAfterMs(withHeader('Wed, 01 Jan 2025 00:00:12 GMT'), NOW)).toBe(12_000)
  })

  it('reads an obsolete rfc850 date', () => {
    expect(retryAfterMs(withHeader('Wednesday, 01-Jan-25 00:00:10 GMT'), NOW)).toBe(10_000)
  })

  it('takes a two-digit year more than 50 years ahead as the last century', () => {
    // 2080 is 55 years ahead, so 1980: in the past.
    expect(retryAfterMs(withHeader('Tuesday, 01-Jan-80 00:00:00 GMT'), NOW)).toBe(0)
    // 2070 is 45 years ahead: capped.
    expect(retryAfterMs(withHeader('Wednesday, 01-Jan-70 00:00:00 GMT'), NOW)).toBe(60_000)
  })

  it('reads an obsolete asctime date', () => {
    expect(retryAfterMs(withHeader('Wed Jan  1 00:00:03 2025'), NOW)).toBe(3_000)
  })

  it('answers 0 for a date in the past', () => {
    expect(retryAfterMs(withHeader('Sun, 06 Nov 1994 08:49:37 GMT'), NOW)).toBe(0)
  })

  it('caps a long wait at a minute', () => {
    expect(retryAfterMs(withHeader('86400'), NOW)).toBe(60_000)
    expect(retryAfterMs(withHeader('9'.repeat(40)), NOW)).toBe(60_000)
  })

  it('caps at the max it is given', () => {
    expect(retryAfterMs(withHeader('10'), NOW, 2_500)).toBe(2_500)
  })

  it('reads data.retryAfterMs, rounded up to a whole ms', () => {
    expect(retryAfterMs(withData({ retryAfterMs: 1_234.2 }))).toBe(1_235)
  })

  it('reads data.retryAfter as seconds, or as a header value when it is a string', () => {
    expect(retryAfterMs(withData({ retryAfter: 2 }))).toBe(2_000)
    expect(retryAfterMs(withData({ retryAfter: '3' }))).toBe(3_000)
  })

  it('prefers data.retryAfterMs, then the header, then data.retryAfter', () => {
    // What @mcpx/ratelimit sends: all three, the ms the most precise.
    const limited = new McpxError(ErrorCode.RateLimited, 'Rate limit x exceeded; retry in 2 s', {
      data: { retryAfterMs: 1_500, retryAfter: 2 },
      headers: { 'retry-after': '2' },
    })
    expect(retryAfterMs(limited)).toBe(1_500)
    const both = new McpxError(ErrorCode.Overloaded, 'Busy', {
      data: { retryAfter: 9 },
      headers: { 'retry-after': '1' },
    })
    expect(retryAfterMs(both)).toBe(1_000)
  })

  it('reads the pool’s Overloaded answer', () => {
    const error = new McpxError(ErrorCode.Overloaded, 'Upstream "x" has no free connection', {
      data: { upstream: 'x' },
      headers: { 'retry-after': '1' },
    })
    expect(retryAfterMs(error)).toBe(1_000)
  })

  it('answers undefined for an error that says nothing, or is not an McpxError', () => {
    expect(retryAfterMs(new McpxError(ErrorCode.InternalError, 'Internal error'))).toBeUndefined()
    expect(retryAfterMs(withData('soon'))).toBeUndefined()
    expect(
      retryAfterMs(Object.assign(new Error('503'), { headers: { 'retry-after': '1' } })),
    ).toBeUndefined()
    expect(retryAfterMs(undefined)).toBeUndefined()
  })

  it.each([
    '',
    '-5',
    '1.5',
    '5s',
    '0x10',
    'soon',
    'Sun, 06 Nov 2094 08:49:37 UTC',
    'sun, 06 Nov 2094 08:49:37 GMT',
    'Sun, 6 Nov 2094 08:49:37 GMT',
    'Sun, 06 Nov 2094 25:49:37 GMT',
    'Sun, 00 Nov 2094 08:49:37 GMT',
    '2094-11-06T08:49:37Z',
  ])('ignores the invalid value %j', (value) => {
    expect(retryAfterMs(withHeader(value), NOW)).toBeUndefined()
  })

  it('ignores a negative or NaN number in data', () => {
    expect(retryAfterMs(withData({ retryAfterMs: -1, retryAfter: -1 }))).toBeUndefined()
    expect(
      retryAfterMs(withData({ retryAfterMs: Number.NaN, retryAfter: Number.NaN })),
    ).toBeUndefined()
  })

  it('answers undefined for a date against a NaN clock', () => {
    expect(retryAfterMs(withHeader('Wed, 01 Jan 2025 00:00:12 GMT'), Number.NaN)).toBeUndefined()
  })

  it('reads the clock only for a date', () => {
    const now = vi.spyOn(Date, 'now')
    try {
      retryAfterMs(withHeader('5'))
      expect(now).not.toHaveBeenCalled()
      retryAfterMs(withHeader('Wed, 01 Jan 2025 00:00:12 GMT'))
      expect(now).toHaveBeenCalledTimes(1)
    } finally {
      now.mockRestore()
    }
  })

  it('never throws, and answers undefined or a whole ms count from 0 to the cap (property)', () => {
    const value = fc.oneof(
      fc.string(),
      fc.stringMatching(/^[ \t]*\d{1,12}[ \t]*$/),
      fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
      fc.double(),
      fc.anything(),
    )
    const error = fc.oneof(
      fc.anything(),
      // A header is text: any value as text, even one String() refuses (a null-prototype object).
      value.map((v) => withHeader(typeof v === 'string' ? v : text(v))),
      fc
        .record({ retryAfterMs: value, retryAfter: value }, { requiredKeys: [] })
        .map((data) => withData(data)),
      fc.anything().map((data) => withData(data)),
    )
    fc.assert(
      fc.property(
        error,
        fc.option(fc.double({ min: 0, max: 8.64e15, noNaN: true }), { nil: undefined }),
        fc.integer({ min: 0, max: 600_000 }),
        (e, now, max) => {
          const wait = retryAfterMs(e, now, max)
          if (wait === undefined) return
          expect(Number.isInteger(wait)).toBe(true)
          expect(wait).toBeGreaterThanOrEqual(0)
          expect(wait).toBeLessThanOrEqual(max)
        },
      ),
      { numRuns: 2_000 },
    )
  })

  it('reads back any date it is given in IMF-fixdate, to the second (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 59_000 }),
        fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2200, 0, 1) }),
        (ahead, now) => {
          const at = Math.floor((now + ahead) / 1000) * 1000
          const expected = Math.max(0, Math.ceil(at - now))
          expect(retryAfterMs(withHeader(new Date(at).toUTCString()), now)).toBe(expected)
        },
      ),
    )
  })
})

/** `String(value)`, or '' for a value that has no text (a null-prototype object). */
function text(value: unknown): string {
  try {
    return String(value)
  } catch {
    return ''
  }
}
