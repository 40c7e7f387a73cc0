import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkTracestate, formatTraceparent, parseTraceparent } from './traceparent.js'

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length })
const nonZero = (length: number) => hex(length).filter((s) => /[1-9a-f]/.test(s))
const valid = fc.record({
  traceId: nonZero(32),
  spanId: nonZero(16),
  flags: fc.integer({ min: 0, max: 255 }),
})

describe('parseTraceparent', () => {
  it('never throws, on any string or value', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          // Near misses: the alphabet of a traceparent, around its length.
          fc.string({
            unit: fc.constantFrom(...'0123456789abcdefF-'),
            minLength: 50,
            maxLength: 60,
          }),
          fc.anything(),
        ),
        (value) => {
          const parsed = parseTraceparent(value)
          expect(parsed === undefined || typeof parsed.traceId === 'string').toBe(true)
        },
      ),
      { numRuns: 2_000 },
    )
  })

  it('round-trips every valid version-00 value', () => {
    fc.assert(
      fc.property(valid, (parent) => {
        const text = formatTraceparent(parent)
        expect(text).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/)
        expect(parseTraceparent(text)).toEqual(parent)
      }),
    )
  })

  it('refuses version ff, all-zero ids, upper case and a version-00 value with more after it', () => {
    const ok = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    expect(parseTraceparent(ok)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: 1,
    })
    expect(parseTraceparent(`ff${ok.slice(2)}`)).toBeUndefined()
    expect(parseTraceparent(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBeUndefined()
    expect(
      parseTraceparent(`00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`),
    ).toBeUndefined()
    expect(parseTraceparent(ok.toUpperCase())).toBeUndefined()
    expect(parseTraceparent(`${ok}-extra`)).toBeUndefined()
    expect(parseTraceparent(` ${ok}`)).toBeUndefined()
    expect(parseTraceparent(ok.replace(/-/g, '_'))).toBeUndefined()
    expect(parseTraceparent(ok.slice(0, 54))).toBeUndefined()
  })

  it('reads a later version by its first four fields, and refuses one whose fifth is not after a dash', () => {
    fc.assert(
      fc.property(valid, hex(2), fc.string({ maxLength: 20 }), (parent, version, rest) => {
        fc.pre(version !== '00' && version !== 'ff')
        const text = `${version}${formatTraceparent(parent).slice(2)}`
        expect(parseTraceparent(text)).toEqual(parent)
        expect(parseTraceparent(`${text}-${rest}`)).toEqual(parent)
        if (rest.length > 0 && !rest.startsWith('-')) {
          expect(parseTraceparent(`${text}${rest}`)).toBeUndefined()
        }
      }),
    )
  })

  it('refuses a valid value with any one character changed to one outside lower-case hex', () => {
    fc.assert(
      fc.property(valid, fc.nat(54), fc.constantFrom('g', 'A', 'F', ' ', 'z', '\n'), (p, at, c) => {
        const text = formatTraceparent(p)
        fc.pre(text[at] !== '-')
        expect(parseTraceparent(`${text.slice(0, at)}${c}${text.slice(at + 1)}`)).toBeUndefined()
      }),
    )
  })
})

describe('checkTracestate', () => {
  it('passes printable ASCII of at most 512 characters as it is, and nothing else', () => {
    expect(checkTracestate('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')).toBe(
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    )
    expect(checkTracestate('a=b\r\nx-injected: 1')).toBeUndefined()
    expect(checkTracestate('é=1')).toBeUndefined()
    expect(checkTracestate('a'.repeat(513))).toBeUndefined()
    expect(checkTracestate(7)).toBeUndefined()
    fc.assert(
      fc.property(fc.string(), (s) => {
        const checked = checkTracestate(s)
        if (checked !== undefined) expect(/^[\x20-\x7e]{0,512}$/.test(checked)).toBe(true)
      }),
    )
  })

  it('refuses more than 32 list members (W3C §3.3.1.1), under 512 characters too', () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(',')
    expect(list(60).length).toBeLessThanOrEqual(512)
    expect(checkTracestate(list(60))).toBeUndefined()
    expect(checkTracestate(list(32))).toBe(list(32))
  })
})
