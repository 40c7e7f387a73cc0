import { describe, expect, it } from 'vitest'
import { leastInflight } from './least-inflight.js'
import { contextOf, replicasOf, tally } from './test-fixtures.js'

const ctx = contextOf()

describe('leastInflight', () => {
  it('picks the replica with the fewest requests in flight', () => {
    const group = replicasOf(1, 1, 1)
    const [a, b, c] = group
    const balancer = leastInflight(group)
    balancer.start(a)
    balancer.start(a)
    balancer.start(c)
    for (let i = 0; i < 5; i++) expect(balancer.pick(group, ctx)).toBe(b)
  })

  it('follows start/end bookkeeping: a replica whose requests settle becomes the idlest', () => {
    const group = replicasOf(1, 1, 1)
    const [a, b, c] = group
    const balancer = leastInflight(group)
    for (const replica of [a, b, c, c]) balancer.start(replica)
    balancer.end(b)
    expect(balancer.pick(group, ctx)).toBe(b)
    balancer.start(b)
    balancer.start(b)
    balancer.end(a)
    expect(balancer.pick(group, ctx)).toBe(a)
  })

  it('rotates ties instead of always picking the first replica', () => {
    const group = replicasOf(1, 1, 1)
    const balancer = leastInflight(group)
    const names = Array.from({ length: 6 }, () => balancer.pick(group, ctx).name)
    expect(new Set(names)).toEqual(new Set(['a', 'b', 'c']))
    for (let i = 1; i < names.length; i++) expect(names[i]).not.toBe(names[i - 1])
  })

  it('spreads requests that stay in flight evenly: 9 starts give each of 3 replicas 3', () => {
    const group = replicasOf(1, 1, 1)
    const balancer = leastInflight(group)
    const picked = Array.from({ length: 9 }, () => {
      const replica = balancer.pick(group, ctx)
      balancer.start(replica)
      return replica
    })
    expect(tally(picked)).toEqual({ a: 3, b: 3, c: 3 })
  })

  it('weighs load: a replica of weight 2 with 1 in flight beats one of weight 1 with 1', () => {
    const group = replicasOf(2, 1)
    const [a, b] = group
    const balancer = leastInflight(group)
    balancer.start(a)
    balancer.start(b)
    expect(balancer.pick(group, ctx)).toBe(a)
  })

  it('considers only the healthy replicas', () => {
    const group = replicasOf(1, 1, 1)
    const [a, b] = group
    const balancer = leastInflight(group)
    balancer.start(a)
    balancer.start(b)
    expect([a, b]).toContain(balancer.pick([a, b], ctx))
  })
})
