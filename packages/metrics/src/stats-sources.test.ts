import { createStatsRegistry, type StatsSource } from '@mcpx/core'
import { describe, expect, it, vi } from 'vitest'
import { parseExposition } from '../test/parse-exposition.js'
import { metrics } from './metrics.js'
import { createMetricsRegistry } from './registry.js'
import { statFamilyName } from './stats-sources.js'

const pool = (name: string, inFlight: number): StatsSource => ({
  kind: 'pool',
  name,
  describe: {
    inFlight: { kind: 'gauge', help: 'Requests in flight.' },
    acquireTimeouts: { kind: 'counter', help: 'Leases that timed out.' },
  },
  read: () => ({ inFlight, acquireTimeouts: 2 }),
})

describe('statFamilyName', () => {
  it('is mcpx_<kind>_<snake_case stat>, _total on a counter', () => {
    expect(statFamilyName('pool', 'inFlight', 'gauge')).toBe('mcpx_pool_in_flight')
    expect(statFamilyName('pool', 'acquireTimeouts', 'counter')).toBe(
      'mcpx_pool_acquire_timeouts_total',
    )
    expect(statFamilyName('breaker', 'halfOpen', 'gauge')).toBe('mcpx_breaker_half_open')
    expect(statFamilyName('cache', 'storeErrors', 'counter')).toBe('mcpx_cache_store_errors_total')
    expect(statFamilyName('x', 'opensTotal', 'counter')).toBe('mcpx_x_opens_total')
  })
})

describe('the stats sources in the exposition', () => {
  it('writes one family per kind and stat, a sample per source labelled name', () => {
    const statsRegistry = createStatsRegistry()
    statsRegistry.add(pool('math', 3))
    statsRegistry.add({
      kind: 'breaker',
      name: 'math',
      describe: { halfOpen: { kind: 'gauge', help: 'Half-open.' } },
      read: () => ({ halfOpen: 0 }),
    })
    statsRegistry.add(pool('docs "main"', 1))
    const m = metrics({ statsRegistry })
    const families = parseExposition(m.exposition())
    const of = (name: string) => families.find((f) => f.name === name)
    expect(of('mcpx_pool_in_flight')).toEqual({
      name: 'mcpx_pool_in_flight',
      type: 'gauge',
      help: 'Requests in flight.',
      samples: [
        { name: 'mcpx_pool_in_flight', labels: { name: 'math' }, value: 3 },
        { name: 'mcpx_pool_in_flight', labels: { name: 'docs "main"' }, value: 1 },
      ],
    })
    expect(of('mcpx_pool_acquire_timeouts_total')?.type).toBe('counter')
    expect(of('mcpx_breaker_half_open')?.samples).toHaveLength(1)
  })

  it('reads a source at each scrape, and leaves out one that throws, with a line', () => {
    const statsRegistry = createStatsRegistry()
    let reads = 0
    statsRegistry.add({
      ...pool('math', 1),
      read: () => ({ inFlight: ++reads, acquireTimeouts: 0 }),
    })
    statsRegistry.add({
      ...pool('docs', 1),
      read: () => {
        throw new Error('closed')
      },
    })
    const log = vi.fn()
    const m = metrics({ statsRegistry, log })
    expect(reads).toBe(0)
    m.exposition()
    const text = m.exposition()
    expect(text).toContain('mcpx_pool_in_flight{name="math"} 2\n')
    expect(text).not.toContain('name="docs"')
    expect(log).toHaveBeenCalledWith('stats source pool "docs" failed to read (closed); left out')
  })

  it('leaves out a source whose read() returns no object, and still writes the others', () => {
    const statsRegistry = createStatsRegistry()
    statsRegistry.add(pool('math', 1))
    statsRegistry.add({ ...pool('docs', 1), read: () => null as never })
    const log = vi.fn()
    const m = metrics({ statsRegistry, log })
    expect(m.exposition()).toContain('mcpx_pool_in_flight{name="math"} 1\n')
    expect(m.getStats().sources.pool).toEqual({ math: { inFlight: 1, acquireTimeouts: 2 } })
    expect(log).toHaveBeenCalledWith(
      'stats source pool "docs" failed to read (read() returned null, not an object); left out',
    )
  })

  it('never writes one series twice: stats that are one family name for one source name', () => {
    const statsRegistry = createStatsRegistry()
    statsRegistry.add({
      kind: 'pool',
      name: 'a',
      describe: {
        inUse: { kind: 'gauge', help: 'In use.' },
        in_use: { kind: 'gauge', help: 'In use, again.' },
      },
      read: () => ({ inUse: 1, in_use: 2 }),
    })
    statsRegistry.add({
      kind: 'pool_in',
      name: 'a',
      describe: { use: { kind: 'gauge', help: 'Use.' } },
      read: () => ({ use: 3 }),
    })
    const log = vi.fn()
    const m = metrics({ statsRegistry, log })
    const text = m.exposition()
    expect(text.match(/^mcpx_pool_in_use\{name="a"\} /gm)).toEqual(['mcpx_pool_in_use{name="a"} '])
    expect(text).toContain('mcpx_pool_in_use{name="a"} 1\n')
    m.exposition()
    expect(log).toHaveBeenCalledTimes(1)
  })

  it('leaves out values that are not finite numbers', () => {
    const statsRegistry = createStatsRegistry()
    statsRegistry.add({
      ...pool('math', 1),
      read: () => ({ inFlight: Number.NaN, acquireTimeouts: 'x' as never }),
    })
    const text = metrics({ statsRegistry }).exposition()
    expect(text).not.toContain('{name="math"}')
    expect(() => parseExposition(text)).not.toThrow()
  })

  it('never writes a family twice: a name the registry has wins, and a stat of the other type is left out', () => {
    const registry = createMetricsRegistry()
    registry.gauge({ name: 'mcpx_pool_in_flight', help: 'Mine.' })
    const statsRegistry = createStatsRegistry()
    statsRegistry.add(pool('math', 3))
    statsRegistry.add({
      kind: 'pool',
      name: 'other-shape',
      describe: {
        inFlight: { kind: 'counter', help: 'A counter here.' },
        acquireTimeouts: { kind: 'gauge', help: 'G.' },
      },
      read: () => ({ inFlight: 1, acquireTimeouts: 1 }),
    })
    const text = metrics({ registry, statsRegistry }).exposition()
    const families = parseExposition(text)
    expect(families.find((f) => f.name === 'mcpx_pool_in_flight')?.help).toBe('Mine.')
    expect(
      families.find((f) => f.name === 'mcpx_pool_acquire_timeouts_total')?.samples,
    ).toHaveLength(1)
    // The counter-typed inFlight becomes its own family (_total), the gauge acquireTimeouts its own.
    expect(families.find((f) => f.name === 'mcpx_pool_in_flight_total')?.type).toBe('counter')
    expect(families.find((f) => f.name === 'mcpx_pool_acquire_timeouts')?.type).toBe('gauge')
  })

  it('shows a source added after metrics() was made, and drops one removed', () => {
    const statsRegistry = createStatsRegistry()
    const m = metrics({ statsRegistry })
    const remove = statsRegistry.add(pool('late', 1))
    expect(m.exposition()).toContain('{name="late"}')
    remove()
    expect(m.exposition()).not.toContain('{name="late"}')
  })
})
