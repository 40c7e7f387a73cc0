import { describe, expect, it } from 'vitest'
import type { Balancer, Replica } from './balancer.js'
import { roundRobin } from './round-robin.js'
import { contextOf, replicasOf } from './test-fixtures.js'

const ctx = contextOf()
const [a, b, c] = replicasOf(1, 1, 1)
const names = (balancer: Balancer, healthy: Replica[], n: number) =>
  Array.from({ length: n }, () => balancer.pick(healthy, ctx).name).join(' ')

describe('roundRobin', () => {
  it('cycles through the replicas in declaration order', () => {
    const balancer = roundRobin([a, b, c])
    expect(names(balancer, [a, b, c], 7)).toBe('a b c a b c a')
  })

  it('skips an unhealthy replica and gives it its turn again, in order, when it returns', () => {
    const balancer = roundRobin([a, b, c])
    expect(names(balancer, [a, b, c], 2)).toBe('a b')
    expect(names(balancer, [a, c], 3)).toBe('c a c')
    expect(names(balancer, [a, b, c], 4)).toBe('a b c a')
  })

  it('does not pick the unhealthy replica whose turn it is, but the next healthy one', () => {
    const balancer = roundRobin([a, b, c])
    balancer.pick([a, b, c], ctx)
    expect(balancer.pick([a, c], ctx).name).toBe('c')
  })

  it('returns the element of healthy, not its own copy of the replica', () => {
    const balancer = roundRobin(replicasOf(1, 1))
    const healthy = replicasOf(1, 1)
    expect(balancer.pick(healthy, ctx)).toBe(healthy[0])
    expect(balancer.pick(healthy.slice(1), ctx)).toBe(healthy[1])
  })
})
