import { describe, expect, it } from 'vitest'
import { createStatsRegistry, type StatsSource } from './stats.js'

const source = (overrides: Partial<StatsSource> = {}): StatsSource => ({
  kind: 'pool',
  name: 'files',
  describe: {
    inFlight: { kind: 'gauge', help: 'Requests in flight.' },
    opened: { kind: 'counter', help: 'Connections opened.' },
  },
  read: () => ({ inFlight: 2, opened: 5 }),
  ...overrides,
})

describe('createStatsRegistry', () => {
  it('starts with no sources', () => {
    expect(createStatsRegistry().sources()).toEqual([])
  })

  it('lists sources in registration order, as the objects added', () => {
    const stats = createStatsRegistry()
    const files = source()
    const math = source({ name: 'math' })
    const breaker = source({ kind: 'breaker' })
    stats.add(files)
    stats.add(math)
    stats.add(breaker)
    const listed = stats.sources()
    expect(listed).toHaveLength(3)
    expect(listed[0]).toBe(files)
    expect(listed[1]).toBe(math)
    expect(listed[2]).toBe(breaker)
  })

  it('never calls read() itself', () => {
    let reads = 0
    const stats = createStatsRegistry()
    stats.add(source({ read: () => ({ inFlight: reads++, opened: 0 }) }))
    stats.sources()
    expect(reads).toBe(0)
  })

  it('removes a source with the function add() returned', () => {
    const stats = createStatsRegistry()
    const remove = stats.add(source())
    const math = source({ name: 'math' })
    stats.add(math)
    remove()
    expect(stats.sources()).toEqual([math])
  })

  it('returns a fresh list, so a removal does not change one already read', () => {
    const stats = createStatsRegistry()
    const remove = stats.add(source())
    const before = stats.sources()
    remove()
    expect(before).toHaveLength(1)
    expect(stats.sources()).toHaveLength(0)
  })

  it('refuses a second source with the same kind and name', () => {
    const stats = createStatsRegistry()
    stats.add(source())
    expect(() => stats.add(source())).toThrow(
      new TypeError('[@mcpx/core] stats source pool "files" is already registered'),
    )
  })

  it('accepts the same name under another kind, and the same kind under another name', () => {
    const stats = createStatsRegistry()
    stats.add(source())
    stats.add(source({ kind: 'breaker' }))
    stats.add(source({ name: 'math' }))
    expect(stats.sources()).toHaveLength(3)
  })

  it('accepts a kind and name again once removed, at the end of the order', () => {
    const stats = createStatsRegistry()
    const remove = stats.add(source())
    stats.add(source({ name: 'math' }))
    remove()
    const again = source()
    stats.add(again)
    expect(stats.sources().map((s) => s.name)).toEqual(['math', 'files'])
    expect(stats.sources()[1]).toBe(again)
  })

  it('makes a second call of a remover do nothing, even after the same kind and name came back', () => {
    const stats = createStatsRegistry()
    const remove = stats.add(source())
    remove()
    const again = source()
    stats.add(again)
    remove()
    expect(stats.sources()).toEqual([again])
  })

  it('refuses a kind that is not lower-case letters, digits and _', () => {
    const stats = createStatsRegistry()
    for (const kind of ['', 'Pool', '1pool', 'rate-limit', 'pool:x', 7 as unknown as string]) {
      expect(() => stats.add(source({ kind }))).toThrow(
        /\[@mcpx\/core\] stats source kind must match/,
      )
    }
  })

  it('accepts a kind with digits and _ after its first letter', () => {
    expect(() => createStatsRegistry().add(source({ kind: 'rate_limit2' }))).not.toThrow()
  })

  it('refuses an empty name', () => {
    expect(() => createStatsRegistry().add(source({ name: '' }))).toThrow(
      new TypeError('[@mcpx/core] stats source "pool" needs a non-empty name'),
    )
  })

  it('refuses a name that is not a string', () => {
    expect(() =>
      createStatsRegistry().add(source({ name: undefined as unknown as string })),
    ).toThrow(/needs a non-empty name/)
  })

  it('refuses a describe that is not a plain object', () => {
    for (const describe of [null, [], 'inFlight', undefined]) {
      expect(() =>
        createStatsRegistry().add(
          source({ describe: describe as unknown as StatsSource['describe'] }),
        ),
      ).toThrow(new TypeError('[@mcpx/core] stats source pool "files": describe must be an object'))
    }
  })

  it('refuses a stat name that does not start with a lower-case letter or has other characters', () => {
    for (const stat of ['InFlight', '_x', '1x', 'in-flight', 'in flight', '']) {
      const describe = { [stat]: { kind: 'gauge', help: 'A number.' } } as const
      expect(() => createStatsRegistry().add(source({ describe }))).toThrow(
        `stat name ${JSON.stringify(stat)} must match`,
      )
    }
  })

  it('accepts camelCase and snake_case stat names', () => {
    const describe = {
      acquireTimeouts: { kind: 'counter', help: 'Leases that timed out.' },
      in_flight: { kind: 'gauge', help: 'Requests in flight.' },
    } as const
    expect(() => createStatsRegistry().add(source({ describe }))).not.toThrow()
  })

  it('refuses a stat of unknown kind', () => {
    const describe = { latency: { kind: 'histogram', help: 'Call latency.' } }
    expect(() =>
      createStatsRegistry().add(
        source({ describe: describe as unknown as StatsSource['describe'] }),
      ),
    ).toThrow(
      new TypeError(
        '[@mcpx/core] stats source pool "files": stat latency has unknown kind "histogram" (gauge or counter)',
      ),
    )
  })

  it('refuses a stat whose description is missing', () => {
    const describe = { inFlight: null }
    expect(() =>
      createStatsRegistry().add(
        source({ describe: describe as unknown as StatsSource['describe'] }),
      ),
    ).toThrow(/stat inFlight has unknown kind undefined/)
  })

  it('refuses a stat whose help is empty or spans lines', () => {
    for (const help of ['', 'Requests\nin flight.', undefined]) {
      const describe = { inFlight: { kind: 'gauge', help } }
      expect(() =>
        createStatsRegistry().add(
          source({ describe: describe as unknown as StatsSource['describe'] }),
        ),
      ).toThrow('stat inFlight needs a one-line help text')
    }
  })

  it('refuses a source without a read function', () => {
    expect(() =>
      createStatsRegistry().add(source({ read: undefined as unknown as StatsSource['read'] })),
    ).toThrow(new TypeError('[@mcpx/core] stats source pool "files": read must be a function'))
  })

  it('refuses something that is not an object', () => {
    expect(() => createStatsRegistry().add(null as unknown as StatsSource)).toThrow(
      new TypeError('[@mcpx/core] stats source must be an object'),
    )
  })

  it('registers nothing when it refuses a source', () => {
    const stats = createStatsRegistry()
    expect(() => stats.add(source({ name: '' }))).toThrow(TypeError)
    expect(stats.sources()).toEqual([])
  })
})
