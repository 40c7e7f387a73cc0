import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { paramsText } from './cache-key.js'
import { CacheKeyMemo } from './cache-key-memo.js'

/** Params from a small domain, so that equal values (in another key order, with -0 for 0, with a `_meta`) come up often. */
const names = fc.constantFrom('a', 'b', '1', '_meta', '__proto__')
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('a', 'b', '1', '', 'é"\n', null, true, false, 0, -0, 1, 1.5, 1e21),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(names, tie('value'), { maxKeys: 3 }),
  ),
})).value
const shuffled = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(shuffled)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, member]) => [key, shuffled(member)]),
  )
}
const prefixes = fc.record({
  method: fc.constantFrom('tools/call', 'resources/read'),
  upstream: fc.constantFrom('docs', 'search'),
  vary: fc.constantFrom('null', '["alice","app",[]]'),
})

describe('CacheKeyMemo', () => {
  it('finds exactly the key the text would make: never another value, prefix or order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(prefixes, json, fc.boolean()), { maxLength: 40 }), (calls) => {
        const memo = new CacheKeyMemo()
        for (const [{ method, upstream, vary }, raw, reorder] of calls) {
          const params = reorder ? shuffled(raw) : raw
          const text = paramsText(params)
          if (text === undefined) continue
          const key = `${method}\n${upstream}\n${vary}\n${text}`
          const found = memo.find(method, upstream, vary, params)
          if (found !== undefined) expect(found.key).toBe(key)
          else memo.add(method, upstream, vary, params, { key, tags: [] })
          const again = memo.find(method, upstream, vary, params)
          if (again !== undefined) expect(again.key).toBe(key)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('tells apart values that JSON texts would (types, nesting, names against values)', () => {
    const memo = new CacheKeyMemo()
    const distinct: unknown[] = [
      { a: '1' },
      { a: 1 },
      { a: [1] },
      { a: { 1: 1 } },
      ['a', 1],
      [['a'], 1],
      { a: null },
      {},
      [],
      null,
      { a: 'b', c: 'd' },
      { a: 'bc', d: '' },
      { a: { b: 'c' } },
      { a: {}, b: 'c' },
      // The params object has no size step: a member more or less must still be another path.
      'a',
      { a: 'b' },
      { a: 'b', c: 'd', e: 'f' },
      { a: { b: 'c' }, d: 'e' },
      { a: { b: 'c', d: 'e' } },
    ]
    for (const [i, params] of distinct.entries())
      memo.add('m', 'u', 'v', params, { key: `${i}`, tags: [] })
    for (const [i, params] of distinct.entries()) {
      expect(memo.find('m', 'u', 'v', params)?.key).toBe(`${i}`)
    }
    // Another key order is another path (a miss of the memo, then the text makes the same key).
    expect(memo.find('m', 'u', 'v', { c: 'd', a: 'b' })).toBeUndefined()
    expect(memo.find('m', 'u', 'v', { a: 'b', c: 'd', _meta: { progressToken: 1 } })?.key).toBe(
      '10',
    )
    expect(memo.find('m', 'u', 'v', { a: { b: 'c', _meta: 1 } })).toBeUndefined()
    expect(memo.find('m', 'u', 'other', { a: 1 })).toBeUndefined()
    expect(memo.find('m', 'other', 'v', { a: 1 })).toBeUndefined()
  })

  it('does not memoise what is not plain JSON, and holds nothing the caller can change', () => {
    const memo = new CacheKeyMemo()
    const keyed = { key: 'k', tags: [] }
    for (const params of [{ d: new Date(0) }, { u: undefined }, { n: Number.NaN }, [1n]]) {
      expect(memo.add('m', 'u', 'v', params, keyed)).toBe(keyed)
      expect(memo.find('m', 'u', 'v', params)).toBeUndefined()
    }
    const params = { a: { b: 'c' } }
    memo.add('m', 'u', 'v', params, keyed)
    params.a.b = 'changed'
    expect(memo.find('m', 'u', 'v', params)).toBeUndefined()
    expect(memo.find('m', 'u', 'v', { a: { b: 'c' } })?.key).toBe('k')
  })

  it('does not memoise a value with a toJSON (the text has what it answers), nor fail on a throwing getter', () => {
    const memo = new CacheKeyMemo()
    const keyed = { key: 'k', tags: [] }
    const odd: { q: number[] & { toJSON?: () => string } } = { q: [1, 2] }
    odd.q.toJSON = () => 'other'
    expect(memo.add('m', 'u', 'v', odd, keyed)).toBe(keyed)
    expect(memo.find('m', 'u', 'v', { q: [1, 2] })).toBeUndefined()
    const throwing = Object.defineProperty({}, 'q', {
      enumerable: true,
      get() {
        throw new Error('no')
      },
    })
    expect(memo.add('m', 'u', 'v', throwing, keyed)).toBe(keyed)
    expect(memo.find('m', 'u', 'v', throwing)).toBeUndefined()
    // Nothing is left half-made: the next add memoises as usual.
    expect(memo.add('m', 'u', 'v', { q: 1 }, keyed)).not.toBe(keyed)
  })

  it('counts the keys it holds against its bound (a key repeats the vary text, up to 64 KiB of a claim)', () => {
    const memo = new CacheKeyMemo()
    const vary = JSON.stringify('g'.repeat(64 * 1024))
    for (let i = 0; i < 64; i++) {
      const key = `m\nu\n${vary}\n{"q":${i}}`
      memo.add('m', 'u', vary, { q: i }, { key, tags: [] })
    }
    expect(memo.heldChars).toBeLessThanOrEqual(1_048_576 + 2 * (vary.length + 64))
    expect(memo.find('m', 'u', vary, { q: 0 })).toBeUndefined() // started over on the way
    expect(memo.find('m', 'u', vary, { q: 63 })).toBeDefined()
  })

  it('starts over past its bound', () => {
    const memo = new CacheKeyMemo()
    for (let i = 0; i < 20_000; i++) memo.add('m', 'u', 'v', { i }, { key: `${i}`, tags: [] })
    expect(memo.find('m', 'u', 'v', { i: 0 })).toBeUndefined()
    expect(memo.find('m', 'u', 'v', { i: 19_999 })?.key).toBe('19999')
  })
})
