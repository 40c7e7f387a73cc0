import { createHealthRegistry } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { CircuitHealth } from '../src/reload-health.js'

describe('CircuitHealth', () => {
  it('frees a replica that a replaced generation left open', () => {
    const circuits = new CircuitHealth(createHealthRegistry())
    const old = {}
    circuits.view(old).report('math-1', 'breaker', 'open')
    expect(circuits.registry.isAvailable('math-1')).toBe(false)
    circuits.reset(old)
    expect(circuits.registry.isAvailable('math-1')).toBe(true)
  })

  it('keeps what the new generation said since, when the old one is reset', () => {
    const circuits = new CircuitHealth(createHealthRegistry())
    const [old, next] = [{}, {}]
    circuits.view(old).report('math-1', 'breaker', 'open')
    circuits.view(next).report('math-1', 'breaker', 'open')
    circuits.reset(old)
    expect(circuits.registry.isAvailable('math-1')).toBe(false)
  })
})
