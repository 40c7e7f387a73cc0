import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pickWeighted } from './pick-weighted.js'
import { replicasOf } from './test-fixtures.js'

describe('pickWeighted', () => {
  it('lays the replicas out as segments as long as their weights', () => {
    const group = replicasOf(3, 1)
    expect(pickWeighted(group, 0)).toBe(0)
    expect(pickWeighted(group, 0.74)).toBe(0)
    expect(pickWeighted(group, 0.75)).toBe(1)
    expect(pickWeighted(group, 0.999)).toBe(1)
  })

  it('leaves the skipped index out of the draw', () => {
    const group = replicasOf(1, 1, 1)
    expect(pickWeighted(group, 0, 0)).toBe(1)
    expect(pickWeighted(group, 0.6, 1)).toBe(2)
  })

  it('returns an index in range for any weights and any u in [0, 1)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (weights, u) => {
          const index = pickWeighted(replicasOf(...weights), u)
          return index >= 0 && index < weights.length
        },
      ),
    )
  })
})
