import { describe, expect, it } from 'vitest'
import type { BalanceStrategy, Replica } from './balancer.js'
import { createBalancer } from './create-balancer.js'
import { contextOf, replicasOf } from './test-fixtures.js'

const VALID =
  "'round-robin', 'weighted-round-robin', 'least-inflight', 'random', 'power-of-two', " +
  "{ type: 'consistent-hash' }, { type: 'sticky-split' }, { type: 'custom' }"

const strategies: BalanceStrategy[] = [
  'round-robin',
  'weighted-round-robin',
  'least-inflight',
  'random',
  'power-of-two',
  { type: 'consistent-hash', key: 'session' },
  { type: 'sticky-split', key: 'principal' },
  { type: 'custom', pick: (healthy) => healthy[0]! },
]

describe('createBalancer', () => {
  it.each(strategies)('builds %j, whose pick returns one of healthy', (strategy) => {
    const group = replicasOf(2, 1, 1)
    const balancer = createBalancer(strategy, group, 'search')
    const healthy = group.slice(1)
    for (let i = 0; i < 20; i++) {
      expect(healthy).toContain(balancer.pick(healthy, contextOf({ id: `s-${i}` })))
    }
  })

  it('gives least-inflight and power-of-two start/end bookkeeping', () => {
    for (const strategy of ['least-inflight', 'power-of-two'] as const) {
      const balancer = createBalancer(strategy, replicasOf(1), 'search')
      expect(typeof balancer.start).toBe('function')
      expect(typeof balancer.end).toBe('function')
    }
  })

  it('uses the injected random source', () => {
    const group = replicasOf(1, 1)
    const balancer = createBalancer('random', group, 'search', { random: () => 0.99 })
    expect(balancer.pick(group, contextOf())).toBe(group[1])
  })

  it('keeps its own copy of the replicas: later changes to the caller’s objects do not move the split', () => {
    const group: { name: string; weight: number }[] = replicasOf(90, 10)
    const balancer = createBalancer({ type: 'sticky-split', key: 'session' }, group, 'search')
    const sides = () =>
      Array.from({ length: 200 }, (_, i) => balancer.pick(group, contextOf({ id: `s-${i}` })).name)
    const before = sides()
    group[1]!.weight = 90
    expect(sides()).toEqual(before)
  })

  it.each<[string, unknown]>([
    ['an unknown name', 'fastest'],
    ['an unknown type', { type: 'nearest' }],
    ['nothing', undefined],
  ])('rejects %s, listing the valid strategies', (_, strategy) => {
    expect(() => createBalancer(strategy as BalanceStrategy, replicasOf(1), 'search')).toThrow(
      TypeError,
    )
    expect(() => createBalancer(strategy as BalanceStrategy, replicasOf(1), 'search')).toThrow(
      `[@mcpx/router] group "search": unknown balance strategy`,
    )
    expect(() => createBalancer(strategy as BalanceStrategy, replicasOf(1), 'search')).toThrow(
      `; expected one of ${VALID}`,
    )
  })

  it('rejects a custom strategy without a pick function', () => {
    const strategy = { type: 'custom' } as BalanceStrategy
    expect(() => createBalancer(strategy, replicasOf(1), 'search')).toThrow(
      new TypeError(
        '[@mcpx/router] group "search": a custom strategy needs a pick function, got undefined',
      ),
    )
  })

  it('rejects a sticky strategy with an invalid key, naming the group', () => {
    const strategy = { type: 'sticky-split', key: 'cookie' } as unknown as BalanceStrategy
    expect(() => createBalancer(strategy, replicasOf(1), 'search')).toThrow(
      /^\[@mcpx\/router\] group "search": the hash key must be/,
    )
  })

  it.each<[string, Replica[], RegExp]>([
    ['no replicas', [], /needs at least one replica/],
    [
      'a duplicate name',
      [...replicasOf(1), ...replicasOf(1)],
      /unique, non-empty strings; got 'a'/,
    ],
    ['a zero weight', replicasOf(0), /replica "a" needs a finite weight > 0; got 0/],
    ['a NaN weight', replicasOf(Number.NaN), /needs a finite weight > 0; got NaN/],
    ['an infinite weight', replicasOf(Number.POSITIVE_INFINITY), /weight > 0; got Infinity/],
  ])('rejects %s with a TypeError naming the group', (_, replicas, message) => {
    expect(() => createBalancer('round-robin', replicas, 'search')).toThrow(TypeError)
    expect(() => createBalancer('round-robin', replicas, 'search')).toThrow(message)
    expect(() => createBalancer('round-robin', replicas, 'search')).toThrow(/group "search"/)
  })

  it('rejects a random option that is not a function', () => {
    expect(() =>
      createBalancer('random', replicasOf(1), 'search', { random: 0.5 as unknown as () => number }),
    ).toThrow(new TypeError('[@mcpx/router] group "search": options.random must be a function'))
  })
})
