import { describe, expect, it } from 'vitest'
import type { Replica } from './balancer.js'
import { custom } from './custom.js'
import { contextOf, replicasOf } from './test-fixtures.js'

describe('custom', () => {
  it('returns what pick returns, given the healthy replicas and the context', () => {
    const group = replicasOf(1, 1)
    const ctx = contextOf({ id: 's' })
    const seen: [readonly Replica[], unknown][] = []
    const balancer = custom((healthy, c) => {
      seen.push([healthy, c])
      return healthy[1]!
    }, 'search')
    expect(balancer.pick(group, ctx)).toBe(group[1])
    expect(seen).toEqual([[group, ctx]])
  })

  it('throws naming the group when pick returns a replica that is not healthy', () => {
    const [a, b] = replicasOf(1, 1)
    const balancer = custom(() => b, 'search')
    expect(() => balancer.pick([a], contextOf())).toThrow(
      '[@mcpx/router] group "search": the custom pick returned "b", which is not one of the healthy replicas (a)',
    )
  })

  it('throws when pick returns a look-alike copy rather than an element of healthy', () => {
    const group = replicasOf(1)
    const balancer = custom(() => ({ name: 'a', weight: 1 }), 'search')
    expect(() => balancer.pick(group, contextOf())).toThrow(/group "search"/)
  })

  it('throws naming the group when pick returns nothing', () => {
    const balancer = custom(() => undefined as unknown as Replica, 'search')
    expect(() => balancer.pick(replicasOf(1), contextOf())).toThrow(
      /group "search": the custom pick returned undefined/,
    )
  })

  it('rejects a pick that is not a function, at construction', () => {
    expect(() => custom('a' as never, 'search')).toThrow(
      new TypeError(
        '[@mcpx/router] group "search": a custom strategy needs a pick function, got string',
      ),
    )
  })
})
