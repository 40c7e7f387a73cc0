import { seededRandom } from '@mcpx/test-utils'
import { describe, expect, it } from 'vitest'
import type { Balancer, HashKey, Replica } from './balancer.js'
import { rendezvous } from './consistent-hash.js'
import { stickySplit } from './sticky-split.js'
import { clientContext, contextOf, replicasOf, tally } from './test-fixtures.js'

const noRandom = () => {
  throw new Error('a keyed pick must not draw at random')
}
const CLIENTS = 10_000
const clients = Array.from({ length: CLIENTS }, (_, i) => clientContext(i))
const canaryOf = (stable: number, canary: number) => {
  const group = [
    { name: 'stable', weight: stable },
    { name: 'canary', weight: canary },
  ]
  return { group, balancer: stickySplit(group, 'client-address', 'search', noRandom) }
}
const onCanary = ({ group, balancer }: { group: Replica[]; balancer: Balancer }) =>
  new Set(clients.filter((ctx) => balancer.pick(group, ctx).name === 'canary'))

describe('stickySplit', () => {
  it('gives a 10% canary 10% ± 1% of 10,000 clients', () => {
    const canary = onCanary(canaryOf(90, 10))
    expect(Math.abs(canary.size / CLIENTS - 0.1)).toBeLessThanOrEqual(0.01)
  })

  it('sends each client to the same side on every pick', () => {
    const { group, balancer } = canaryOf(90, 10)
    for (const ctx of clients.slice(0, 1_000)) {
      const side = balancer.pick(group, ctx)
      for (let i = 0; i < 3; i++) expect(balancer.pick(group, ctx)).toBe(side)
    }
  })

  it('keeps every canary client on the canary when the canary grows from 10 to 20', () => {
    const before = onCanary(canaryOf(90, 10))
    for (const after of [onCanary(canaryOf(80, 20)), onCanary(canaryOf(90, 20))]) {
      for (const ctx of before) expect(after.has(ctx)).toBe(true)
      expect(after.size).toBeGreaterThan(before.size)
    }
    expect(Math.abs(onCanary(canaryOf(80, 20)).size / CLIENTS - 0.2)).toBeLessThanOrEqual(0.01)
  })

  it('keeps a canary declared first on its clients as it grows', () => {
    const first = (canary: number, stable: number) => {
      const group = [
        { name: 'canary', weight: canary },
        { name: 'stable', weight: stable },
      ]
      return { group, balancer: stickySplit(group, 'client-address', 'search', noRandom) }
    }
    const before = onCanary(first(10, 90))
    const after = onCanary(first(20, 80))
    for (const ctx of before) expect(after.has(ctx)).toBe(true)
  })

  it.each<[string, HashKey, (value: string) => ReturnType<typeof contextOf>]>([
    ['session', 'session', (id) => contextOf({ id })],
    ['principal', 'principal', (subject) => contextOf({}, { subject, scopes: [] })],
    ['client-address', 'client-address', (remoteAddress) => contextOf({ remoteAddress })],
    ['header', { header: 'x-user' }, (user) => contextOf({ headers: { 'x-user': user } })],
  ])('keys on the %s: one side per value, both sides across values', (_, key, ctxFor) => {
    const group = replicasOf(50, 50)
    const balancer = stickySplit(group, key, 'search', noRandom)
    const sides = Array.from({ length: 200 }, (_, i) => {
      const side = balancer.pick(group, ctxFor(`user-${i}`))
      expect(balancer.pick(group, ctxFor(`user-${i}`))).toBe(side)
      return side.name
    })
    expect(new Set(sides)).toEqual(new Set(['a', 'b']))
  })

  it('falls back to a weighted random replica when the message has no key', () => {
    const group = replicasOf(90, 10)
    const balancer = stickySplit(group, 'session', 'search', seededRandom(7))
    const counts = tally(Array.from({ length: 10_000 }, () => balancer.pick(group, contextOf())))
    expect(Math.abs(counts.b! / 10_000 - 0.1)).toBeLessThanOrEqual(0.015)
  })

  it('sends the keys of an unhealthy owner to the rendezvous winner among the healthy', () => {
    const group = replicasOf(1, 1, 1)
    const [a, b, c] = group
    const balancer = stickySplit(group, 'client-address', 'search', noRandom)
    let moved = 0
    for (const ctx of clients.slice(0, 3_000)) {
      const owner = balancer.pick(group, ctx)
      const now = balancer.pick([a, c], ctx)
      if (owner === b) {
        moved++
        expect(now).toBe(rendezvous([a, c], ctx.session.remoteAddress!))
      } else expect(now).toBe(owner)
    }
    expect(moved).toBeGreaterThan(0)
  })
})
