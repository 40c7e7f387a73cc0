import { seededRandom } from '@mcpx/test-utils'
import { describe, expect, it } from 'vitest'
import { random } from './random.js'
import { contextOf, replicasOf, tally } from './test-fixtures.js'

const ctx = contextOf()

describe('random', () => {
  it('draws replicas in proportion to weight (50/30/20 within 1.5% over 10,000 seeded picks)', () => {
    const group = replicasOf(50, 30, 20)
    const balancer = random(seededRandom(1))
    const counts = tally(Array.from({ length: 10_000 }, () => balancer.pick(group, ctx)))
    expect(Math.abs(counts.a! / 10_000 - 0.5)).toBeLessThanOrEqual(0.015)
    expect(Math.abs(counts.b! / 10_000 - 0.3)).toBeLessThanOrEqual(0.015)
    expect(Math.abs(counts.c! / 10_000 - 0.2)).toBeLessThanOrEqual(0.015)
  })

  it('draws only among the healthy replicas, in proportion to their weights', () => {
    const [a, , c] = replicasOf(50, 30, 20)
    const balancer = random(seededRandom(2))
    const counts = tally(Array.from({ length: 10_000 }, () => balancer.pick([a, c], ctx)))
    expect(counts.b).toBeUndefined()
    expect(Math.abs(counts.a! / 10_000 - 5 / 7)).toBeLessThanOrEqual(0.015)
  })

  it('uses the injected random source', () => {
    const group = replicasOf(1, 1)
    expect(random(() => 0).pick(group, ctx)).toBe(group[0])
    expect(random(() => 0.999).pick(group, ctx)).toBe(group[1])
  })
})
