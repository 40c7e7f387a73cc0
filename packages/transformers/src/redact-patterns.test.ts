import { describe, expect, it } from 'vitest'
import { MAX_VALUE } from './redact-key-values.js'
import { defaultRedactKeys, defaultRedactPatterns, redactPatternNames } from './redact-patterns.js'
import { createRedactor } from './redact-walk.js'

// Test fixtures, assembled so that no scanner mistakes this file for a leak.
const aws = ['AKIA', 'IOSFODNN7EXAMPLE'].join('')
const ghp = `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`
const pat = `github_pat_${'11ABCDEFG0'.repeat(3)}_xyz`
const slack = ['xoxb', '123456789012', '1234567890123', 'AbCdEfGhIjKl'].join('-')
const slackRefresh = ['xoxe', '1', 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'].join('-')
const slackApp = ['xapp', '1', 'A0123456789', '1234567890123', 'abcdef0123456789'].join('-')
const stripe = `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`
const restricted = `rk_test_${'51H8xYzAbCdEf'}`
const openai = `sk-proj-${'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1H'.repeat(2)}`
const google = `AIza${'SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'}`
const jwt = [
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
  'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ',
  'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
].join('.')
const pem = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB',
  'aFDrBz9vFqU4yYkMC1tC3fSkU6h0vIvj5d0Tl2aD0GpZ8pQ==',
  '-----END RSA PRIVATE KEY-----',
].join('\n')
const pgp = [
  '-----BEGIN PGP PRIVATE KEY BLOCK-----',
  '',
  'lQOYBF0vSecretBodyAAAAAAAAAAAAAAAAAAAAAAAAAA',
  '=AbCd',
  '-----END PGP PRIVATE KEY BLOCK-----',
].join('\n')

const scrub = createRedactor()
const withEmail = createRedactor({ patterns: [...defaultRedactPatterns, 'email'] })

describe('built-in value patterns', () => {
  it.each([
    ['an AWS access key id', aws],
    ['a GitHub personal access token', ghp],
    ['a GitHub fine-grained token', pat],
    ['a Slack bot token', slack],
    ['a Slack refresh token', slackRefresh],
    ['a Slack app-level token', slackApp],
    ['a Stripe live secret key', stripe],
    ['a Stripe restricted test key', restricted],
    ['an OpenAI project key', openai],
    ['a Google API key', google],
    ['a JWT', jwt],
    ['a PEM private key block', pem],
    ['a PGP private key block', pgp],
  ])('replaces %s inside text, keeping the text around it', (_name, secret) => {
    expect(scrub(`before ${secret} after`)).toBe('before [REDACTED] after')
    expect(scrub(`(${secret})`)).toBe('([REDACTED])')
  })

  it('replaces a JWT glued after - or _ (session-eyJ…, at_eyJ…), keeping what it is glued to', () => {
    expect(scrub(`session-${jwt}`)).toBe('session-[REDACTED]')
    expect(scrub(`at_${jwt}`)).toBe('at_[REDACTED]')
    expect(scrub(`x-${'a'.repeat(200)}_${jwt} tail`)).toBe(`x-${'a'.repeat(200)}_[REDACTED] tail`)
    // Glued after a letter or digit, eyJ is the middle of a word.
    expect(scrub(`x${jwt}`)).toBe(`x${jwt}`)
  })

  it('keeps a bearer scheme and replaces its token, in any case', () => {
    expect(scrub('sent with Bearer abc123def456ghi789 yesterday')).toBe(
      'sent with Bearer [REDACTED] yesterday',
    )
    expect(scrub('BEARER abc123def456ghi789')).toBe('BEARER [REDACTED]')
  })

  it('replaces a private key block cut short, to the end of its body', () => {
    const cut = pem.slice(0, 90)
    expect(scrub(`key: ${cut}`)).not.toContain('MIIE')
  })

  it('leaves ordinary prose, ids and near misses alone', () => {
    for (const text of [
      'the bearer of bad news',
      'task-assessment and risk-free skeletons',
      `AKIA${'X'.repeat(15)}`, // one short
      `xAKIA${'X'.repeat(16)}`, // not at a word start
      'ghp_short',
      'eyJ.eyJ.x',
      'pk_live_4eC39HqLyjWDarjtT1zdp7dc', // publishable: public by design
      '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh\n-----END PUBLIC KEY-----',
      'ada@example.com', // emails are off by default
    ]) {
      expect(scrub(text)).toBe(text)
    }
  })

  it('finds emails only when asked', () => {
    expect(withEmail('mail ada.lovelace+mcp@example.co.uk now')).toBe('mail [REDACTED] now')
    expect(withEmail('no@tld')).toBe('no@tld')
  })

  it('runs each pattern alone when only it is chosen', () => {
    const awsOnly = createRedactor({ patterns: ['aws'], keys: [] })
    expect(awsOnly(`${aws} ${jwt}`)).toBe(`[REDACTED] ${jwt}`)
    expect(createRedactor({ patterns: [], keys: [] })(`${aws}`)).toBe(aws)
  })

  it('names every built-in, and leaves email out of the defaults', () => {
    expect(redactPatternNames).toEqual([
      'bearer',
      'jwt',
      'privateKey',
      'aws',
      'github',
      'slack',
      'stripe',
      'openai',
      'google',
      'email',
    ])
    expect(defaultRedactPatterns).not.toContain('email')
    expect(defaultRedactKeys).not.toContain('*token') // MCP's progressToken is no secret
  })

  it('scans hostile text in linear time (no catastrophic backtracking)', () => {
    // Long runs that start like a secret and never finish one: quadratic
    // patterns would take minutes on these; the test timeout catches that.
    const runs = [
      'a'.repeat(200_000),
      `${'-----BEGIN PRIVATE KEY-----'.repeat(5_000)}`,
      `${'eyJ'.repeat(50_000)}`,
      `${'x'.repeat(100_000)}@`,
      `${'password'.repeat(20_000)}=`,
      `${'_token'.repeat(30_000)}: "${'\\"'.repeat(30_000)}`,
      `Bearer ${'='.repeat(100_000)}`,
      '-eyJ'.repeat(50_000),
      '_eyJ'.repeat(50_000),
      'atoken:x'.repeat(30_000),
      'atoken:"x'.repeat(30_000),
    ]
    const redactAll = createRedactor({ patterns: redactPatternNames })
    const started = performance.now()
    for (const run of runs) redactAll(run)
    expect(performance.now() - started).toBeLessThan(5_000)
  })
})

describe('keys in text', () => {
  it('replaces the value after a key in JSON text, keeping it valid JSON', () => {
    const text = JSON.stringify({ user: 'ada', password: 'hunter2', pin: 1234, api_key: 'k1' })
    const out = JSON.parse(scrub(text))
    expect(out).toEqual({ user: 'ada', password: '[REDACTED]', pin: 1234, api_key: '[REDACTED]' })
  })

  it('quotes a bare value after a quoted key, so the JSON stays JSON', () => {
    expect(JSON.parse(scrub('{"db_password": 1234}'))).toEqual({ db_password: '[REDACTED]' })
  })

  it('handles JSON inside JSON (escaped quotes)', () => {
    const inner = JSON.stringify(JSON.stringify({ client_secret: 's3cr3t', ok: true }))
    expect(JSON.parse(JSON.parse(scrub(inner)))).toEqual({
      client_secret: '[REDACTED]',
      ok: true,
    })
  })

  it('handles query strings, headers, env files and YAML', () => {
    expect(scrub('https://x.test/cb?access_token=abc123&state=ok')).toBe(
      'https://x.test/cb?access_token=[REDACTED]&state=ok',
    )
    expect(scrub('Authorization: Basic dXNlcjpwYXNz\nAccept: */*')).toBe(
      'Authorization: [REDACTED]\nAccept: */*',
    )
    expect(scrub('DB_PASSWORD=hunter2\nPORT=5432')).toBe('DB_PASSWORD=[REDACTED]\nPORT=5432')
    expect(scrub("apiKey: 'k-123'")).toBe("apiKey: '[REDACTED]'")
  })

  it('matches keys in text exactly as keys in objects: whole names, case-insensitive', () => {
    expect(scrub('notoken: visible, Token: hidden')).toBe('notoken: visible, Token: [REDACTED]')
    expect(scrub('passwords: 3')).toBe('passwords: 3')
    expect(scrub('progressToken: 7')).toBe('progressToken: 7')
  })

  it('still scans what follows a word that is no key', () => {
    expect(scrub(`note: ${aws}`)).toBe('note: [REDACTED]')
  })

  it('is off with keysInText: false', () => {
    expect(createRedactor({ keysInText: false })('password=hunter2')).toBe('password=hunter2')
  })

  it('replaces an object or array value through its closing bracket, keeping JSON text JSON', () => {
    const text = JSON.stringify({
      credentials: { user: 'x', pw: 'hunter2', note: 'a "}" inside' },
      cookie: ['sid=abc', 'b=[c]'],
      ok: 1,
    })
    expect(JSON.parse(scrub(text))).toEqual({
      credentials: '[REDACTED]',
      cookie: '[REDACTED]',
      ok: 1,
    })
    const inner = JSON.stringify(JSON.stringify({ credentials: { pw: 'x"}' }, ok: true }))
    expect(JSON.parse(JSON.parse(scrub(inner)))).toEqual({ credentials: '[REDACTED]', ok: true })
    // Left open: nothing after the key is let through.
    expect(scrub('credentials={"pw":"hunter2", "more": 1')).toBe('credentials=[REDACTED]')
    // Single-quoted strings are skipped too (a Python repr), and quotes of the other kind in them.
    expect(scrub("{'credentials': {'note': '}', 'pass': 'hunter2'}, 'ok': 1}")).toBe(
      "{'credentials': '[REDACTED]', 'ok': 1}",
    )
    expect(JSON.parse(scrub('{"credentials": {"note": "it\'s }"}, "ok": 1}'))).toEqual({
      credentials: '[REDACTED]',
      ok: 1,
    })
  })

  it('finds a key after an escaped line break or tab in JSON text (\\ntoken: …), JSON inside JSON too', () => {
    for (const log of [
      'started\ntoken: abc123\nok',
      'a\r\napi_key=abc123\tnext',
      'x\tsecret: s3 y',
      'GET / HTTP/1.1\r\nCookie: sid=abc\r\nHost: x',
    ]) {
      const text = JSON.stringify({ log, ok: 1 })
      const out = JSON.parse(scrub(text))
      expect(out.ok, text).toBe(1)
      expect(out.log, text).not.toMatch(/abc|s3/)
      expect(out.log, text).toContain('[REDACTED]')
      const inner = JSON.stringify(JSON.stringify({ log, ok: 1 }))
      const twice = JSON.parse(JSON.parse(scrub(inner)))
      expect(twice.ok, inner).toBe(1)
      expect(twice.log, inner).not.toMatch(/abc|s3/)
    }
    expect(
      JSON.parse(scrub(JSON.stringify({ raw: 'GET /\r\nCookie: sid=abc\r\nHost: x' }))),
    ).toEqual({
      raw: 'GET /\r\nCookie: [REDACTED]\r\nHost: x',
    })
  })

  it('replaces a header line that starts a string to the end of that string (JSON text stays JSON)', () => {
    const text = JSON.stringify({
      headers: 'Cookie: sid=abc',
      raw: 'Cookie: a=\\"b c\\"\r\nHost: x',
      ok: 1,
    })
    expect(JSON.parse(scrub(text))).toEqual({
      headers: 'Cookie: [REDACTED]',
      raw: 'Cookie: [REDACTED]\r\nHost: x',
      ok: 1,
    })
    const inner = JSON.stringify(JSON.stringify({ h: 'Authorization: Basic dXNlcg==', ok: 1 }))
    expect(JSON.parse(JSON.parse(scrub(inner)))).toEqual({ h: 'Authorization: [REDACTED]', ok: 1 })
    expect(scrub("['Cookie: sid=abc', 'Host: x']")).toBe("['Cookie: [REDACTED]', 'Host: x']")
  })

  it('replaces a cookie or authorization header line to its end', () => {
    expect(scrub('Cookie: a=b; session=xyz\nAccept: */*')).toBe('Cookie: [REDACTED]\nAccept: */*')
    expect(scrub('set-cookie: sid=1; Path=/; HttpOnly\r\nX-A: b')).toBe(
      'set-cookie: [REDACTED]\r\nX-A: b',
    )
    expect(scrub('Proxy-Authorization: Digest u="a", nonce="b"')).toBe(
      'Proxy-Authorization: [REDACTED]',
    )
  })

  it('fails closed on a value longer than the cap: quoted to its quote, bare to the end of its line', () => {
    const long = 'x'.repeat(MAX_VALUE + 10)
    expect(JSON.parse(scrub(JSON.stringify({ token: long, ok: 1 })))).toEqual({
      token: '[REDACTED]',
      ok: 1,
    })
    expect(scrub(`password=${long}${'y'.repeat(10)} next: 1\nPORT=1`)).toBe(
      'password=[REDACTED]\nPORT=1',
    )
  })

  it('replaces an escaped-quoted value (JSON inside JSON) whole, inner escaped quotes and all', () => {
    const inner = JSON.stringify(JSON.stringify({ password: 'a"b c', note: 'x\\y', ok: 1 })).slice(
      1,
      -1,
    )
    expect(scrub(inner)).toBe(
      String.raw`{\"password\":\"[REDACTED]\",\"note\":\"x\\\\y\",\"ok\":1}`,
    )
    // Non-ASCII escaped by the outer text only (Python's ensure_ascii).
    expect(scrub(String.raw`{\"password\": \"caf\u00e9 au lait\"}`)).toBe(
      String.raw`{\"password\": \"[REDACTED]\"}`,
    )
  })

  it('fails closed on a quoted value past the cap with inner quotes: replaced to its real closing quote', () => {
    const long = 's'.repeat(MAX_VALUE + 10)
    expect(scrub(`{"password": "ab\\"${long}"}`)).toBe('{"password": "[REDACTED]"}')
    expect(scrub(`{"password": "it's ${long}", "ok": 1}`)).toBe(
      '{"password": "[REDACTED]", "ok": 1}',
    )
    expect(scrub(`{\\"password\\": \\"${long}\\"}`)).toBe(
      String.raw`{\"password\": \"[REDACTED]\"}`,
    )
    expect(scrub(`{\\"password\\": \\"a\\\\\\"${long}\\"}`)).toBe(
      String.raw`{\"password\": \"[REDACTED]\"}`,
    )
    // Left open: to the end of its line; escaped, to the end of the string it sits in.
    expect(scrub(`password="${long} x\nPORT=1`)).toBe('password="[REDACTED]\nPORT=1')
    expect(scrub(`"{\\"password\\": \\"${long}", "ok": 1`)).toBe(
      String.raw`"{\"password\": \"[REDACTED]", "ok": 1`,
    )
  })

  it("replaces through the value of a key inside another key's bare value", () => {
    for (const [text, out] of [
      ['password: x?password:Basic Y0urS3cret', 'password: [REDACTED]'],
      ['password=x?token="a b c" next', 'password=[REDACTED] next'],
      ['password=x?token : "a b c"', 'password=[REDACTED]'],
      ['password=x?cookie: a=b; session=S3CR3T\nPORT=1', 'password=[REDACTED]\nPORT=1'],
      ['password=x?authorization: Basic dXNlcjpwYXNz', 'password=[REDACTED]'],
      ['password=x(api_key={"k": "S3 CR3T"}) ok', 'password=[REDACTED]) ok'],
      // Nested: the key inside the key inside.
      ['pwd=a?token=b?api_key="c d" e', 'pwd=[REDACTED] e'],
      // A key inside a run whose value ends with the run changes nothing.
      [
        'https://x.test/cb?access_token=abc?token=def&state=ok',
        'https://x.test/cb?access_token=[REDACTED]&state=ok',
      ],
    ]) {
      expect(scrub(text), text).toBe(out)
    }
  })

  it('replaces a PEM key under a key through its END line, quoted or not (the body is the secret)', () => {
    const body = 'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn'
    const block = (label: string, eol: string) =>
      [`-----BEGIN ${label}-----`, body, `-----END ${label}-----`].join(eol)
    expect(scrub(`private_key: ${block('PRIVATE KEY', '\n')}\nnext: 1`)).toBe(
      'private_key: [REDACTED]\nnext: 1',
    )
    expect(scrub(`PRIVATE_KEY="${block('RSA PRIVATE KEY', '\r\n')}"\r\nPORT=1`)).toBe(
      'PRIVATE_KEY="[REDACTED]"\r\nPORT=1',
    )
    expect(scrub(`{\\"private_key\\": \\"${block('EC PRIVATE KEY', '\n')}\\"}`)).toBe(
      String.raw`{\"private_key\": \"[REDACTED]\"}`,
    )
    // Any block: under a key, a certificate is replaced too.
    expect(scrub(`private_key: ${block('CERTIFICATE', '\n')}`)).toBe('private_key: [REDACTED]')
    // No END line: nothing after the BEGIN line is let through.
    expect(scrub(`private_key: -----BEGIN PRIVATE KEY-----\n${body}\nnote: x`)).toBe(
      'private_key: [REDACTED]',
    )
  })

  it('uses custom globs in text too', () => {
    const r = createRedactor({ keys: ['x-*-id'] })
    expect(r('X-Tenant-Id: t42, x-id: 1')).toBe('X-Tenant-Id: [REDACTED], x-id: 1')
  })
})
