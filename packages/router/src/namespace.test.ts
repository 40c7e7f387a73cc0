import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assertPrefix, createNamer, isValidToolName } from './namespace.js'

/** Any UTF-16 string: astral code points, controls and lone surrogates included. */
const anyChar = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('_', '-', '.', ' ', '/', ':', 'a', 'Z', '9'),
)
const anyName = fc.string({ unit: anyChar, minLength: 0, maxLength: 300 })
const validChar = fc.constantFrom(...'abcXYZ019_-.'.split(''))
const validName = fc.string({ unit: validChar, minLength: 1, maxLength: 80 })
const prefix = fc.constantFrom('', 'a', 'a_b', 'math', 'web-1', 'x.y', 'p'.repeat(32))
const maxLength = fc.integer({ min: 1, max: 128 })
const joined = (p: string, name: string) => (p === '' ? name : `${p}_${name}`)

describe('createNamer', () => {
  it('prefixes a valid name with the separator and leaves unprefixed names alone', () => {
    const namer = createNamer()
    expect(namer.expose('math', 'add')).toBe('math_add')
    expect(namer.expose('', 'add')).toBe('add')
    expect(createNamer({ separator: '.' }).expose('math', 'add')).toBe('math.add')
    expect(createNamer({ separator: '__' }).expose('math', 'add')).toBe('math__add')
  })

  it('replaces disallowed characters and appends a hash of the original name', () => {
    const exposed = createNamer().expose('web', 'fetch page')
    expect(exposed).toMatch(/^web_fetch_page_[0-9a-z]{8}$/)
    expect(exposed).not.toBe(createNamer().expose('web', 'fetch_page'))
  })

  it('cuts names longer than maxLength to maxLength − 9 characters plus the hash', () => {
    const namer = createNamer()
    const exposed = namer.expose('math', 'x'.repeat(100))
    expect(exposed).toHaveLength(64)
    expect(exposed).toMatch(/^math_x{50}_[0-9a-z]{8}$/)
  })

  it('keeps a name of exactly maxLength characters unchanged', () => {
    const namer = createNamer({ maxLength: 20 })
    expect(namer.expose('ab', 'c'.repeat(17))).toBe(`ab_${'c'.repeat(17)}`)
    expect(namer.expose('ab', 'c'.repeat(18))).toMatch(/^ab_c{8}_[0-9a-z]{8}$/)
  })

  it('gives two long names sharing their first 55 characters different exposed names', () => {
    const namer = createNamer()
    const stem = 's'.repeat(60)
    expect(namer.expose('p', `${stem}1`)).not.toBe(namer.expose('p', `${stem}2`))
  })

  it('tells apart pairs that join to the same long string', () => {
    const namer = createNamer()
    const long = 'n'.repeat(70)
    expect(namer.expose('a', `b_${long}`)).not.toBe(namer.expose('a_b', long))
  })

  it('exposes an empty upstream name as the hash behind the prefix', () => {
    const namer = createNamer()
    expect(namer.expose('math', '')).toMatch(/^math_[0-9a-z]{8}$/)
    expect(namer.expose('', '')).toMatch(/^[0-9a-z]{8}$/)
    expect(namer.expose('math', '')).not.toBe(namer.expose('web', ''))
  })

  it('is stable across namers and processes (pinned value)', () => {
    expect(createNamer().expose('web', 'fetch page')).toBe(
      createNamer().expose('web', 'fetch page'),
    )
    expect(createNamer().expose('web', 'fetch page')).toMatchInlineSnapshot(
      `"web_fetch_page_597shpf4"`,
    )
  })

  it('falls back to the hash alone when maxLength leaves no room for a stem', () => {
    expect(createNamer({ maxLength: 9 }).expose('p', 'x'.repeat(20))).toMatch(/^[0-9a-z]{8}$/)
    expect(createNamer({ maxLength: 3 }).expose('p', 'x'.repeat(20))).toMatch(/^[0-9a-z]{3}$/)
    expect(createNamer({ maxLength: 10 }).expose('p', 'x'.repeat(20))).toMatch(/^p_[0-9a-z]{8}$/)
  })

  it('rejects a bad separator or maxLength at construction', () => {
    for (const separator of ['', ' ', '/', '_____', 'é']) {
      expect(() => createNamer({ separator })).toThrow(/\[@mcpx\/router\] separator/)
    }
    for (const max of [0, 129, 1.5, Number.NaN]) {
      expect(() => createNamer({ maxLength: max })).toThrow(/\[@mcpx\/router\] maxLength/)
    }
  })

  it('refuses to expose under an invalid prefix', () => {
    expect(() => createNamer().expose('my math', 'add')).toThrow(TypeError)
  })
})

describe('parse', () => {
  const namer = createNamer()

  it('splits an exposed name into its prefix and original name', () => {
    expect(namer.parse('math_add', ['math', 'web'])).toEqual({ prefix: 'math', name: 'add' })
    expect(namer.parse('web_add', ['math'])).toBeUndefined()
    expect(namer.parse('math_', ['math'])).toBeUndefined()
  })

  it('prefers the longest matching prefix', () => {
    expect(namer.parse('a_b_c', ['a', 'a_b'])).toEqual({ prefix: 'a_b', name: 'c' })
    expect(namer.parse('a_b_c', ['a_b', 'a'])).toEqual({ prefix: 'a_b', name: 'c' })
    expect(namer.parse('a_c', ['a', 'a_b'])).toEqual({ prefix: 'a', name: 'c' })
  })

  it('falls back to a shorter prefix when the longest would leave no name', () => {
    expect(namer.parse('a_b_', ['a', 'a_b'])).toEqual({ prefix: 'a', name: 'b_' })
  })

  it('matches any name with the empty prefix when no other prefix matches', () => {
    expect(namer.parse('add', ['', 'math'])).toEqual({ prefix: '', name: 'add' })
    expect(namer.parse('math_add', ['', 'math'])).toEqual({ prefix: 'math', name: 'add' })
  })

  it('refuses names no namer could have exposed unshortened', () => {
    expect(namer.parse('math_a b', ['math'])).toBeUndefined()
    expect(namer.parse(`math_${'x'.repeat(60)}`, ['math'])).toBeUndefined()
    expect(namer.parse('', [''])).toBeUndefined()
  })
})

describe('properties', () => {
  it('always exposes a valid name of at most maxLength characters, deterministically', () => {
    fc.assert(
      fc.property(maxLength, prefix, anyName, (max, p, name) => {
        const namer = createNamer({ maxLength: max })
        const exposed = namer.expose(p, name)
        expect(isValidToolName(exposed, max)).toBe(true)
        expect(createNamer({ maxLength: max }).expose(p, name)).toBe(exposed)
      }),
      { numRuns: 2000 },
    )
  })

  it('round-trips every name it did not shorten', () => {
    const prefixes = ['', 'a', 'a_b', 'math', 'web-1', 'x.y', 'p'.repeat(32)]
    fc.assert(
      fc.property(prefix, fc.oneof(validName, anyName), (p, name) => {
        const namer = createNamer()
        const exposed = namer.expose(p, name)
        if (exposed !== joined(p, name)) return
        // `a` + `b_c` and `a_b` + `c` both join to `a_b_c`: the longest prefix wins.
        const longer = prefixes.find(
          (q) =>
            q.length > p.length && exposed.startsWith(`${q}_`) && exposed.length > q.length + 1,
        )
        const expected = longer === undefined ? { prefix: p, name } : undefined
        if (expected) expect(namer.parse(exposed, prefixes)).toEqual(expected)
        else expect(namer.parse(exposed, prefixes)?.prefix.length).toBeGreaterThan(p.length)
      }),
      { numRuns: 2000 },
    )
  })

  it('only parses names that expose gives back', () => {
    const prefixes = ['', 'a', 'a_b', 'math']
    fc.assert(
      fc.property(fc.oneof(validName, anyName), (exposed) => {
        const parsed = createNamer().parse(exposed, prefixes)
        if (parsed) expect(createNamer().expose(parsed.prefix, parsed.name)).toBe(exposed)
      }),
      { numRuns: 2000 },
    )
  })

  it('exposes 20,000 long names sharing a 60-character stem under 20,000 distinct names', () => {
    const namer = createNamer()
    const stem = 'tool_with_a_very_long_descriptive_name_shared_by_many_tools_'
    expect(stem).toHaveLength(60)
    const seen = new Set<string>()
    for (let i = 0; i < 20_000; i++) seen.add(namer.expose('math', `${stem}${i.toString(36)}`))
    expect(seen.size).toBe(20_000)
  })

  it('exposes distinct random (prefix, name) pairs under distinct names', () => {
    const pairs = fc.uniqueArray(fc.tuple(prefix, anyName), {
      minLength: 200,
      maxLength: 500,
      selector: ([p, n]) => `${p}\u0000${n}`,
    })
    fc.assert(
      fc.property(pairs, (list) => {
        const namer = createNamer()
        const exposed = new Map<string, string>()
        for (const [p, name] of list) {
          const key = namer.expose(p, name)
          const earlier = exposed.get(key)
          // The collision by design: two valid pairs that join alike (`a` + `b_c`, `a_b` + `c`).
          if (earlier !== undefined && !(key === joined(p, name) && key === earlier)) {
            expect.fail(`${JSON.stringify([p, name])} collides with ${earlier} as ${key}`)
          }
          exposed.set(key, key === joined(p, name) ? key : JSON.stringify([p, name]))
        }
      }),
      { numRuns: 50 },
    )
  })
})

describe('isValidToolName and assertPrefix', () => {
  it('accepts 1 to maxLength characters of A-Z a-z 0-9 _ - .', () => {
    expect(isValidToolName('a.b-c_D9')).toBe(true)
    expect(isValidToolName('')).toBe(false)
    expect(isValidToolName('a b')).toBe(false)
    expect(isValidToolName('é')).toBe(false)
    expect(isValidToolName('x'.repeat(64))).toBe(true)
    expect(isValidToolName('x'.repeat(65))).toBe(false)
    expect(isValidToolName('x'.repeat(128), 128)).toBe(true)
  })

  it('names the bad prefix in its TypeError', () => {
    expect(() => assertPrefix('math')).not.toThrow()
    expect(() => assertPrefix('p'.repeat(32))).not.toThrow()
    expect(() => assertPrefix('my math')).toThrow(/\[@mcpx\/router\] invalid prefix "my math"/)
    expect(() => assertPrefix('')).toThrow(TypeError)
    expect(() => assertPrefix('p'.repeat(33))).toThrow(TypeError)
  })
})
