import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from './canonical-json.js'

/** The same value with every object's keys in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, member]) => [key, reversed(member)]),
  )
}

describe('canonicalJson', () => {
  it('sorts keys at every depth', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x' })).toBe(
      '{"a":"x","b":[1,{"c":2,"d":1}]}',
    )
  })

  it('gives one text per value whatever the key order, and parses back to the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value)
        expect(text).toBe(canonicalJson(reversed(value)))
        expect(JSON.parse(text as string)).toEqual(JSON.parse(JSON.stringify(value)))
      }),
    )
  })

  it('drops what JSON drops and says null where JSON says null', () => {
    expect(canonicalJson({ a: undefined, b: () => 1, c: [undefined, Number.NaN], d: -0 })).toBe(
      '{"c":[null,null],"d":0}',
    )
  })

  it('gives up (undefined) on a bigint, a cycle, too deep a value or too long a text', () => {
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    let deep: unknown = 1
    for (let i = 0; i < 100; i++) deep = [deep]
    expect(canonicalJson({ n: 1n })).toBeUndefined()
    expect(canonicalJson(cycle)).toBeUndefined()
    expect(canonicalJson(deep)).toBeUndefined()
    expect(canonicalJson('x'.repeat(100), 50)).toBeUndefined()
  })
})
