import { describe, expect, it } from 'vitest'
import type { Balancer, Replica } from './balancer.js'
import { contextOf, replicasOf, tally } from './test-fixtures.js'
import { weightedRoundRobin } from './weighted-round-robin.js'

const ctx = contextOf()
const run = (balancer: Balancer, healthy: readonly Replica[], n: number) =>
  Array.from({ length: n }, () => balancer.pick(healthy, ctx))

describe('weightedRoundRobin', () => {
  it('gives weights 5/1/1 the sequence nginx documents: a a b a c a a, cycle after cycle', () => {
    const group = replicasOf(5, 1, 1)
    const balancer = weightedRoundRobin(group)
    const sequence = run(balancer, group, 14).map((r) => r.name)
    expect(sequence.join(' ')).toBe('a a b a c a a a a b a c a a')
  })

  it('gives each replica its weight share within 1% over 10,000 picks (50/30/20)', () => {
    const group = replicasOf(50, 30, 20)
    const counts = tally(run(weightedRoundRobin(group), group, 10_000))
    expect(Math.abs(counts.a! / 10_000 - 0.5)).toBeLessThanOrEqual(0.01)
    expect(Math.abs(counts.b! / 10_000 - 0.3)).toBeLessThanOrEqual(0.01)
    expect(Math.abs(counts.c! / 10_000 - 0.2)).toBeLessThanOrEqual(0.01)
    expect(counts).toEqual({ a: 5000, b: 3000, c: 2000 })
  })

  it('keeps the relative proportions of the rest while one replica is unhealthy', () => {
    const group = replicasOf(50, 30, 20)
    const [a, , c] = group
    const balancer = weightedRoundRobin(group)
    run(balancer, group, 1_001) // mid-cycle, so b leaves with state
    const counts = tally(run(balancer, [a, c], 7_000))
    expect(counts.b).toBeUndefined()
    expect(Math.abs(counts.a! / 7_000 - 5 / 7)).toBeLessThanOrEqual(0.01)
    expect(Math.abs(counts.c! / 7_000 - 2 / 7)).toBeLessThanOrEqual(0.01)
  })

  it('stays smooth among the healthy: with c out, 5/1/1 never sends b twice in a row', () => {
    const group = replicasOf(5, 1, 1)
    const [a, b] = group
    const balancer = weightedRoundRobin(group)
    run(balancer, group, 3)
    const sequence = run(balancer, [a, b], 60)
      .map((r) => r.name)
      .join('')
    expect(sequence).not.toContain('bb')
    expect(sequence.split('b').length - 1).toBe(10)
  })

  it('goes back to the full proportions when the replica returns', () => {
    const group = replicasOf(50, 30, 20)
    const balancer = weightedRoundRobin(group)
    run(balancer, [group[0], group[2]], 333)
    const counts = tally(run(balancer, group, 10_000))
    expect(Math.abs(counts.b! / 10_000 - 0.3)).toBeLessThanOrEqual(0.01)
  })
})
