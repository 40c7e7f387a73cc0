import fc from 'fast-check'
import picomatch from 'picomatch'
import { describe, expect, it } from 'vitest'
import { EXACT_SPECIFICITY, glob, MAX_PATTERN_LENGTH } from './glob.js'

/**
 * The semantics, written as plainly as possible: a dynamic program over the
 * pattern's tokens, sharing nothing with the RegExp translation under test.
 */
function reference(pattern: string, name: string): boolean {
  const tokens: string[] = []
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '\\') tokens.push(`=${pattern[++i]}`)
    else if (c === '*' && pattern[i + 1] === '*') {
      while (pattern[i + 1] === '*') i++
      tokens.push('**')
    } else tokens.push(c === '*' || c === '?' ? c : `=${c}`)
  }
  // ok[j]: the tokens so far match name.slice(0, j)
  let ok = Array.from({ length: name.length + 1 }, (_, j) => j === 0)
  for (const t of tokens) {
    const next = ok.map(() => false)
    for (let j = 0; j <= name.length; j++) {
      const c = name[j - 1]
      if (t === '*' || t === '**') {
        // A star matches nothing more, or one more character it may match.
        next[j] = ok[j] === true || (j > 0 && next[j - 1] === true && (t === '**' || c !== '/'))
      } else if (j > 0 && ok[j - 1]) next[j] = t === '?' ? c !== '/' : t === `=${c}`
    }
    ok = next
  }
  return ok[name.length] === true
}

const anchored = (pattern: string) => new RegExp(`^(?:${glob(pattern).toSource()})$`)

describe('glob semantics', () => {
  it.each([
    ['math_*', 'math_add', true],
    ['math_*', 'math_', true],
    ['math_*', 'math/add', false],
    ['data://reports/*', 'data://reports/q1', true],
    ['data://reports/*', 'data://reports/2024/q1', false],
    ['*', 'anything', true],
    ['*', '', true],
    ['*', 'a/b', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'ax/bc', false],
  ])('* matches any run except "/": %s on %s is %s', (pattern, name, expected) => {
    expect(glob(pattern).test(name)).toBe(expected)
  })

  it.each([
    ['data://**', 'data://a/b/c', true],
    ['data://**', 'data://', true],
    ['data://**', 'file:///etc', false],
    ['**', '', true],
    ['**', 'a/b/c', true],
    ['a**z', 'az', true],
    ['a**z', 'a/b/z', true],
    ['a/**', 'a', false],
    ['a/**/b', 'a/b', false],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**b', 'a/b', true],
    ['a***b', 'a/x/b', true],
  ])('** matches any run, "/" included: %s on %s is %s', (pattern, name, expected) => {
    expect(glob(pattern).test(name)).toBe(expected)
  })

  it.each([
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a?c', 'abbc', false],
    ['a?c', 'a/c', false],
    ['??', 'ab', true],
  ])('? matches exactly one character except "/": %s on %s is %s', (pattern, name, expected) => {
    expect(glob(pattern).test(name)).toBe(expected)
  })

  it.each([
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['a\\?', 'a?', true],
    ['a\\?', 'ab', false],
    ['a\\\\', 'a\\', true],
    ['\\a', 'a', true],
    ['\\**', '*x', true],
    ['\\**', '*/x', false],
    ['\\***', '*/x', true],
  ])('a backslash makes the next character literal: %s on %s is %s', (pattern, name, expected) => {
    expect(glob(pattern).test(name)).toBe(expected)
  })

  it('rejects a pattern ending in a lone backslash', () => {
    expect(() => glob('abc\\')).toThrow(
      new TypeError('[@mcpx/router] glob "abc\\\\": ends in a lone backslash'),
    )
    expect(() => glob('a\\\\\\')).toThrow(TypeError)
  })

  it.each(['[ab]', '{a,b}', '(a|b)', '!a', '+(a)', '@(a)', 'a.b', 'a+', '^a$', 'a|b'])(
    'treats %s as literal text',
    (pattern) => {
      expect(glob(pattern).test(pattern)).toBe(true)
      expect(glob(pattern).kind).toBe('exact')
    },
  )

  it('matches the whole name, with no implicit wildcard at either end', () => {
    expect(glob('add').test('math_add')).toBe(false)
    expect(glob('math').test('math_add')).toBe(false)
    expect(glob('a?').test('abc')).toBe(false)
  })

  it('is case-sensitive', () => {
    expect(glob('Math_*').test('math_add')).toBe(false)
  })

  it('rejects a non-string and a pattern over the length bound', () => {
    expect(() => glob(7 as unknown as string)).toThrow(TypeError)
    expect(() => glob('a'.repeat(MAX_PATTERN_LENGTH + 1))).toThrow(/longer than 1024/)
    expect(glob('a'.repeat(MAX_PATTERN_LENGTH)).kind).toBe('exact')
  })
})

describe('glob classification', () => {
  it.each([
    ['tools_list', 'exact', 'tools_list', 'tools_list', false],
    ['a\\*b', 'exact', 'a*b', 'a*b', false],
    ['team42_*', 'prefix', 'team42_', '', false],
    ['data://**', 'prefix', 'data://', '', true],
    ['*', 'prefix', '', '', false],
    ['**', 'prefix', '', '', true],
    ['*_admin', 'suffix', '', '_admin', false],
    ['**.json', 'suffix', '', '.json', true],
    ['svc?_*_v*', 'regex', 'svc', '', false],
    ['a?*', 'regex', 'a', '', false],
    ['*a*', 'regex', '', '', false],
    ['a*b', 'regex', 'a', 'b', false],
    ['x?y', 'regex', 'x', 'y', false],
  ] as const)('classifies %s as %s', (pattern, kind, head, tail, crossesSlash) => {
    const g = glob(pattern)
    expect({ kind: g.kind, head: g.head, tail: g.tail }).toEqual({ kind, head, tail })
    if (kind === 'prefix' || kind === 'suffix') expect(g.crossesSlash).toBe(crossesSlash)
  })

  it('tests prefix patterns by startsWith, refusing a "/" after the literal for *', () => {
    expect(glob('abc*').test('abc/d')).toBe(false)
    expect(glob('abc**').test('abc/d')).toBe(true)
    expect(glob('abc*').test('ab')).toBe(false)
  })

  it('tests suffix patterns by endsWith, refusing a "/" before the literal for *', () => {
    expect(glob('*abc').test('x/abc')).toBe(false)
    expect(glob('*abc').test('abc')).toBe(true)
    expect(glob('**abc').test('x/abc')).toBe(true)
    expect(glob('*/abc').test('x/abc')).toBe(true)
    expect(glob('*/abc').test('/abc')).toBe(true)
    expect(glob('*abc').test('bc')).toBe(false)
  })
})

describe('glob specificity', () => {
  const order = (patterns: string[]) =>
    [...patterns].sort((a, b) => glob(b).specificity - glob(a).specificity)

  it('ranks an exact pattern above every wildcard pattern', () => {
    expect(glob('a').specificity).toBe(EXACT_SPECIFICITY)
    expect(glob('x'.repeat(1000) + '*').specificity).toBeLessThan(glob('a').specificity)
  })

  it('ranks more literal characters first, then fewer **, then fewer *, then more ?', () => {
    expect(order(['a*', 'ab*', 'abc*'])).toEqual(['abc*', 'ab*', 'a*'])
    expect(order(['a**b', 'a*b*'])).toEqual(['a*b*', 'a**b'])
    expect(order(['a*b*', 'a*b'])).toEqual(['a*b', 'a*b*'])
    expect(order(['a*b', 'a?b'])).toEqual(['a?b', 'a*b'])
    expect(order(['a?*', 'a??*'])).toEqual(['a??*', 'a?*'])
    expect(glob('\\*x*').specificity).toBe(glob('ax*').specificity)
  })
})

describe('glob RegExp source', () => {
  it('numbers its capture groups from firstGroup, so that sources can share one RegExp', () => {
    const g = glob('a**b*c**d')
    expect(g.groups).toBe(1)
    expect(g.toSource(3)).toContain('\\3')
    const combined = new RegExp(`^(?:(x)(y)|${g.toSource(3)}())$`)
    expect(combined.exec('a/b-c/d')?.[4]).toBe('')
    expect(combined.test('a/b/c/d')).toBe(false)
  })

  it('matches like test() for every kind of pattern', () => {
    for (const [pattern, name] of [
      ['abc', 'abc'],
      ['ab*', 'ab/'],
      ['*.md', 'x/a.md'],
      ['a?c*', 'abcd'],
    ] as const)
      expect(anchored(pattern).test(name)).toBe(glob(pattern).test(name))
  })
})

// Near-misses that make a naive `*` → `[^/]*` translation backtrack for
// O(name^stars) steps: each must answer at once (the test timeout catches a
// regression; a benchmark measures speed).
describe('glob on hostile names', () => {
  const n = 20_000
  it.each([
    ['*a*a*a*a*a*a*b', 'a'.repeat(n)],
    ['*_*_*_*_x', '_'.repeat(n)],
    ['svc?_*_v*x', `svc1_${'_v'.repeat(n / 2)}`],
    ['**a**a**a**b', 'a'.repeat(n)],
    ['**a*a*a*b', `${'a'.repeat(n)}/`],
    ['**a*b**c*d', `${'ab/'.repeat(n / 3)}`],
    ['x**a*b**c*d**e', `x${'/abcd'.repeat(n / 5)}`],
    ['**/*a*/**/b', `${'/aaa'.repeat(n / 4)}`],
  ])(
    '%s on a long near-miss answers false quickly',
    (pattern, name) => {
      expect(glob(pattern).test(name)).toBe(false)
      expect(reference(pattern, name.slice(0, 300))).toBe(false)
    },
    5_000,
  )
})

describe('glob properties', () => {
  const patternChar = fc.constantFrom('a', 'b', '/', '*', '*', '?', '\\*', '\\?', '\\\\')
  const nameChar = fc.constantFrom('a', 'b', '/', '*', '?', '\\')
  const pattern = fc.array(patternChar, { maxLength: 10 }).map((cs) => cs.join(''))
  const name = fc.array(nameChar, { maxLength: 12 }).map((cs) => cs.join(''))

  it('agrees with the reference semantics, by test() and by its RegExp source', () => {
    fc.assert(
      fc.property(pattern, fc.array(name, { maxLength: 8 }), (p, names) => {
        const g = glob(p)
        const re = anchored(p)
        for (const n of [...names, g.head, g.tail, g.head + g.tail]) {
          const expected = reference(p, n)
          expect(g.test(n)).toBe(expected)
          expect(re.test(n)).toBe(expected)
        }
      }),
      { numRuns: 3000 },
    )
  })

  it('matches every name it is built to match (wildcards filled at random)', () => {
    const fill = fc.array(fc.constantFrom('a', 'b', '/'), { maxLength: 4 }).map((cs) => cs.join(''))
    fc.assert(
      fc.property(pattern, fc.array(fill, { minLength: 10, maxLength: 10 }), (p, fills) => {
        // Expand each wildcard with a filler of its kind, the way `reference` reads them.
        let k = 0
        const n = p.replace(/\\(.)|\*\*+|\*|\?/g, (m, escaped: string | undefined) => {
          const f = fills[k++ % fills.length] as string
          if (escaped !== undefined) return escaped
          if (m === '?') return f.replace(/\//g, '')[0] ?? 'a'
          return m === '*' ? f.replace(/\//g, '') : f
        })
        expect(glob(p).test(n)).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })
})

// picomatch as an independent oracle, on the subset where the two languages
// mean the same thing. Outside it they differ by design: picomatch's `*`
// never matches an empty segment (`a/*` vs `a/`), nor `.` or `..`, nor the
// empty run right after a `.` (`*.*` vs `a.`), even with `dot: true`; its
// non-segment `**` (`a**`) is a plain `*`; its segment `**` also matches zero
// segments (`a/**` matches `a`). So names and patterns here have non-empty
// segments and no `.`. With this alphabet (no `!`, `{`, `(`, `[`, `+`, `@`),
// negation, braces, extglobs and classes cannot arise; the options say so
// anyway, and `windows: false` keeps `\` out of it on every platform.
describe('glob against picomatch', () => {
  const options = { dot: true, nobrace: true, noextglob: true, nonegate: true, windows: false }
  const safe = fc.constantFrom('a', 'b', 'Z', '0', '_', '-', ':')
  const segmentName = fc.array(safe, { minLength: 1, maxLength: 4 }).map((cs) => cs.join(''))
  const nameOf = fc.array(segmentName, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'))
  // One segment: literals, `?` and single `*` (never two stars in a row).
  // A name the pattern should match: each `?` one character, each `*` one to
  // three (an empty one could leave an empty segment), each `**` segment one
  // or two segments.
  const filler = fc.array(segmentName, { minLength: 8, maxLength: 8 })
  const derived = (p: string, fills: string[]) => {
    let k = 0
    const next = () => fills[k++ % fills.length] as string
    const fill = (m: string) => {
      if (m === '?') return next().slice(0, 1)
      if (m === '*') return next().slice(0, 3)
      return k % 2 === 0 ? next() : `${next()}/${next()}`
    }
    return p.replace(/\*\*|\*|\?/g, fill)
  }
  const segmentPattern = fc
    .array(fc.oneof(safe, fc.constant('?'), fc.constant('*')), { minLength: 1, maxLength: 4 })
    .map((cs) => cs.join('').replace(/\*+/g, '*'))

  it('agrees on patterns of *, ? and literals, segment by segment', () => {
    const patternOf = fc
      .array(segmentPattern, { minLength: 1, maxLength: 4 })
      .map((s) => s.join('/'))
    fc.assert(
      fc.property(patternOf, fc.array(nameOf, { maxLength: 10 }), filler, (p, names, fills) => {
        const oracle = picomatch(p, options)
        const g = glob(p)
        for (const n of [...names, derived(p, fills)])
          expect(g.test(n), `${p} on ${n}`).toBe(oracle(n))
      }),
      { numRuns: 3000 },
    )
  })

  it('agrees with picomatch reading a whole-segment ** as "one or more segments"', () => {
    // picomatch's `**` segment means zero or more segments; ours, between
    // slashes, leaves both slashes to match, so it is one or more: in
    // picomatch, `x/**` is `x/**/*`, `**/x` is `*/**/x`, `x/**/y` is `x/*/**/y`.
    const segment = fc.oneof(
      { weight: 1, arbitrary: fc.constant('**') },
      { weight: 3, arbitrary: segmentPattern },
    )
    const patternOf = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'))
    const picomatchOf = (p: string) =>
      p === '**'
        ? '**'
        : p
            .split('/')
            .map((s, i, all) => (s !== '**' ? s : i === all.length - 1 ? '**/*' : '*/**'))
            .join('/')
    fc.assert(
      fc.property(patternOf, fc.array(nameOf, { maxLength: 10 }), filler, (p, names, fills) => {
        const oracle = picomatch(picomatchOf(p), options)
        const g = glob(p)
        for (const n of [...names, derived(p, fills)])
          expect(g.test(n), `${p} on ${n}`).toBe(oracle(n))
      }),
      { numRuns: 3000 },
    )
  })
})
