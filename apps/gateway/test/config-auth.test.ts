import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'
import { exposureProblem, isLoopback } from '../src/config-auth.js'
import { loadConfigFile } from '../src/load-config.js'

const SECRET = 'a-test-secret-of-at-least-32-bytes-long!'
const upstreams = { math: { example: 'math' } }
const jwt = { secret: SECRET, algorithms: ['HS256'], audience: 'https://mcp.test' }

/** The problems of a config with this `auth` section, which must be refused. */
function problemsOf(auth: unknown): readonly string[] {
  const checked = checkConfig({ auth, upstreams })
  if (checked.ok) throw new Error('the config was accepted')
  return checked.problems
}

function authOf(auth: unknown) {
  const checked = checkConfig({ auth, upstreams })
  if (!checked.ok) throw new Error(checked.problems.join('\n'))
  return checked.config.auth
}

describe('the auth section', () => {
  it('accepts examples/gateway-auth.yaml with JWT_SECRET set, and refuses it without', async () => {
    const file = fileURLToPath(new URL('../examples/gateway-auth.yaml', import.meta.url))
    const checked = checkConfig(await loadConfigFile(file, { JWT_SECRET: SECRET }))
    if (!checked.ok) throw new Error(checked.problems.join('\n'))
    const auth = checked.config.auth
    if (auth === undefined || auth === 'none') throw new Error('no auth')
    expect(auth.authenticators.map((a) => a.kind)).toEqual(['jwt', 'bearer'])
    expect(auth.authenticators[0]!.options).toMatchObject({
      secret: SECRET,
      issuer: 'https://auth.example.com',
    })
    await expect(loadConfigFile(file, {})).rejects.toThrow(
      'auth.jwt.secret: variable JWT_SECRET is not set',
    )
  })

  it('is undefined without one and "none" when the file says so', () => {
    expect(authOf(undefined)).toBeUndefined()
    expect(authOf('none')).toBe('none')
  })

  it('keeps the authenticators in file order, with metadata and scope rules', () => {
    const digest = 'ab'.repeat(32)
    const auth = authOf({
      bearer: { tokens: [{ sha256: digest.toUpperCase(), subject: 'ci', scopes: ['tools:*'] }] },
      jwt: [jwt, { jwksUri: 'https://idp.test/jwks', algorithms: ['RS256'], audience: false }],
      apiKey: { header: 'x-key', keys: [{ key: 'k-123', subject: 'partner', clientId: 'p' }] },
      introspection: {
        endpoint: 'https://idp.test/introspect',
        clientId: 'gw',
        clientSecret: 's',
        audience: 'https://mcp.test/mcp',
        issuer: 'https://idp.test',
        timeout: 2000,
      },
      resource: 'https://mcp.test/mcp',
      authorizationServers: ['https://idp.test'],
      scopesSupported: ['math:add'],
      scopes: { tools: { add: 'math:add', 'admin_*': ['admin', 'audit'] }, refuse: 'unknown' },
    })
    if (auth === undefined || auth === 'none') throw new Error('no auth')
    expect(auth.authenticators.map((a) => a.kind)).toEqual([
      'bearer',
      'jwt',
      'jwt',
      'apiKey',
      'introspection',
    ])
    expect(auth.authenticators[0]!.options).toEqual({
      tokens: [{ token: { sha256: digest }, principal: { subject: 'ci', scopes: ['tools:*'] } }],
    })
    expect(auth.authenticators[1]!.options).toEqual({ ...jwt, secret: SECRET })
    expect(auth.authenticators[2]!.options).toEqual({
      jwksUri: 'https://idp.test/jwks',
      algorithms: ['RS256'],
      audience: false,
    })
    expect(auth.authenticators[3]!.options).toEqual({
      header: 'x-key',
      keys: [{ key: 'k-123', principal: { subject: 'partner', clientId: 'p', scopes: [] } }],
    })
    expect(auth.metadata).toEqual({
      resource: 'https://mcp.test/mcp',
      authorizationServers: ['https://idp.test'],
      scopesSupported: ['math:add'],
    })
    expect(auth.access).toEqual({
      rules: { tools: { add: ['math:add'], 'admin_*': ['admin', 'audit'] } },
      refuse: 'unknown',
    })
  })

  it.each([
    ['off', 'auth: must be \'none\' or an object, got "off"'],
    [{}, 'auth: needs an authenticator: jwt, bearer, apiKey, introspection (or auth: none)'],
    [{ jwts: jwt }, 'auth.jwts: unknown key (did you mean jwt?)'],
    [{ jwt: [] }, 'auth.jwt: must be an object or a non-empty array of them'],
    [{ jwt: { ...jwt, algorithms: undefined } }, 'auth.jwt.algorithms: is required'],
    [{ jwt: { ...jwt, audience: undefined } }, 'auth.jwt.audience: is required'],
    [{ jwt: { ...jwt, audience: [] } }, 'auth.jwt.audience: must be a string or a non-empty array'],
    [{ jwt: { ...jwt, algorithms: ['none'] } }, "auth.jwt.algorithms[0]: must be one of 'HS256'"],
    [{ jwt: { ...jwt, algorithms: [] } }, 'auth.jwt.algorithms: must name at least one algorithm'],
    [
      { jwt: { ...jwt, jwksUri: 'https://idp.test/jwks' } },
      'auth.jwt: needs exactly one of secret, key or jwksUri (got secret and jwksUri)',
    ],
    [{ jwt: { ...jwt, secret: 'short' } }, 'auth.jwt.secret: HS256 needs at least 32 bytes'],
    [
      { jwt: { ...jwt, algorithms: ['RS256'] } },
      'auth.jwt: a secret verifies HS256/384/512 only, not RS256',
    ],
    [{ jwt: { ...jwt, jwks: { timeout: 10 } } }, 'auth.jwt.jwks: only with jwksUri'],
    [
      {
        jwt: {
          jwksUri: 'https://idp.test/jwks',
          algorithms: ['RS256'],
          audience: 'a',
          jwks: { cooldown: -1 },
        },
      },
      'auth.jwt.jwks.cooldown: must be a number ≥ 0, got -1',
    ],
    [
      { jwt: { jwksUri: 'ftp://idp.test/jwks', algorithms: ['RS256'], audience: 'a' } },
      'auth.jwt.jwksUri: must be an http(s) URL',
    ],
    [
      { jwt: { key: 'not a key', algorithms: ['RS256'], audience: 'a' } },
      'auth.jwt: key must be a public key PEM (SPKI or certificate) or a public JWK',
    ],
    [{ jwt: { ...jwt, clockTolerance: '30s' } }, 'auth.jwt.clockTolerance: must be a number ≥ 0'],
    [{ bearer: { tokens: [] } }, 'auth.bearer.tokens: must be a non-empty array'],
    [
      { bearer: { tokens: [{ token: 't', sha256: 'ab'.repeat(32), subject: 's' }] } },
      'auth.bearer.tokens[0]: needs exactly one of token and sha256',
    ],
    [
      { bearer: { tokens: [{ sha256: 'xyz', subject: 's' }] } },
      'auth.bearer.tokens[0].sha256: must be 64 hex digits',
    ],
    [{ bearer: { tokens: [{ token: 't' }] } }, 'auth.bearer.tokens[0].subject: is required'],
    [
      { bearer: { tokens: [{ token: 't', subject: 's', scopes: ['tools call'] }] } },
      'auth.bearer.tokens[0].scopes[0]: must be a scope',
    ],
    [
      { apiKey: { keys: [{ key: 'k', subject: 's' }], header: 'x key' } },
      'auth.apiKey.header: must be an HTTP header name',
    ],
    [
      { apiKey: { keys: [{ token: 'k', subject: 's' }] } },
      'auth.apiKey.keys[0].token: unknown key',
    ],
    [
      { introspection: { endpoint: 'https://idp.test/i', clientId: 'gw', audience: false } },
      'auth.introspection.clientSecret: is required',
    ],
    [
      { introspection: { endpoint: 'https://idp.test/i', clientId: 'gw', clientSecret: 's' } },
      'auth.introspection.audience: is required',
    ],
    [
      { jwt, resource: 'https://mcp.test/mcp' },
      'auth.authorizationServers: is required with auth.resource',
    ],
    [
      { jwt, resource: 'http://mcp.test/mcp', authorizationServers: ['https://idp.test'] },
      'auth.resource: must use https (http only on loopback)',
    ],
    [
      { jwt, resource: 'https://mcp.test/mcp', authorizationServers: ['http://idp.test'] },
      'auth.authorizationServers[0]: must use https (http only on loopback)',
    ],
    [{ jwt, scopesSupported: ['a'] }, 'auth.scopesSupported: only with auth.resource'],
    [{ jwt, scopes: { tool: {} } }, 'auth.scopes.tool: unknown key (did you mean tools?)'],
    [
      { jwt, scopes: { tools: { 'a\\': 'x' } } },
      'auth.scopes.tools["a\\\\"]: pattern ends in a lone',
    ],
    [{ jwt, scopes: { tools: { add: [] } } }, 'auth.scopes.tools.add: must name a scope'],
    [{ jwt, scopes: { tools: { add: 'a b' } } }, 'auth.scopes.tools.add[0]: must be a scope'],
    [
      { jwt, scopes: { unmatched: 'maybe' } },
      "auth.scopes.unmatched: must be one of 'allow', 'deny'",
    ],
  ])('refuses auth %j: %s', (auth, problem) => {
    const problems = problemsOf(auth)
    expect(
      problems.some((line) => line.startsWith(problem)),
      problems.join('\n'),
    ).toBe(true)
  })

  it('never shows a secret in a problem', () => {
    const secrets = ['short-secret-value', 'token-value-xyz', 'client-secret-value']
    const problems = problemsOf({
      jwt: { ...jwt, secret: secrets[0] },
      bearer: { tokens: [{ token: secrets[1], sha256: 'ab'.repeat(32), subject: 's' }] },
      introspection: {
        endpoint: 'ftp://x',
        clientId: 'gw',
        clientSecret: secrets[2],
        audience: 'a',
      },
      apiKey: { keys: [{ key: 12345678, subject: 's' }] },
    })
    expect(problems.length).toBeGreaterThanOrEqual(4)
    for (const value of [...secrets, '12345678']) expect(problems.join('\n')).not.toContain(value)
  })
})

describe('the loopback rule', () => {
  const config = (host: string, auth?: unknown, transport = 'http') => {
    const checked = checkConfig({ auth, serve: { host, transport }, upstreams })
    if (!checked.ok) throw new Error(checked.problems.join('\n'))
    return checked.config
  }

  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])(
    'counts %s as loopback',
    (host) => {
      expect(isLoopback(host)).toBe(true)
    },
  )

  it.each(['0.0.0.0', '::', '10.0.0.1', 'mcp.example.com', '128.0.0.1'])(
    'does not count %s as loopback',
    (host) => expect(isLoopback(host)).toBe(false),
  )

  it('refuses a non-loopback host without auth, unless auth is none or set, or the front end is stdio', () => {
    expect(exposureProblem(config('0.0.0.0'))).toMatch(
      /^serve.host: 0.0.0.0 is not a loopback address, and with no auth section/,
    )
    expect(exposureProblem(config('127.0.0.1'))).toBeUndefined()
    expect(exposureProblem(config('0.0.0.0', 'none'))).toBeUndefined()
    expect(exposureProblem(config('0.0.0.0', { jwt }))).toBeUndefined()
    expect(exposureProblem(config('0.0.0.0', undefined, 'stdio'))).toBeUndefined()
  })
})
