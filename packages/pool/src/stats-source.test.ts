import { createStatsRegistry } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import type { PoolState, PoolStats } from './stats.js'
import { poolStatsSource } from './stats-source.js'

/** A PoolStats with a different number in every field, so a swapped field shows. */
const sample = (state: PoolState = 'ready'): PoolStats => ({
  upstream: 'files',
  state,
  connections: 1,
  ready: 2,
  starting: 3,
  backingOff: 4,
  failed: 5,
  inUse: 6,
  idle: 7,
  spares: 8,
  pending: 9,
  inFlight: 10,
  quarantined: 11,
  sessions: 12,
  opened: 13,
  restarts: 14,
  evictions: 15,
  acquireTimeouts: 16,
  rejected: 17,
})

/** The pure adapter needs only a name and stats(): a fake stands in for a Pool. */
const fakePool = (stats: () => PoolStats = () => sample()) => ({ name: 'files', stats })

const numericFields = Object.entries(sample())
  .filter(([, value]) => typeof value === 'number')
  .map(([key]) => key)

describe('poolStatsSource', () => {
  it('reports as kind pool, named after the upstream', () => {
    const source = poolStatsSource({ name: 'math-1', stats: () => sample() })
    expect(source.kind).toBe('pool')
    expect(source.name).toBe('math-1')
  })

  it('describes exactly the keys read() returns', () => {
    const source = poolStatsSource(fakePool())
    expect(Object.keys(source.read()).sort()).toEqual(Object.keys(source.describe).sort())
  })

  it('describes every numeric field of PoolStats, plus up, and nothing else', () => {
    const source = poolStatsSource(fakePool())
    expect(Object.keys(source.describe).sort()).toEqual([...numericFields, 'up'].sort())
  })

  it('reads each numeric field of the snapshot under its own name', () => {
    const stats = sample()
    const values = poolStatsSource(fakePool(() => stats)).read()
    for (const key of numericFields) expect(values[key]).toBe(stats[key as keyof PoolStats])
  })

  it('marks the counters as counters and every other stat as a gauge, as stats.ts documents', () => {
    const source = poolStatsSource(fakePool())
    const kinds = Object.fromEntries(Object.entries(source.describe).map(([k, d]) => [k, d.kind]))
    expect(kinds).toEqual({
      up: 'gauge',
      connections: 'gauge',
      ready: 'gauge',
      starting: 'gauge',
      backingOff: 'gauge',
      failed: 'gauge',
      inUse: 'gauge',
      idle: 'gauge',
      spares: 'gauge',
      pending: 'gauge',
      inFlight: 'gauge',
      quarantined: 'gauge',
      sessions: 'gauge',
      opened: 'counter',
      restarts: 'counter',
      evictions: 'counter',
      acquireTimeouts: 'counter',
      rejected: 'counter',
    })
  })

  it('reads up as 1 when the pool is ready', () => {
    expect(poolStatsSource(fakePool(() => sample('ready'))).read().up).toBe(1)
  })

  it('reads up as 0 in every state but ready', () => {
    const states: PoolState[] = ['starting', 'backing-off', 'failed', 'draining', 'closed']
    for (const state of states) {
      expect(poolStatsSource(fakePool(() => sample(state))).read().up).toBe(0)
    }
  })

  it('takes one fresh snapshot per read', () => {
    let calls = 0
    const source = poolStatsSource(fakePool(() => ({ ...sample(), opened: ++calls })))
    expect(calls).toBe(0)
    expect(source.read().opened).toBe(1)
    expect(source.read().opened).toBe(2)
    expect(calls).toBe(2)
  })

  it('returns only finite numbers', () => {
    const values = Object.values(poolStatsSource(fakePool()).read())
    expect(values.every((value) => Number.isFinite(value))).toBe(true)
  })

  it('is accepted by core’s stats registry (names, kinds and one-line help texts)', () => {
    const stats = createStatsRegistry()
    const source = poolStatsSource(fakePool())
    stats.add(source)
    expect(stats.sources()).toEqual([source])
  })

  it('shares a describe no reader can change', () => {
    const { describe } = poolStatsSource(fakePool())
    expect(Object.isFrozen(describe)).toBe(true)
    expect(Object.values(describe).every((d) => Object.isFrozen(d))).toBe(true)
  })
})
