import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileUriTemplate, MAX_TEMPLATE_LENGTH } from './uri-template.js'

const STOPS = '/?#,'

/**
 * The documented semantics, by brute force over every split: a memoized
 * recursion on (piece, position), sharing nothing with the RegExp translation.
 * Handles the expressions the property below generates: `{x}`, `{+x}`, and
 * `{#x}`, `{.x}`, `{/x}`, `{/x*}`, `{;x}`, `{?x}`, `{&x}`.
 */
function reference(template: string, uri: string): boolean {
  const pieces = template.split(/(\{[^}]*\})/).filter((p) => p !== '')
  const operatorOf = (p: string) => (p.startsWith('{') ? p.slice(1).replace(/\w.*$/, '') : null)
  let end = pieces.length
  while (end > 0 && !['', '+', null].includes(operatorOf(pieces[end - 1] as string))) end--
  const starts = new Set(pieces.slice(end).map(operatorOf))
  const seen = new Map<number, boolean>()
  const go = (i: number, at: number): boolean => {
    const key = i * (uri.length + 1) + at
    if (!seen.has(key)) seen.set(key, step(i, at))
    return seen.get(key) as boolean
  }
  const step = (i: number, at: number): boolean => {
    if (i === end) return at === uri.length || starts.has(uri[at] ?? '')
    const piece = pieces[i] as string
    const op = operatorOf(piece)
    if (op === null) return uri.startsWith(piece, at) && go(i + 1, at + piece.length)
    const from = op === '' || op === '+' ? at : at + 1
    if (from > at && uri[at] !== op) return false
    const anything = ['+', '#', '?', '&'].includes(op) || piece === '{/x*}'
    for (let e = from + 1; e <= uri.length; e++) {
      if (!anything && STOPS.includes(uri[e - 1] as string)) break
      if (go(i + 1, e)) return true
    }
    return false
  }
  return go(0, 0)
}

describe('compileUriTemplate simple expansion', () => {
  const profile = compileUriTemplate('users://{id}/profile')

  it('matches one or more characters other than / ? # , for {var}', () => {
    expect(profile('users://42/profile')).toBe(true)
    expect(profile('users://a%2Fb/profile')).toBe(true)
    expect(profile('users://a=b;c&d.e/profile')).toBe(true)
    for (const value of ['', '4/2', '4?2', '4#2', '4,2'])
      expect(profile(`users://${value}/profile`), value).toBe(false)
  })

  it('matches lists and several variables only as one value', () => {
    expect(compileUriTemplate('tags://{list*}')('tags://red')).toBe(true)
    expect(compileUriTemplate('tags://{list*}')('tags://red,green')).toBe(false)
    expect(compileUriTemplate('pt://{x,y}')('pt://1')).toBe(true)
    expect(compileUriTemplate('pt://{x:3}')('pt://abcdef')).toBe(true)
  })

  it('finds every split of an ambiguous template', () => {
    expect(compileUriTemplate('x://{a}-{b}')('x://p-q-r')).toBe(true)
    expect(compileUriTemplate('x://{a}.{b}')('x://p.q.r')).toBe(true)
    expect(compileUriTemplate('x://{name}.json')('x://a.json.json')).toBe(true)
    expect(compileUriTemplate('x://{name}.json')('x://a.json.jsonx')).toBe(false)
    expect(compileUriTemplate('x://{a}{b}')('x://pq')).toBe(true)
    expect(compileUriTemplate('x://{a}{b}')('x://p')).toBe(false)
  })
})

describe('compileUriTemplate reserved expansion', () => {
  it('matches one or more characters of any kind for {+var}', () => {
    const file = compileUriTemplate('file:///{+path}')
    expect(file('file:///etc/hosts')).toBe(true)
    expect(file('file:///a/b?c#d,e')).toBe(true)
    expect(file('file:///')).toBe(false)
  })

  it('finds the split a reserved value needs before a simple one', () => {
    const typed = compileUriTemplate('file:///{+path}.{ext}')
    expect(typed('file:///a.b/c.txt')).toBe(true)
    expect(typed('file:///a.b/c')).toBe(false)
    expect(compileUriTemplate('repo://{+dir}/{name}')('repo://a/b/c')).toBe(true)
  })
})

describe('compileUriTemplate operator expressions', () => {
  it('treats operator expressions at the end as optional, each led by its operator', () => {
    const search = compileUriTemplate('search://{q}{?limit,page}')
    expect(search('search://cats')).toBe(true)
    expect(search('search://cats?limit=5&page=2')).toBe(true)
    expect(search('search://cats#top')).toBe(false)
    const doc = compileUriTemplate('file:///{+path}{#part}')
    expect(doc('file:///a/b.md')).toBe(true)
    expect(doc('file:///a/b.md#intro')).toBe(true)
    const repo = compileUriTemplate('repo://{owner}{/path*}{?ref}')
    for (const uri of ['repo://me', 'repo://me/a/b', 'repo://me?ref=main', 'repo://me/a?ref=x'])
      expect(repo(uri), uri).toBe(true)
    expect(repo('repo://me#x')).toBe(false)
  })

  it('handles label, path-style and continuation expressions at the end', () => {
    const named = compileUriTemplate('file:///{name}{.ext}')
    expect(named('file:///a')).toBe(true)
    expect(named('file:///a.tar.gz')).toBe(true)
    expect(compileUriTemplate('m://{x}{;v,w}')('m://a;v=1;w')).toBe(true)
    expect(compileUriTemplate('q://{x}{?a}{&b}')('q://x?a=1&b=2')).toBe(true)
  })

  it('requires operator expressions that more of the template follows', () => {
    const versioned = compileUriTemplate('api://v1{/version}/items')
    expect(versioned('api://v1/2/items')).toBe(true)
    expect(versioned('api://v1/items')).toBe(false)
    expect(versioned('api://v1/2/3/items')).toBe(false)
    const deep = compileUriTemplate('api://{/path*}/raw')
    expect(deep('api:///a/b/raw')).toBe(true)
    const labelled = compileUriTemplate('x://{name}{.ext}/raw')
    expect(labelled('x://a.b/raw')).toBe(true)
    expect(labelled('x://a/raw')).toBe(false)
    expect(compileUriTemplate('x://{#f}/more')('x://#a/b/more')).toBe(true)
  })
})

describe('compileUriTemplate literals and input', () => {
  it('matches literal text literally, regex metacharacters included', () => {
    const odd = compileUriTemplate('a.b+(c)[d]^$|\\e://{x}')
    expect(odd('a.b+(c)[d]^$|\\e://1')).toBe(true)
    expect(odd('aXb+(c)[d]^$|\\e://1')).toBe(false)
  })

  it('compares a template without expressions as a string', () => {
    const fixed = compileUriTemplate('config://app')
    expect(fixed('config://app')).toBe(true)
    expect(fixed('config://app/')).toBe(false)
  })

  it('answers false for a URI that is not a string', () => {
    expect(compileUriTemplate('x://{id}')(undefined as unknown as string)).toBe(false)
  })
})

describe('compileUriTemplate validation', () => {
  it.each([
    ['an unclosed {', 'users://{id', /"\{" at 8 is not closed/],
    ['a } that closes nothing', 'users://id}', /"\}" at 10 closes nothing/],
    ['a { inside an expression', 'users://{a{b}', /inside the expression/],
    ['an empty expression', 'users://{}', /empty expression/],
    ['a reserved operator', 'users://{=id}', /operator "=" is reserved/],
    ['a bad variable name', 'users://{user-id}', /bad variable "user-id"/],
    ['a prefix of 0', 'users://{id:0}', /bad variable/],
    ['a prefix over 9999', 'users://{id:10000}', /bad variable/],
    ['an empty variable in a list', 'users://{a,}', /bad variable ""/],
    [
      'a template over 1,024 characters',
      `x://${'a'.repeat(MAX_TEMPLATE_LENGTH)}`,
      /longer than 1024/,
    ],
  ])('rejects %s with a TypeError', (_what, template, message) => {
    expect(() => compileUriTemplate(template)).toThrow(TypeError)
    expect(() => compileUriTemplate(template)).toThrow(message)
  })

  it('rejects a template that is not a string', () => {
    expect(() => compileUriTemplate(1 as unknown as string)).toThrow(TypeError)
  })

  it('accepts dotted and percent-encoded variable names, explode and prefixes', () => {
    expect(() => compileUriTemplate('x://{a.b}{%20c}{d*}{e:9999}{+f,g}')).not.toThrow()
  })
})

// Near-misses that a naive translation ([^/?#,]+ and [\s\S]+ per variable)
// backtracks over for O(uri^variables) steps; the test timeout catches a
// regression.
describe('compileUriTemplate on hostile URIs', () => {
  const n = 20_000
  it.each([
    ['x://{a}-{b}-{c}-{d}/', `x://${'-'.repeat(n)}`],
    ['x://{+a}.{b}.{c}', `x://${'.a'.repeat(n / 2)}/`],
    ['x://{+a}-{+b}-{+c}x', `x://${'-'.repeat(n)}`],
    ['x://{a}.json{?q}', `x://${'.json'.repeat(n / 5)}/`],
    ['x://{+a}/raw{/rest*}x', `x://${'/raw'.repeat(n / 4)}`],
  ])(
    '%s answers a long near-miss quickly',
    (template, uri) => {
      expect(compileUriTemplate(template)(uri)).toBe(false)
    },
    5_000,
  )
})

describe('compileUriTemplate properties', () => {
  const literal = fc
    .array(fc.constantFrom('a', 'b', '/', '.', '-', ',', '?', '#'), { minLength: 1, maxLength: 3 })
    .map((cs) => cs.join(''))
  const expression = fc.constantFrom(
    '{x}',
    '{x}',
    '{+x}',
    '{#x}',
    '{.x}',
    '{/x}',
    '{/x*}',
    '{;x}',
    '{?x}',
    '{&x}',
  )
  const template = fc
    .array(fc.oneof(literal, expression), { minLength: 1, maxLength: 5 })
    .map((ps) => ps.join(''))
  const uri = fc
    .array(fc.constantFrom('a', 'b', '/', '.', '-', ',', '?', '#', ';', '&', '='), {
      maxLength: 10,
    })
    .map((cs) => cs.join(''))

  it('agrees with a brute-force reading of the documented semantics', () => {
    fc.assert(
      fc.property(template, fc.array(uri, { maxLength: 12 }), (t, uris) => {
        const test = compileUriTemplate(t)
        // The template with each expression replaced by a plausible value, too.
        const expanded = t.replace(/\{([^a-z]?)x\*?\}/g, (_, op: string) => `${op}ab`)
        for (const u of [...uris, expanded, t])
          expect(test(u), `${t} on ${u}`).toBe(reference(t, u))
      }),
      { numRuns: 3000 },
    )
  })
})
