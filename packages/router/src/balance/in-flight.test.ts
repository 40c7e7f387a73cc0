import { describe, expect, it } from 'vitest'
import { inFlight, lessLoaded } from './in-flight.js'
import { replicasOf } from './test-fixtures.js'

describe('inFlight', () => {
  it('counts starts minus ends per replica', () => {
    const [a, b] = replicasOf(1, 1)
    const load = inFlight([a, b])
    load.start(a)
    load.start(a)
    load.start(b)
    load.end(a)
    expect([load.count(a), load.count(b)]).toEqual([1, 1])
  })

  it('never goes below zero on an end without its start', () => {
    const [a] = replicasOf(1)
    const load = inFlight([a])
    load.end(a)
    load.start(a)
    expect(load.count(a)).toBe(1)
  })

  it('ignores replicas outside the group, so its table never grows', () => {
    const [a] = replicasOf(1)
    const load = inFlight([a])
    const stranger = { name: 'stranger', weight: 1 }
    load.start(stranger)
    expect(load.count(stranger)).toBe(0)
  })

  it('compares load per unit of weight', () => {
    const [a, b] = replicasOf(2, 1)
    const load = inFlight([a, b])
    load.start(a)
    load.start(b)
    expect(lessLoaded(load, a, b)).toBe(true)
    expect(lessLoaded(load, b, a)).toBe(false)
  })
})
