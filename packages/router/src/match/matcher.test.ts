import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { glob } from './glob.js'
import { createMatcher, type MatcherEntry } from './matcher.js'

/** The rule, by brute force: every matching entry, sorted, the first one. */
function bruteForce<T>(entries: readonly MatcherEntry<T>[], name: string): T | undefined {
  return entries
    .map((entry, index) => ({ entry, index, g: glob(entry.pattern) }))
    .filter(({ g }) => g.test(name))
    .sort(
      (a, b) =>
        (b.entry.priority ?? 0) - (a.entry.priority ?? 0) ||
        b.g.specificity - a.g.specificity ||
        a.index - b.index,
    )[0]?.entry.value
}

describe('createMatcher resolution', () => {
  it('returns the value of the only matching entry, and undefined when none matches', () => {
    const m = createMatcher([
      { pattern: 'math_*', value: 'math' },
      { pattern: 'data://reports/*', value: 'reports' },
    ])
    expect(m.match('math_add')).toBe('math')
    expect(m.match('data://reports/q1')).toBe('reports')
    expect(m.match('data://reports/2024/q1')).toBeUndefined()
    expect(m.match('weather')).toBeUndefined()
    expect(createMatcher([]).match('anything')).toBeUndefined()
  })

  it('prefers an exact name over any pattern of the same priority', () => {
    const m = createMatcher([
      { pattern: 'math_*', value: 'pattern' },
      { pattern: 'math_admin', value: 'exact' },
      { pattern: '**', value: 'catch-all' },
    ])
    expect(m.match('math_admin')).toBe('exact')
    expect(m.match('math_add')).toBe('pattern')
    expect(m.match('other')).toBe('catch-all')
  })

  it('lets a higher priority beat a more specific pattern, exact names included', () => {
    const m = createMatcher([
      { pattern: 'math_admin', value: 'exact' },
      { pattern: 'math_a*', value: 'specific' },
      { pattern: '*', value: 'broad', priority: 1 },
    ])
    expect(m.match('math_admin')).toBe('broad')
    expect(m.match('math_add')).toBe('broad')
    expect(m.match('a/b')).toBeUndefined()
  })

  it('lets a lower priority lose even to a less specific pattern', () => {
    const m = createMatcher([
      { pattern: 'math_add', value: 'exact', priority: -1 },
      { pattern: 'math_*', value: 'pattern' },
    ])
    expect(m.match('math_add')).toBe('pattern')
  })

  it('lets specificity beat declaration order among equal priorities', () => {
    const m = createMatcher([
      { pattern: 'team_*', value: 'team' },
      { pattern: '*_admin', value: 'admin' },
      { pattern: 'team_*_admin', value: 'team admin' },
      { pattern: 'team_?*', value: 'team, one or more' },
    ])
    expect(m.match('team_x_admin')).toBe('team admin')
    expect(m.match('team_x')).toBe('team, one or more')
    expect(m.match('team_')).toBe('team')
    expect(m.match('ops_admin')).toBe('admin')
  })

  it('breaks ties by declaration order: the first equal entry wins', () => {
    const m = createMatcher([
      { pattern: 'a*', value: 'first' },
      { pattern: '*b', value: 'second' },
      { pattern: 'a*', value: 'third' },
      { pattern: 'x', value: 'x first' },
      { pattern: 'x', value: 'x second' },
    ])
    expect(m.match('ab')).toBe('first')
    expect(m.match('x')).toBe('x first')
  })

  it('finds the best among several patterns that share a literal head or tail', () => {
    const m = createMatcher([
      { pattern: 'svc_*', value: 'any svc' },
      { pattern: 'svc_*_v1', value: 'v1' },
      { pattern: 'svc_*_v?', value: 'any version' },
      { pattern: 'svc_**', value: 'deep', priority: -1 },
      { pattern: '*_v2', value: 'tail v2' },
      { pattern: '**_v2', value: 'deep tail v2' },
      { pattern: '*_*', value: 'rest' },
    ])
    expect(m.match('svc_list_v1')).toBe('v1')
    expect(m.match('svc_list_v2')).toBe('any version')
    expect(m.match('svc_list')).toBe('any svc')
    expect(m.match('svc_a/b')).toBe('deep')
    expect(m.match('ops_list_v2')).toBe('tail v2')
    expect(m.match('ops/list_v2')).toBe('deep tail v2')
    expect(m.match('ops_list')).toBe('rest')
  })

  it('tells apart alternatives that carry their own capture groups', () => {
    // Each has a middle part with a `*` (an atomic search: one capture group).
    const entries = ['x**a*b**1', 'x**c*d**2', 'x**e*f**g*h**3', 'x**'].map((pattern, value) => ({
      pattern,
      value,
    }))
    const m = createMatcher(entries, { memo: 0 })
    for (const name of ['x/a-b/1', 'x/c-d/2', 'x/e-f/g-h/3', 'x/c-d/1', 'x/a/b/1', 'x/e-f/3'])
      expect(m.match(name), name).toBe(bruteForce(entries, name))
    expect(m.match('x/e-f/g-h/3')).toBe(2)
  })

  it('returns falsy values as they are', () => {
    const m = createMatcher<number | string | undefined>([
      { pattern: 'zero*', value: 0 },
      { pattern: 'empty*', value: '' },
      { pattern: 'none*', value: undefined },
    ])
    for (let round = 0; round < 2; round++) {
      expect(m.match('zero_1')).toBe(0)
      expect(m.match('empty_1')).toBe('')
      expect(m.match('none_1')).toBeUndefined()
    }
  })

  it('answers undefined for a name that is not a string', () => {
    const m = createMatcher([{ pattern: '**', value: 'all' }])
    expect(m.match(undefined as unknown as string)).toBeUndefined()
    expect(m.match(42 as unknown as string)).toBeUndefined()
  })

  it('does not touch the entries it was given', () => {
    const entries = Object.freeze([Object.freeze({ pattern: 'a*', value: 1, priority: 2 })])
    expect(createMatcher(entries).match('ab')).toBe(1)
  })
})

describe('createMatcher memo', () => {
  const entries = [
    { pattern: 'team*', value: 'team' },
    { pattern: 'tool', value: 'tool' },
  ]

  it('remembers pattern hits and misses, up to its bound, evicting the oldest', () => {
    const m = createMatcher(entries, { memo: 2 })
    expect(m.match('team1')).toBe('team')
    expect(m.match('nothing')).toBeUndefined()
    expect(m.memoSize).toBe(2)
    expect(m.match('team2')).toBe('team')
    expect(m.memoSize).toBe(2)
    expect(m.match('nothing')).toBeUndefined()
    expect(m.match('team1')).toBe('team')
    expect(m.memoSize).toBe(2)
  })

  it('leaves the memo alone for a match that asks it to (a catalog sweep)', () => {
    const m = createMatcher(entries, { memo: 2 })
    expect(m.match('team1', false)).toBe('team')
    expect(m.memoSize).toBe(0)
  })

  it('does not memoize exact hits, which are one map lookup anyway', () => {
    const m = createMatcher(entries)
    expect(m.match('tool')).toBe('tool')
    expect(m.memoSize).toBe(0)
  })

  it('does not memoize names over 512 characters', () => {
    const m = createMatcher(entries)
    expect(m.match(`team${'x'.repeat(509)}`)).toBe('team')
    expect(m.memoSize).toBe(0)
    expect(m.match(`team${'x'.repeat(508)}`)).toBe('team')
    expect(m.memoSize).toBe(1)
  })

  it('holds nothing with memo 0', () => {
    const m = createMatcher(entries, { memo: 0 })
    expect(m.match('team1')).toBe('team')
    expect(m.match('other')).toBeUndefined()
    expect(m.memoSize).toBe(0)
  })

  it('defaults to 1,000 names', () => {
    const m = createMatcher(entries)
    for (let i = 0; i < 1500; i++) m.match(`name${i}`)
    expect(m.memoSize).toBe(1000)
  })
})

describe('createMatcher validation', () => {
  it.each([
    ['a non-array', 'x', /entries must be an array/],
    ['an entry that is not an object', [null], /entries\[0\]: must be an object/],
    [
      'an empty pattern',
      [{ pattern: '', value: 1 }],
      /entries\[0\]: pattern must be a non-empty string/,
    ],
    ['a pattern that is not a string', [{ pattern: 7, value: 1 }], /entries\[0\]: pattern must be/],
    [
      'a pattern over 1,024 characters',
      [
        { pattern: 'a', value: 1 },
        { pattern: 'a'.repeat(1025), value: 1 },
      ],
      /entries\[1\]: pattern is longer than 1024/,
    ],
    [
      'a pattern ending in a lone backslash',
      [
        { pattern: 'a', value: 1 },
        { pattern: 'a', value: 1 },
        { pattern: 'x\\', value: 1 },
      ],
      /entries\[2\]: glob "x\\\\": ends in a lone backslash/,
    ],
    [
      'a NaN priority',
      [{ pattern: 'a', value: 1, priority: Number.NaN }],
      /entries\[0\]: priority must be a finite number/,
    ],
    [
      'an infinite priority',
      [{ pattern: 'a', value: 1, priority: Number.POSITIVE_INFINITY }],
      /priority must be/,
    ],
    ['a string priority', [{ pattern: 'a', value: 1, priority: '1' }], /priority must be/],
  ])('rejects %s with a TypeError', (_what, entries, message) => {
    const build = () => createMatcher(entries as MatcherEntry<number>[])
    expect(build).toThrow(TypeError)
    expect(build).toThrow(message)
  })

  it.each([-1, 1.5, Number.NaN, '10'])('rejects memo %s with a TypeError', (memo) => {
    expect(() => createMatcher([], { memo: memo as number })).toThrow(
      new TypeError('[@mcpx/router] matcher memo must be a non-negative integer'),
    )
  })
})

describe('createMatcher on hostile names', () => {
  it('answers a long near-miss against many backtracking-prone patterns quickly', () => {
    const entries = Array.from({ length: 200 }, (_, i) => ({
      pattern: ['*_*_*_x', `a${i}*a*a*b`, `**a*a*a*${i}`, `*a**a*a*b${i}`][i % 4] as string,
      value: i,
    }))
    const m = createMatcher(entries, { memo: 0 })
    expect(m.match('_'.repeat(20_000))).toBeUndefined()
    expect(m.match(`a4${'a'.repeat(20_000)}`)).toBeUndefined()
    expect(m.match(`${'a'.repeat(20_000)}/`)).toBeUndefined()
  }, 5_000)
})

describe('createMatcher properties', () => {
  const char = fc.constantFrom('a', 'b', '_', '/')
  const literal = fc.array(char, { minLength: 1, maxLength: 3 }).map((cs) => cs.join(''))
  const general = fc
    .array(fc.oneof(char, fc.constantFrom('*', '**', '?')), { minLength: 1, maxLength: 6 })
    .map((cs) => cs.join(''))
  const pattern = fc.oneof(
    literal,
    literal.map((l) => `${l}*`),
    literal.map((l) => `${l}**`),
    literal.map((l) => `*${l}`),
    literal.map((l) => `**${l}`),
    general,
  )
  const entry = fc.record(
    { pattern, priority: fc.constantFrom(undefined, -1, 0, 0, 1, 2) },
    { requiredKeys: ['pattern'] },
  )
  const entries = fc
    .array(entry, { maxLength: 25 })
    .map((list) => list.map((e, value) => ({ ...e, value })))
  const name = fc.array(char, { maxLength: 7 }).map((cs) => cs.join(''))

  it('resolves every name like the brute-force rule, with the memo on and off', () => {
    fc.assert(
      fc.property(entries, fc.array(name, { maxLength: 30 }), (list, names) => {
        const memoized = createMatcher(list, { memo: 8 })
        const plain = createMatcher(list, { memo: 0 })
        // Each name twice, so that the second asks the memo.
        for (const n of [...names, ...names, ...list.map((e) => e.pattern)]) {
          const expected = bruteForce(list, n)
          expect(plain.match(n)).toBe(expected)
          expect(memoized.match(n)).toBe(expected)
        }
      }),
      { numRuns: 1500 },
    )
  })

  it('never memoizes more names than its bound', () => {
    fc.assert(
      fc.property(entries, fc.nat(6), fc.array(name, { maxLength: 60 }), (list, bound, names) => {
        const m = createMatcher(list, { memo: bound })
        for (const n of names) {
          m.match(n)
          expect(m.memoSize).toBeLessThanOrEqual(bound)
        }
      }),
    )
  })
})
