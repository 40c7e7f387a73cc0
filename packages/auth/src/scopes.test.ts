import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assertScopes, compileGrants, grantsScope, isScopeToken, missingScopes } from './scopes.js'

describe('grantsScope()', () => {
  it.each([
    ['tools:call', 'tools:call', true],
    ['tools:*', 'tools:call', true],
    ['tools:*', 'tools:call:admin', true],
    ['tools:*', 'tools', false],
    ['tools', 'tools:call', false],
    ['tools:call', 'tools', false],
    ['*', 'anything', true],
    ['*', 'math:admin:read', true],
    ['*:read', 'math:read', true],
    ['*:read', 'math:admin:read', false],
    ['*:read', 'math:write', false],
    ['math:*:read', 'math:stats:read', true],
    ['tool*', 'tools', false],
    ['tools:c*', 'tools:call', false],
    ['tools:*', 'tools:*', true],
    ['tools:call', 'tools:*', false],
    ['Tools:call', 'tools:call', false],
  ])('%s grants %s: %s', (granted, required, expected) => {
    expect(grantsScope(granted, required)).toBe(expected)
    expect(compileGrants([granted]).has(required)).toBe(expected)
  })
})

const segment = fc.stringMatching(/^[a-z*]{1,3}$/)
const scope = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(':'))
const literal = fc
  .array(fc.stringMatching(/^[a-z]{1,3}$/), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join(':'))

/** The rule as a RegExp, written independently of the implementation. */
function reference(granted: string, required: string): boolean {
  const parts = granted.split(':')
  const source = parts
    .map((part, i) => {
      if (part !== '*') return part.replace(/[*]/g, '\\*')
      return i === parts.length - 1 ? '[^:]*(?::[^:]*)*' : '[^:]*'
    })
    .join(':')
  return new RegExp(`^${source}$`).test(required)
}

describe('scope matching properties', () => {
  it('every scope grants itself', () => {
    fc.assert(fc.property(scope, (s) => grantsScope(s, s)))
  })

  it('`*` alone grants every scope', () => {
    fc.assert(fc.property(scope, (s) => grantsScope('*', s) && compileGrants(['*']).has(s)))
  })

  it('a grant without a `*` segment grants only the identical scope', () => {
    fc.assert(fc.property(literal, literal, (g, r) => grantsScope(g, r) === (g === r)))
  })

  it('`prefix:*` grants every scope below prefix and never prefix itself', () => {
    fc.assert(
      fc.property(literal, literal, (prefix, rest) => {
        return (
          grantsScope(`${prefix}:*`, `${prefix}:${rest}`) && !grantsScope(`${prefix}:*`, prefix)
        )
      }),
    )
  })

  it('agrees with a RegExp model of the rule', () => {
    fc.assert(fc.property(scope, scope, (g, r) => grantsScope(g, r) === reference(g, r)))
  })

  it('compiled grants agree with checking each grant', () => {
    fc.assert(
      fc.property(fc.array(scope, { maxLength: 5 }), scope, (granted, required) => {
        const expected = granted.some((g) => grantsScope(g, required))
        return compileGrants(granted).has(required) === expected
      }),
    )
  })

  it('a wildcard never lets a grant reach a scope with a different literal segment', () => {
    fc.assert(
      fc.property(literal, literal, (a, b) => {
        fc.pre(a.split(':')[0] !== b.split(':')[0])
        const head = a.split(':')[0]
        return !grantsScope(`${head}:*`, b)
      }),
    )
  })
})

describe('missingScopes()', () => {
  it('lists the required scopes not granted, in order', () => {
    expect(missingScopes(['tools:*', 'math:read'], ['admin', 'tools:call', 'math:write'])).toEqual([
      'admin',
      'math:write',
    ])
  })

  it('ignores granted values that are not strings', () => {
    expect(missingScopes([42 as never, 'a'], ['a', 'b'])).toEqual(['b'])
  })
})

describe('scope tokens', () => {
  it('accepts RFC 6749 scope tokens and refuses spaces, quotes, backslashes and empty strings', () => {
    expect(isScopeToken('tools:call')).toBe(true)
    expect(isScopeToken('https://mcp.example.com/read')).toBe(true)
    for (const bad of ['', 'a b', 'a"b', 'a\\b', 'é', 3]) expect(isScopeToken(bad)).toBe(false)
  })

  it('assertScopes throws a TypeError naming the caller', () => {
    expect(() => assertScopes(['ok', 'not ok'], 'requireScopes()')).toThrow(/requireScopes\(\)/)
    expect(assertScopes(['a', 'a', 'b'], 'x')).toEqual(['a', 'b'])
  })
})
