import { describe, expect, it } from 'vitest'
import { createHealthRegistry, type HealthChange } from './health.js'

describe('createHealthRegistry', () => {
  it('treats a replica nobody reported on as available', () => {
    expect(createHealthRegistry().isAvailable('math-1')).toBe(true)
  })

  it('makes a replica unavailable while any writer says unhealthy or open', () => {
    const health = createHealthRegistry()
    health.report('math-1', 'pool', 'ready')
    health.report('math-1', 'breaker', 'open')
    expect(health.isAvailable('math-1')).toBe(false)
    health.report('math-1', 'breaker', 'half-open')
    expect(health.isAvailable('math-1')).toBe(true)
    health.report('math-1', 'pool', 'unhealthy')
    expect(health.isAvailable('math-1')).toBe(false)
  })

  it('reports each change of availability once, not every report', () => {
    const health = createHealthRegistry()
    const changes: HealthChange[] = []
    health.onChange((change) => changes.push(change))
    health.report('a', 'pool', 'unhealthy')
    health.report('a', 'breaker', 'open')
    health.report('a', 'pool', 'ready')
    health.report('a', 'breaker', 'ready')
    expect(changes).toEqual([
      { upstream: 'a', available: false },
      { upstream: 'a', available: true },
    ])
  })

  it('keeps each writer’s latest word and stops calling a removed listener', () => {
    const health = createHealthRegistry()
    const changes: HealthChange[] = []
    const off = health.onChange((change) => changes.push(change))
    health.report('a', 'pool', 'ready')
    health.report('a', 'pool', 'unhealthy')
    off()
    health.report('a', 'pool', 'ready')
    expect(health.statusOf('a')).toEqual({ pool: 'ready' })
    expect(changes).toHaveLength(1)
  })
})
