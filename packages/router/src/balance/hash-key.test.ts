import { describe, expect, it } from 'vitest'
import type { HashKey } from './balancer.js'
import { hashKey } from './hash-key.js'
import { contextOf } from './test-fixtures.js'

describe('hashKey', () => {
  it("reads 'session' from the session id", () => {
    expect(hashKey('session', 'g')(contextOf({ id: 'sess-1' }))).toBe('sess-1')
  })

  it("reads 'principal' from the authenticated subject", () => {
    const ctx = contextOf({}, { subject: 'alice', scopes: [] })
    expect(hashKey('principal', 'g')(ctx)).toBe('alice')
    expect(hashKey('principal', 'g')(contextOf())).toBeUndefined()
  })

  it("reads 'client-address' from the remote address", () => {
    expect(hashKey('client-address', 'g')(contextOf({ remoteAddress: '10.0.0.7' }))).toBe(
      '10.0.0.7',
    )
  })

  it('reads a header by its lower-case name, whatever case the option uses', () => {
    const ctx = contextOf({ headers: { 'x-tenant': 'acme' } })
    expect(hashKey({ header: 'X-Tenant' }, 'g')(ctx)).toBe('acme')
  })

  it('takes the first value of a repeated header', () => {
    const ctx = contextOf({ headers: { 'x-tenant': ['acme', 'other'] } })
    expect(hashKey({ header: 'x-tenant' }, 'g')(ctx)).toBe('acme')
  })

  it('calls a function key with the context', () => {
    const ctx = contextOf({ transport: 'stdio' })
    expect(hashKey((c) => c.session.transport, 'g')(ctx)).toBe('stdio')
  })

  it('reads an empty or missing value as no key', () => {
    expect(hashKey('session', 'g')(contextOf({ id: '' }))).toBeUndefined()
    expect(hashKey({ header: 'x-tenant' }, 'g')(contextOf({ headers: {} }))).toBeUndefined()
    expect(hashKey({ header: 'x-tenant' }, 'g')(contextOf())).toBeUndefined()
    expect(hashKey(() => 42 as unknown as string, 'g')(contextOf())).toBeUndefined()
  })

  it.each([
    ['an unknown name', 'cookie'],
    ['a header without a name', { header: '' }],
    ['null', null],
  ])('rejects %s with a TypeError naming the group', (_, key) => {
    expect(() => hashKey(key as HashKey, 'search')).toThrow(TypeError)
    expect(() => hashKey(key as HashKey, 'search')).toThrow(
      /^\[@mcpx\/router\] group "search": the hash key must be 'session', 'principal', 'client-address', \{ header: string \} or a function/,
    )
  })
})
