import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keyMatcher } from './redact-options.js'
import { compileBuiltins, defaultRedactKeys, defaultRedactPatterns } from './redact-patterns.js'
import { createRedactor, MAX_MEMO_KEY, type RedactionMatch } from './redact-walk.js'

const aws = ['AKIA', 'IOSFODNN7EXAMPLE'].join('')
const jwt = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', 'c2lnbmF0dXJlX2hlcmU'].join('.')
const scrub = createRedactor()

describe('createRedactor(): the walk', () => {
  it('replaces the value under a matching key whatever it is, at any depth and in any case', () => {
    const input = {
      user: 'ada',
      Password: { old: 'a', new: 'b' },
      nested: [{ API_KEY: 42 }, { db_password: ['x'], refresh_token: null, count: 3 }],
    }
    expect(scrub(input)).toEqual({
      user: 'ada',
      Password: '[REDACTED]',
      nested: [
        { API_KEY: '[REDACTED]' },
        { db_password: '[REDACTED]', refresh_token: '[REDACTED]', count: 3 },
      ],
    })
  })

  it('returns the very same value when nothing matches', () => {
    const input = { content: [{ type: 'text', text: 'all good' }], structuredContent: { n: 1 } }
    expect(scrub(input)).toBe(input)
    expect(scrub('plain')).toBe('plain')
    expect(scrub(null)).toBe(null)
    expect(scrub(7)).toBe(7)
  })

  it('copies only the path to a change and shares everything else', () => {
    const untouched = { deep: { list: [1, 2, 3] } }
    const sibling = [{ type: 'text', text: 'fine' }]
    const input = { a: untouched, content: sibling, b: { c: { token: 'x' } } }
    const out = scrub(input)
    expect(out).not.toBe(input)
    expect(out.a).toBe(untouched)
    expect(out.content).toBe(sibling)
    expect(out.b).not.toBe(input.b)
    expect(out.b.c).toEqual({ token: '[REDACTED]' })
    expect(input.b.c.token).toBe('x')
  })

  it('never mutates its input, even a frozen one', () => {
    const input = Object.freeze({
      items: Object.freeze([Object.freeze({ secret: 's', text: `id ${aws}` })]),
    })
    const out = scrub(input)
    expect(out).toEqual({ items: [{ secret: '[REDACTED]', text: 'id [REDACTED]' }] })
    expect(input.items[0]).toEqual({ secret: 's', text: `id ${aws}` })
  })

  it('leaves an already redacted value as it is (no copy the second time)', () => {
    const once = scrub({ password: 'p', text: `t ${jwt}` })
    expect(scrub(once)).toBe(once)
  })

  it('keeps key order and redacts a secret used as a key', () => {
    const out = scrub({ a: 1, [aws]: { x: 1 }, z: 2 })
    expect(Object.keys(out)).toEqual(['a', '[REDACTED]', 'z'])
  })

  it('keeps an own __proto__ key a key (JSON.parse makes them), never a prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "password": "p"}')
    const out = scrub(input)
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.hasOwn(out, '__proto__')).toBe(true)
    expect(out.password).toBe('[REDACTED]')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('keeps a null prototype, and returns other objects (Date, class instances) as they are', () => {
    const bare = Object.assign(Object.create(null), { token: 't' })
    expect(Object.getPrototypeOf(scrub(bare))).toBe(null)
    class Secretive {
      password = 'kept: not a JSON value'
    }
    const instance = new Secretive()
    const date = new Date(0)
    expect(scrub(instance)).toBe(instance)
    expect(scrub(date)).toBe(date)
  })

  it('replaces containers nested deeper than maxDepth, and survives a hostile deep tree', () => {
    const r = createRedactor({ maxDepth: 3 })
    expect(r({ a: { b: { c: { d: 'x' } } } })).toEqual({ a: { b: { c: '[REDACTED]' } } })
    let deep: unknown = 'leaf'
    for (let i = 0; i < 200_000; i++) deep = [deep]
    expect(() => scrub(deep)).not.toThrow()
    // A cycle (not JSON, but a caller's object might have one) ends at the cap too.
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    expect(() => scrub(cyclic)).not.toThrow()
  })

  it('replaces every string, object and array past maxNodes', () => {
    const r = createRedactor({ maxNodes: 4 })
    expect(r({ a: 'x', b: 'y', c: [1], d: 'z' })).toEqual({
      a: 'x',
      b: 'y',
      c: [1],
      d: '[REDACTED]',
    })
  })

  it('calls a replacement function with the rule, the key and what it replaces', () => {
    const seen: RedactionMatch[] = []
    const r = createRedactor({
      replacement: (m) => {
        seen.push(m)
        return `<${m.rule}>`
      },
    })
    expect(r({ pin: 1, token: 1234, note: `k ${aws}`, text: 'password=hunter2' })).toEqual({
      pin: 1,
      token: '<key>',
      note: 'k <aws>',
      text: 'password=<key>',
    })
    expect(seen).toEqual([
      { rule: 'key', key: 'token', value: 1234 },
      { rule: 'aws', key: 'note', value: aws },
      { rule: 'key', key: 'password', value: 'hunter2' },
    ])
  })

  it('runs your own regexes, with their own flags, without touching their lastIndex', () => {
    const ssn = /\b\d{3}-\d{2}-\d{4}\b/g
    ssn.lastIndex = 5
    const r = createRedactor({
      patterns: [ssn, { name: 'ticket', regex: /tick-\d+/i }],
      replacement: (m) => `[${m.rule}]`,
    })
    expect(r('ssn 078-05-1120 and TICK-42')).toBe('ssn [custom] and [ticket]')
    expect(ssn.lastIndex).toBe(5)
  })

  it('refuses bad options when it is created', () => {
    expect(() => createRedactor({ keys: 'password' as never })).toThrow(
      '[@mcpx/transformers] keys must be an array of key names or globs',
    )
    expect(() => createRedactor({ keys: [''] })).toThrow('keys[0] must be')
    expect(() => createRedactor({ keys: ['bad\\'] })).toThrow('keys[0] must be a valid glob')
    expect(() => createRedactor({ patterns: ['nope' as never] })).toThrow('patterns[0] must be')
    expect(() => createRedactor({ patterns: [/x*/] })).toThrow(
      'patterns[0] must be a regex that does not match the empty string',
    )
    expect(() => createRedactor({ replacement: 3 as never })).toThrow('replacement must be')
    expect(() => createRedactor({ maxDepth: 0 })).toThrow(
      'maxDepth must be an integer from 1 to 1000',
    )
    expect(() => createRedactor({ maxNodes: 1.5 })).toThrow('maxNodes must be an integer ≥ 1')
    expect(() => createRedactor({ keysInText: 'yes' as never })).toThrow(
      'keysInText must be a boolean',
    )
    expect(() => createRedactor({ depth: 3 } as never)).toThrow(
      'createRedactor() options key "depth" must be one of',
    )
  })

  it('memoises short keys only: a long key is looked at anew each time (the memo is bounded in characters)', () => {
    const seen: string[] = []
    const r = createRedactor({
      replacement: (m) => {
        seen.push(m.rule)
        return '[R]'
      },
    })
    const short = `k ${aws}`
    const long = `${'k'.repeat(MAX_MEMO_KEY)} ${aws}`
    for (let i = 0; i < 2; i++) r({ [short]: 1, [long]: 1 })
    // The short key's rule is memoised (one call); the long one is scanned each time.
    expect(seen).toEqual(['aws', 'aws', 'aws'])
  })

  it('does not mutate the options it was given', () => {
    const keys = ['password']
    const options = Object.freeze({
      keys: Object.freeze(keys),
      patterns: Object.freeze(['aws' as const]),
    })
    createRedactor(options)
    expect(keys).toEqual(['password'])
  })
})

// The property: for any JSON tree holding configured secrets anywhere (under
// configured keys, inside strings short and long, glued to punctuation, as
// keys in text, as object keys), nothing configured survives in the output
// with the default options, and the input is deep-equal to a copy taken before.
describe('createRedactor(): properties', () => {
  const isConfiguredKey = keyMatcher(defaultRedactKeys)
  // What must not survive: each inserted secret and key-in-text value, verbatim.
  const marker = 'm4rk3r'
  const secrets = [
    aws,
    `ASIA${'Z9'.repeat(8)}`,
    jwt,
    'Bearer abcdefgh12345678',
    `ghp_${'a1B2'.repeat(9)}`,
    ['xoxb', '1234567890', 'AbCd'].join('-'),
    `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`,
    `sk-proj-${'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1H'.repeat(2)}`,
    `AIza${'SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'}`,
    ['-----BEGIN EC PRIVATE KEY-----', 'MHcCAQEEIB', '-----END EC PRIVATE KEY-----'].join('\n'),
  ]
  const forbidden = [
    marker,
    ...secrets.map((x) => (x.startsWith('Bearer') ? 'abcdefgh12345678' : x)),
  ]
  // The built-in patterns' own sources, fresh: none of them may match what comes out.
  const survivors = [new RegExp(compileBuiltins(defaultRedactPatterns)!.regex.source, 'i')]
  const r = createRedactor()

  const keyName = fc.constantFrom(
    ...['password', 'DB_PASSWORD', 'api_key', 'x-api-key', 'access_token', 'Token', 'apikey'],
    ...['client_secret', 'private_key', 'credentials', 'Cookie', 'Authorization'],
  )
  const headerKey = fc.constantFrom('Cookie', 'set-cookie', 'Authorization', 'proxy-authorization')
  const value = fc.constantFrom(
    ...[marker, `"${marker}"`, `'${marker} x'`, `{"a": "${marker}", "b": [1, "}"]}`],
    ...[`["${marker}", {"c": 2}]`, `Basic ${marker}==`, `"x\\"${marker}"`, `[${marker}]`],
    ...secrets.filter((x) => !x.includes('\n')),
  )
  // Where a key in text can start: after a character that is not part of a key.
  // An escaped line break or tab (JSON text of a multi-line string) is one too.
  const lead = fc.constantFrom(' ', '\n', ',', '{', '&', '?', '"', '(', '\\n', '\\r\\n', '\\t')
  // Each ends where a bare value does (a blank, `,`, `&`): a bare value runs on over `?` and `:`.
  const end = fc.constantFrom(' ', '\n', ',', '&', ';')
  const keyInText = fc.oneof(
    fc
      .tuple(lead, keyName, fc.constantFrom(':', ': ', '=', ' = ', '\t:'), value, end)
      .map((t) => t.join('')),
    fc
      .tuple(lead, keyName, fc.constantFrom(': ', ':'), value, end)
      .map(([l, k, sep, v, e]) => `${l}"${k}"${sep}${v}${e}`),
    // Every cookie of a header line, not the first only.
    fc.tuple(headerKey).map(([k]) => `\n${k}: a=b; session=${marker}; Path=/\n`),
    fc.tuple(headerKey).map(([k]) => `{"raw":"GET /\\r\\n${k}: a=b; session=${marker}\\r\\nX: y"}`),
    // A header line that starts a JSON string, escaped or not.
    fc
      .tuple(headerKey, fc.constantFrom('"', '\\"'))
      .map(([k, q]) => `{${q}h${q}:${q}${k}: a=b; session=${marker}${q},${q}ok${q}:1}`),
  )
  // A bare value runs on over these: a key glued after them sits inside it.
  const glueInBare = fc.constantFrom('x?', 'x(', 'x/', 'x|', 'x:', 'x=', 'x[', 'x{', '?', '')
  const innerSep = fc.constantFrom(':', '=', ': ', ' = ', ' :', '":', '" = ')
  const keyInBare = fc.oneof(
    fc
      .tuple(
        lead,
        keyName,
        fc.constantFrom(':', ': ', '='),
        glueInBare,
        keyName,
        innerSep,
        value,
        end,
      )
      .map(([l, k, sep, g, inner, sep2, v, e]) => `${l}${k}${sep}${g}${inner}${sep2}${v}${e}`),
    fc
      .tuple(lead, keyName, fc.constantFrom(':', '='), glueInBare, headerKey)
      .map(([l, k, sep, g, h]) => `${l}${k}${sep}${g}${h}: a=b; session=${marker}\n`),
  )
  // A PEM block under a key: its body (not only its BEGIN line) is the secret.
  const pemUnderKey = fc
    .tuple(lead, keyName, fc.constantFrom(': ', '=', '": '), fc.constantFrom('', '"'), end)
    .map(
      ([l, k, sep, q, e]) =>
        `${l}${k}${sep}${q}-----BEGIN EC PRIVATE KEY-----\n${marker}\n-----END EC PRIVATE KEY-----${q}${e}`,
    )
  // A secret glued to punctuation on both sides (no space), among arbitrary text.
  const glue = fc.constantFrom(
    '"',
    "'",
    '(',
    ')',
    '[',
    ']',
    '<',
    '>',
    ',',
    ';',
    ':',
    '/',
    '|',
    '\n',
    '',
  )
  const glued = fc
    .tuple(
      fc.string({ maxLength: 10 }),
      glue,
      fc.constantFrom(...secrets),
      glue,
      fc.string({ maxLength: 10 }),
    )
    .map(([a, g1, x, g2, b]) => `${a} ${g1}${x}${g2} ${b}`)
  const fragment = fc.oneof(fc.string({ maxLength: 20 }), glued, keyInText, keyInBare, pemUnderKey)
  // Short strings and long ones (the anchored search starts at 128 characters).
  const text = fc
    .array(fragment, { minLength: 1, maxLength: 12 })
    .chain((parts) =>
      fc.constantFrom(
        parts.join(''),
        `${parts.join('')}${' pad'.repeat(40)}`,
        `${'pad '.repeat(40)}${parts.join('')}`,
      ),
    )
  const key = fc.oneof(
    fc.string({ maxLength: 8 }),
    keyName,
    fc.constantFrom('access_token', 'x_token', 'text', 'type', 'progressToken'),
    glued,
    keyInText,
  )
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small' },
      text,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('tree'), { maxLength: 5 }),
      fc.dictionary(key, tie('tree'), { maxKeys: 5 }),
    ),
  }))

  const everyString = (value: unknown, visit: (s: string) => void) => {
    if (typeof value === 'string') visit(value)
    else if (Array.isArray(value)) for (const v of value) everyString(v, visit)
    else if (value !== null && typeof value === 'object') {
      for (const [name, v] of Object.entries(value)) {
        visit(name)
        everyString(v, visit)
      }
    }
  }
  const configuredKeysHold = (value: unknown): boolean => {
    if (Array.isArray(value)) return value.every(configuredKeysHold)
    if (value === null || typeof value !== 'object') return true
    return Object.entries(value).every(([k, v]) =>
      isConfiguredKey(k.toLowerCase()) ? v === '[REDACTED]' : configuredKeysHold(v),
    )
  }
  // Keys in text in what comes out: each value found is the replacement already.
  const found: unknown[] = []
  const keysOnly = createRedactor({
    patterns: [],
    replacement: (m) => {
      found.push(m.value)
      return '[REDACTED]'
    },
  })

  it('no configured key or value pattern survives anywhere, and the input is unchanged', () => {
    fc.assert(
      fc.property(tree, (input) => {
        const before = structuredClone(input)
        const out = r(input)
        expect(input).toEqual(before)
        expect(configuredKeysHold(out)).toBe(true)
        everyString(out, (s) => {
          for (const f of forbidden) expect(s).not.toContain(f)
          for (const pattern of survivors) expect(s).not.toMatch(pattern)
          found.length = 0
          keysOnly(s)
          for (const v of found) expect(v).toBe('[REDACTED]')
        })
      }),
      { numRuns: 500 },
    )
  })

  it('is idempotent, and what it returns unchanged it returns as the same object', () => {
    fc.assert(
      fc.property(tree, (input) => {
        const once = r(input)
        expect(r(once)).toBe(once)
      }),
      { numRuns: 300 },
    )
  })
})
