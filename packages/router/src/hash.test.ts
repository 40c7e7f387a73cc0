import { describe, expect, it } from 'vitest'
import { hash53, hashUnit } from './hash.js'

describe('hash53', () => {
  it('is stable: the same input and seed give the same value', () => {
    expect(hash53('session-1')).toBe(hash53('session-1'))
    expect(hash53('session-1')).toMatchInlineSnapshot(`1087006312813198`)
  })

  it('differs with the seed', () => {
    expect(hash53('a', 1)).not.toBe(hash53('a', 2))
  })

  it('spreads 10,000 keys evenly over 10 buckets (each within 10% of 1,000)', () => {
    const buckets = new Array(10).fill(0)
    for (let i = 0; i < 10_000; i++) buckets[Math.floor(hashUnit(`client-${i}`) * 10)]++
    for (const n of buckets) expect(Math.abs(n - 1000)).toBeLessThan(100)
  })
})
