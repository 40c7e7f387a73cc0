import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Replica } from './balancer.js'
import { consistentHash, rendezvous } from './consistent-hash.js'
import { contextOf, replicasOf, tally } from './test-fixtures.js'

const noRandom = () => {
  throw new Error('a keyed pick must not draw at random')
}
const keys = Array.from({ length: 10_000 }, (_, i) => `session-${i}`)
const owners = (healthy: readonly Replica[]) => keys.map((key) => rendezvous(healthy, key).name)

describe('consistentHash', () => {
  it('sends the same key to the same replica every time', () => {
    const group = replicasOf(1, 1, 1, 1, 1)
    const balancer = consistentHash('session', 'search', noRandom)
    for (const key of keys.slice(0, 100)) {
      const first = balancer.pick(group, contextOf({ id: key }))
      for (let i = 0; i < 5; i++) expect(balancer.pick(group, contextOf({ id: key }))).toBe(first)
    }
  })

  it('spreads keys in proportion to weight (3/1: 75% ± 2%)', () => {
    const counts = tally(keys.map((key) => rendezvous(replicasOf(3, 1), key)))
    expect(Math.abs(counts.a! / keys.length - 0.75)).toBeLessThanOrEqual(0.02)
  })

  it('moves at most 1/N + 2% of keys when one of 5 leaves, and only that replica’s keys', () => {
    const group = replicasOf(1, 1, 1, 1, 1)
    const before = owners(group)
    const after = owners(group.filter((r) => r.name !== 'c'))
    const moved = keys.filter((_, i) => before[i] !== after[i]).length
    const onC = before.filter((name) => name === 'c').length
    expect(moved / keys.length).toBeLessThanOrEqual(1 / 5 + 0.02)
    expect(moved).toBe(onC)
    for (let i = 0; i < keys.length; i++) if (before[i] !== 'c') expect(after[i]).toBe(before[i])
  })

  it('takes back exactly its keys when the departed replica returns', () => {
    const group = replicasOf(1, 1, 1, 1, 1)
    const before = owners(group)
    owners(group.slice(1))
    expect(owners(group)).toEqual(before)
  })

  it('moves only keys of the departed replica, for any keys, weights and departure', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 2, maxLength: 8 }),
        fc.array(fc.string(), { minLength: 1, maxLength: 50 }),
        fc.nat(),
        (weights, sample, leaving) => {
          const group = replicasOf(...weights)
          const gone = group[leaving % group.length]!
          const rest = group.filter((r) => r !== gone)
          return sample.every((key) => {
            const before = rendezvous(group, key)
            return before === gone || rendezvous(rest, key) === before
          })
        },
      ),
    )
  })

  it('falls back to a weighted random replica when the message has no key', () => {
    const group = replicasOf(1, 1)
    expect(consistentHash('session', 'g', () => 0).pick(group, contextOf())).toBe(group[0])
    expect(consistentHash('session', 'g', () => 0.99).pick(group, contextOf())).toBe(group[1])
  })

  it('rejects an invalid key with a TypeError naming the group', () => {
    expect(() => consistentHash('cookie' as 'session', 'search')).toThrow(/group "search"/)
  })
})
