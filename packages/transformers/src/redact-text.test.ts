import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileKeysInText } from './redact-keys-text.js'
import { keyMatcher } from './redact-options.js'
import { compileBuiltins, defaultRedactKeys, redactPatternNames } from './redact-patterns.js'
import { textScanner } from './redact-text.js'
import { createRedactor } from './redact-walk.js'

// Fixtures assembled so that no scanner mistakes this file for a leak.
const aws = ['AKIA', 'IOSFODNN7EXAMPLE'].join('')
const jwt = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', 'c2lnbmF0dXJlX2hlcmU'].join('.')
const secrets = [
  aws,
  aws.toLowerCase(),
  `ASIA${'Z9'.repeat(8)}`,
  jwt,
  'Bearer abcdefgh12345678',
  'bEaReR\tabc.def~ghi+jkl/==',
  `ghp_${'a1B2'.repeat(9)}`,
  `github_pat_${'11ABCDEFG0'.repeat(3)}_xyz`,
  ['xoxb', '1234567890', 'AbCd'].join('-'),
  `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`,
  `RK_TEST_${'51H8xYzAbCdEf'}`,
  `sk-proj-${'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1H'.repeat(2)}`,
  `AIza${'SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'}`,
  ['-----BEGIN EC PRIVATE KEY-----', 'MHcCAQEEIB', '-----END EC PRIVATE KEY-----'].join('\n'),
  '-----BEGIN PRIVATE KEY-----\nMIIEvQ cut short',
  'ada.lovelace+mcp@example.co.uk',
  'x@y.io',
]
// Near misses and the characters the anchors are found by.
const noise = fc.constantFrom(
  ...['task-', 'sk-', 'sk_', 'rk_live_', 'gh', 'ghp_', 'github_', 'xox', 'xoxb-', 'eyJ', 'eyJ.x'],
  ...[
    'AIza',
    'AKIA',
    'Bearer',
    'bearer ',
    '-----',
    '-----BEGIN',
    '@',
    '@@',
    '.',
    '_',
    '-',
    'z',
    'J',
  ],
  ...[' ', '\n', '\t', '"', "'", ':', '=', '(', ')', '/', '+', '%', '~', 'é', 'K', 'ſ'],
)
const fragment = fc.oneof(fc.constantFrom(...secrets), noise, fc.string({ maxLength: 12 }))
// Long enough that the anchored search runs (it starts at 128 characters), and short ones too.
const text = fc
  .array(fragment, { minLength: 1, maxLength: 80 })
  .chain((parts) => fc.constantFrom(parts.join(''), parts.join('').padEnd(130, '.')))

/** The scan as one pass of the whole regex, as it was before the anchors: the reference. */
function reference(names: readonly (typeof redactPatternNames)[number][]) {
  const { regex, alternatives } = compileBuiltins(names)!
  const copy = new RegExp(regex.source, 'gi')
  return (s: string) =>
    s.replace(copy, (...args: unknown[]) => {
      const alt = alternatives.find((a) => args[a.index] !== undefined)!
      const whole = args[alt.index] as string
      if (alt.inner === undefined) return `<${alt.rule}>`
      const secret = args[alt.inner] as string
      return `${whole.slice(0, whole.length - secret.length)}<${alt.rule}>`
    })
}

describe('the anchored search of the built-in patterns', () => {
  for (const [label, names] of [
    ['the defaults', redactPatternNames.filter((n) => n !== 'email')],
    ['every built-in, email too', redactPatternNames],
    ['email alone', ['email'] as const],
  ] as const) {
    it(`finds exactly what one pass of the whole regex finds (${label})`, () => {
      const ref = reference(names)
      const r = createRedactor({
        patterns: names,
        keys: [],
        keysInText: false,
        replacement: (m) => `<${m.rule}>`,
      })
      fc.assert(
        fc.property(text, (s) => {
          expect(r(s)).toBe(ref(s))
        }),
        { numRuns: 1500 },
      )
    })
  }

  it('finds an email whose local part is 64 characters long, and none with 65, in a long text', () => {
    const r = createRedactor({ patterns: ['email'], keys: [] })
    const pad = 'x '.repeat(70)
    expect(r(`${pad}${'a'.repeat(64)}@example.com`)).toBe(`${pad}[REDACTED]`)
    expect(r(`${pad}${'a'.repeat(65)}@example.com`)).toBe(`${pad}${'a'.repeat(65)}@example.com`)
  })

  it('replaces secrets in a long text in any case, and returns a clean long text as itself', () => {
    const r = createRedactor()
    const clean = 'The task-runner ended at 2025-06-01T12:00:00Z; see item-7. '.repeat(20)
    expect(r(clean)).toBe(clean)
    const dirty = `${clean}key ${aws.toLowerCase()}, ${jwt.toUpperCase()} and BeArEr abcdefgh12345678`
    expect(r(dirty)).toBe(`${clean}key [REDACTED], [REDACTED] and BeArEr [REDACTED]`)
  })
})

/**
 * Keys in text as one pass of the keys' regex found them before the
 * separator search: the reference. An open value (bare, or a quote left
 * open) is extended through the value of every key inside it, each read
 * in full (the scan under test does not read a bare one inside a run).
 */
function oneRegexScan(
  s: string,
  regex: RegExp,
  isKey: (lower: string) => boolean,
  replace: (name: string, v: string) => string,
): string {
  const re = new RegExp(regex.source, 'gi')
  const isKeyChar = (c: string | undefined) => c !== undefined && /[a-z0-9_.-]/i.test(c)
  // The next key at or after `at`, its name read back to `floor`, ending by `within` if given.
  const next = (at: number, floor: number, within?: number) => {
    re.lastIndex = at
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      const core = m[1]!
      const start = m.index
      re.lastIndex = start + core.length
      if (within !== undefined && start + core.length > within) return null
      let keyStart = start
      while (keyStart > floor && isKeyChar(s[keyStart - 1])) keyStart--
      if (keyStart === floor && floor > 0 && isKeyChar(s[keyStart - 1])) continue
      let name = s.slice(keyStart, start) + core
      if (!isKey(name.toLowerCase())) {
        // After an escape (`\ntoken`), the name without its letter.
        if (!/^\\[nrt]/.test(s.slice(keyStart - 1)) || !isKey(name.slice(1).toLowerCase())) continue
        name = name.slice(1)
      }
      const from = start + core.length + m[2]!.length
      return { start, core, name, sep: m[2]!, from, value: m[3]!, end: start + m[0].length }
    }
    return null
  }
  // Open: bare, or a quote that its unescaped closing quote does not end.
  const open = (value: string) => {
    const q = value.startsWith('\\"') ? '\\"' : value[0] === '"' || value[0] === "'" ? value[0] : ''
    if (q === '') return true
    if (value.length < 2 * q.length || !value.endsWith(q[q.length - 1]!)) return true
    const slashes = /\\*$/.exec(value.slice(q.length, -1))![0].length
    return q === '\\"' ? slashes % 4 !== 1 : slashes % 2 !== 0
  }
  let out = ''
  let last = 0
  for (let k = next(0, 0); k !== null; k = next(last, last)) {
    const { start, core, name, sep, from } = k
    let end = k.end
    if (open(k.value)) {
      for (let at = from; end < s.length; ) {
        const inner = next(at, at, end)
        if (inner === null) break
        end = Math.max(end, inner.end)
        at = open(inner.value) ? inner.from : inner.end
      }
    }
    const value = s.slice(from, end)
    let v = ''
    const q0 = ['\\"', '"', "'"].find(
      (q) => value.length >= 2 * q.length && value.startsWith(q) && value.endsWith(q),
    )
    if (q0 !== undefined)
      v = q0 + replace(name, value.slice(q0.length, value.length - q0.length)) + q0
    else if (value.startsWith('\\"')) v = `\\"${replace(name, value.slice(2))}`
    else if (value[0] === '"' || value[0] === "'") v = value[0] + replace(name, value.slice(1))
    else {
      const q = sep.startsWith('\\"') ? '\\"' : sep[0] === '"' || sep[0] === "'" ? sep[0] : ''
      v = q + replace(name, value) + q
    }
    out += s.slice(last, start) + core + sep + v
    last = end
  }
  return last === 0 ? s : out + s.slice(last)
}

describe('keys in text found from their separators', () => {
  const keyNames = fc.constantFrom(
    ...['password', 'PassWord', 'db_password', 'passwords', 'api_key', 'API-KEY', 'x-api-key'],
    // Not the header keys (cookie, authorization): their lines are replaced to the end now.
    ...['token', 'x_token', 'notoken', 'progressToken', 'Bearer', 'secret', 'my.secret'],
  )
  const seps = fc.constantFrom(':', '=', ': ', ' = ', '":', '" : ', '\\":', "':", '\t:\t', '==')
  const values = fc.constantFrom(
    ...['"hunter2"', "'x y'", 'abc', '\\"v\\"', 'Basic dXNlcg==', 'bearer tok', '', ',', '"open'],
  )
  // No `{` nor `[`: a value that opens one is now replaced through its closing bracket.
  // `?`, `(`, `|`, `/`: a bare value runs on over them, into the next key.
  const junk = fc.constantFrom(
    ' ',
    '\n',
    '}',
    ',',
    '&',
    '?',
    '(',
    '|',
    '/',
    'a',
    '-',
    '_',
    '.',
    '"',
    '\\',
  )
  const keyText = fc
    .array(
      fc.oneof(
        fc.tuple(keyNames, seps, values).map((t) => t.join('')),
        junk,
        keyNames,
      ),
      {
        maxLength: 30,
      },
    )
    // Padded: the separator search runs on strings of 128 characters and more.
    .chain((parts) =>
      fc.constantFrom(parts.join('').padEnd(130), `${' '.repeat(130)}${parts.join('')}`),
    )

  for (const keys of [defaultRedactKeys, ['password', '*_token', 'x', 'my.secret']]) {
    it(`matches what the one-regex scan finds, for keys ${keys.slice(0, 3).join(', ')}…`, () => {
      const compiled = compileKeysInText(keys)!
      expect(compiled.literal).toBeDefined()
      const calls: unknown[][] = [[], []]
      const isKey = keyMatcher(keys)
      const fast = textScanner({
        builtins: undefined,
        keys: compiled,
        customs: [],
        isKey,
        replace: (rule, key, value) => {
          calls[0]!.push([rule, key, value])
          return '[R]'
        },
      })
      const slow = (s: string) =>
        oneRegexScan(s, compiled.regex, isKey, (name, v) => {
          calls[1]!.push(['key', name, v])
          return '[R]'
        })
      fc.assert(
        fc.property(keyText, (s) => {
          for (const c of calls) c.length = 0
          expect(fast(s, undefined)).toBe(slow(s))
          expect(calls[0]).toEqual(calls[1])
        }),
        { numRuns: 2000 },
      )
    })
  }

  it('finds keys that are not literals (globs with an inner *) from the separators too', () => {
    expect(compileKeysInText(['x-*-id'])!.literal).toBeUndefined()
    expect(compileKeysInText(['*'])!.literal).toBeUndefined()
    const r = createRedactor({ keys: ['x-*-id'] })
    expect(r('X-Tenant-Id: t42, x-id: 1, a.x-b-id=2')).toBe(
      'X-Tenant-Id: [REDACTED], x-id: 1, a.x-b-id=2',
    )
  })
})

describe('hostile text', () => {
  it('scans 1 MB of near misses in linear time', () => {
    // Every anchor character, every literal that starts a pattern, run on
    // and on: quadratic work would take minutes here. Generous: a loaded
    // CI machine takes a fraction of it.
    const mb = 1 << 20
    const fill = (unit: string) => unit.repeat(Math.ceil(mb / unit.length))
    const runs = [
      fill('-'),
      fill('_'),
      fill('@'),
      fill('a@'),
      fill('eyJ'),
      fill('ghp_'),
      fill('xoxb-'),
      fill('sk-'),
      fill('AIza'),
      fill('AKIA'),
      fill('Bearer '),
      fill('-----BEGIN PRIVATE KEY-----'),
      fill('-----BEGIN PGP PRIVATE KEY BLOCK-----'),
      `-----BEGIN ${'A'.repeat(mb)}`,
      // PEM blocks under a key, their END line searched for once.
      fill('private_key: -----BEGIN '),
      fill('private_key="-----BEGIN x\n'),
      fill('private_key: -----BEGIN x-----END'),
      fill('password:'),
      fill('"api_key" : '),
      `${' '.repeat(mb)}:`,
      fill('token=\\"'),
      fill('password=\\"a\\\\\\"'),
      // Quoted values past the cap, read on to their closing quote.
      fill(`password: "${'s'.repeat(5000)}\\"`),
      fill(`password: \\"${'s'.repeat(5000)}\\\\\\"`),
      // A run that `\b` does not cut (`-` and `_` are in it), and each pattern's like it.
      fill('-eyJ'),
      fill('.eyJ'),
      fill('_eyJ'),
      fill('-eyJhbGciOiJIUzI1NiJ9.'),
      fill('_eyJhbGciOiJIUzI1NiJ9'),
      fill(`-eyJ${'a'.repeat(100)}`),
      fill('-eyJ-a'),
      fill('-xoxb'),
      fill('-sk-'),
      fill('_sk_live_'),
      fill('-AIza'),
      fill('.ghp_'),
      fill('-github_pat_'),
      fill('.AKIA'),
      fill('-bearer\t'),
      fill('a.b@c.'),
      // Near-miss keys: a value read after each would run to the end.
      fill('atoken:x'),
      fill('atoken:"x'),
      fill('\\natoken:x'),
      fill('\\r\\nCookie: a'),
      fill('apassword="'),
      fill('xcookie:{'),
      fill('credentials:{'),
      fill('cookie: ['),
      fill('"cookie: a'),
      fill("'cookie: a\\"),
      fill('\\"cookie: a\\\\'),
      fill(`password=x?\\"cookie: a${'\\\\\\"cookie: a'.repeat(1000)}\\"\n`),
      fill("credentials:{'}"),
      fill('xapp-'),
      fill('-xoxe'),
      `token=${'x'.repeat(mb)}`,
      // Keys inside another key's bare value, each separator looked at once.
      `password=x?${fill('token=a?')}`,
      `password=x?${fill('token="a"')}`,
      `password=x?${fill('token:basic ')}`,
      `password=x?${fill('cookie:a?')}`,
      fill(`password=x?${'cookie:a?'.repeat(1000)}\n`),
      `password=x?${fill('token={')}`,
      fill('password=x?token={}'),
      fill('password=x?token  :'),
      `password=x?${fill('"cookie: ')}`,
      // One separator kind only: the other is searched for once, not after each match.
      fill('pwd=x&'),
      fill('cookie: a\n'),
      fill('apassword: x '),
      fill('password: x?password:'),
      fill('token=Bearer '),
    ]
    const glob = createRedactor({ keys: ['x-*-secret'] })
    const all = createRedactor({ patterns: redactPatternNames, replacement: '' })
    const defaults = createRedactor()
    for (const r of [all, defaults]) {
      for (const run of runs) {
        const started = performance.now()
        r(run)
        expect(performance.now() - started, run.slice(0, 12)).toBeLessThan(1_000)
      }
    }
    const started = performance.now()
    glob(`${'x-'.repeat(mb / 2)}=`)
    expect(performance.now() - started, 'x-…=').toBeLessThan(1_000)
    // Many runs, each bounded: the whole may outlast the default timeout on a loaded machine.
  }, 60_000)

  it('scans 4 MiB (the downstream limit) of keys with one separator kind in linear time', () => {
    const defaults = createRedactor()
    for (const unit of ['pwd=x&', 'cookie: a\n']) {
      const run = unit.repeat(Math.ceil((4 << 20) / unit.length))
      const started = performance.now()
      defaults(run)
      // Generous: linear is well under a second; quadratic was 25 s.
      expect(performance.now() - started, unit).toBeLessThan(5_000)
    }
  })
})
