import { seededRandom } from '@mcpx/test-utils'
import { describe, expect, it } from 'vitest'
import { powerOfTwo } from './power-of-two.js'
import { contextOf, replicasOf, tally } from './test-fixtures.js'

const ctx = contextOf()

/** A random source that replays `values` in a loop. */
const sequence = (...values: number[]) => {
  let i = 0
  return () => values[i++ % values.length]!
}

describe('powerOfTwo', () => {
  it('prefers the less loaded of the two it draws', () => {
    const group = replicasOf(1, 1)
    const [a, b] = group
    const balancer = powerOfTwo(group, seededRandom(3))
    for (let i = 0; i < 3; i++) balancer.start(a)
    for (let i = 0; i < 100; i++) expect(balancer.pick(group, ctx)).toBe(b)
  })

  it('draws two distinct replicas: the same draw twice still compares a with another', () => {
    const group = replicasOf(1, 1, 1)
    const [a, b] = group
    const balancer = powerOfTwo(group, () => 0)
    balancer.start(a)
    expect(balancer.pick(group, ctx)).toBe(b)
  })

  it('never picks a replica more loaded than every other', () => {
    const group = replicasOf(1, 1, 1)
    const [a, b] = group
    const balancer = powerOfTwo(group, seededRandom(4))
    for (let i = 0; i < 5; i++) balancer.start(a)
    balancer.start(b)
    const counts = tally(Array.from({ length: 1_000 }, () => balancer.pick(group, ctx)))
    expect(counts.a).toBeUndefined()
    expect(counts.c!).toBeGreaterThan(counts.b!)
  })

  it('gives a tie to the first draw', () => {
    const group = replicasOf(1, 1, 1)
    const balancer = powerOfTwo(group, sequence(0.9, 0))
    expect(balancer.pick(group, ctx)).toBe(group[2])
  })

  it('stops counting a request once it ends', () => {
    const group = replicasOf(1, 1)
    const [a, b] = group
    const balancer = powerOfTwo(group, sequence(0, 0))
    balancer.start(a)
    expect(balancer.pick(group, ctx)).toBe(b)
    balancer.end(a)
    expect(balancer.pick(group, ctx)).toBe(a)
  })

  it('returns the only healthy replica', () => {
    const group = replicasOf(1, 1)
    const balancer = powerOfTwo(group, seededRandom(5))
    balancer.start(group[1])
    expect(balancer.pick([group[1]], ctx)).toBe(group[1])
  })
})
