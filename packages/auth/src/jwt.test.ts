import { ErrorCode, McpxError } from '@mcpx/core'
import {
  AUDIENCE,
  b64u,
  bearer,
  claims,
  hmacToken,
  ISSUER,
  jwksServer,
  type KeyPair,
  keyPair,
  now,
  SECRET,
  sign,
} from '@mcpx/test-utils/tokens'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { jwt } from './jwt.js'

let rsa: KeyPair
beforeAll(async () => {
  rsa = await keyPair('RS256')
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

/** The refusal every failed check gives: -32030 with a Bearer challenge, nothing of the token. */
async function expectRefused(promise: Promise<unknown>, token?: string): Promise<McpxError> {
  const error = await promise.then(
    () => {
      throw new Error('accepted a token it should refuse')
    },
    (e: unknown) => e,
  )
  expect(McpxError.is(error)).toBe(true)
  const mcpx = error as McpxError
  expect(mcpx.code).toBe(ErrorCode.Unauthorized)
  expect(mcpx.headers?.['www-authenticate']).toMatch(/^Bearer( error="invalid_(token|request)")?$/)
  if (token) expect(JSON.stringify(mcpx.toJSON())).not.toContain(token.slice(0, 20))
  return mcpx
}

const hs = (extra = {}) =>
  jwt({ secret: SECRET, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, ...extra })
const rs = (extra = {}) =>
  jwt({ key: rsa.pem, algorithms: ['RS256'], issuer: ISSUER, audience: AUDIENCE, ...extra })

describe('jwt() options', () => {
  it('throws a TypeError without an algorithms allow-list', () => {
    expect(() => jwt({ secret: SECRET, audience: AUDIENCE } as never)).toThrow(TypeError)
    expect(() => jwt({ secret: SECRET, algorithms: [], audience: AUDIENCE })).toThrow(TypeError)
  })

  it.each([0, -1, 1.5, 1_000_001, 2 ** 31 - 1, '10'])('refuses cache.max %s', (max) => {
    // lru-cache allocates its table for max at once: a huge one would exhaust the heap.
    expect(() => hs({ cache: { max } })).toThrow(
      new TypeError('[@mcpx/auth] jwt() cache.max must be an integer > 0 and ≤ 1000000'),
    )
  })

  it.each([-1, Number.NaN, '1000'])('refuses cache.ttl %s', (ttl) => {
    expect(() => hs({ cache: { ttl } })).toThrow(
      new TypeError('[@mcpx/auth] jwt() cache.ttl must be a finite number >= 0'),
    )
  })

  it('throws a TypeError for alg none in the allow-list', () => {
    expect(() =>
      jwt({ secret: SECRET, algorithms: ['none' as never], audience: AUDIENCE }),
    ).toThrow(TypeError)
  })

  it('throws a TypeError for an HMAC algorithm beside a public key or a JWKS', () => {
    expect(() => jwt({ key: rsa.pem, algorithms: ['RS256', 'HS256'], audience: AUDIENCE })).toThrow(
      TypeError,
    )
    expect(() =>
      jwt({ jwksUri: 'https://x.test/jwks', algorithms: ['HS256'], audience: AUDIENCE }),
    ).toThrow(TypeError)
  })

  it('throws a TypeError for a secret shorter than the hash (RFC 7518 §3.2)', () => {
    expect(() => jwt({ secret: 'short', algorithms: ['HS256'], audience: AUDIENCE })).toThrow(
      TypeError,
    )
  })

  it('throws a TypeError for no key source, or for two', () => {
    expect(() => jwt({ algorithms: ['HS256'], audience: AUDIENCE } as never)).toThrow(TypeError)
    expect(() =>
      jwt({ secret: SECRET, key: rsa.pem, algorithms: ['HS256'], audience: AUDIENCE } as never),
    ).toThrow(TypeError)
  })

  it('throws a TypeError without an audience, pointing to audience: false', () => {
    const noAudience = { secret: SECRET, algorithms: ['HS256'] } as never
    expect(() => jwt(noAudience)).toThrow(TypeError)
    expect(() => jwt(noAudience)).toThrow(
      /^\[@mcpx\/auth\] jwt\(\) needs an audience \(the resource this server is\), or audience: false/,
    )
    expect(() =>
      jwt({ secret: SECRET, algorithms: ['HS256'], audience: undefined as never }),
    ).toThrow(/needs an audience/)
  })

  it('throws a TypeError for an empty, blank or non-string audience', () => {
    for (const audience of ['', [], [AUDIENCE, ''], [42], true, null]) {
      expect(() =>
        jwt({ secret: SECRET, algorithms: ['HS256'], audience: audience as never }),
      ).toThrow(TypeError)
    }
  })

  it('throws a TypeError for a private key', async () => {
    const { exportJWK } = await import('jose')
    const priv = await exportJWK(rsa.privateKey)
    expect(() => jwt({ key: priv, algorithms: ['RS256'], audience: AUDIENCE })).toThrow(TypeError)
  })
})

describe('jwt() accepts', () => {
  it('a valid HS256 token, with subject, client id, scopes, claims and expiresAt from exp', async () => {
    const payload = claims({ scope: 'tools:read  math:*', client_id: 'app-1' })
    const principal = await hs()(bearer(await sign(SECRET, payload)))
    expect(principal).toEqual({
      subject: 'alice',
      clientId: 'app-1',
      scopes: ['tools:read', 'math:*'],
      claims: payload,
      expiresAt: payload.exp! * 1000,
    })
  })

  it('valid RS256, PS256, ES256 and EdDSA tokens with a PEM or a JWK', async () => {
    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
      const pair = await keyPair(alg)
      const token = await sign(pair)
      await expect(
        jwt({ key: pair.pem, algorithms: [alg], audience: AUDIENCE })(bearer(token)),
      ).resolves.toMatchObject({ subject: 'alice' })
      await expect(
        jwt({ key: pair.jwk, algorithms: [alg], audience: AUDIENCE })(bearer(token)),
      ).resolves.toMatchObject({ subject: 'alice' })
    }
  })

  it('scopes from scp (array), from a configured claim, and the client id from azp', async () => {
    const scp = await hs()(bearer(await sign(SECRET, claims({ scp: ['a', 'b'], azp: 'web' }))))
    expect(scp).toMatchObject({ scopes: ['a', 'b'], clientId: 'web' })
    const custom = await hs({ scopeClaim: 'perms' })(
      bearer(await sign(SECRET, claims({ perms: 'x y', scope: 'ignored' }))),
    )
    expect(custom.scopes).toEqual(['x', 'y'])
  })

  it('refuses a token whose scope is present but null, rather than reading scp instead', async () => {
    await expectRefused(hs()(bearer(await sign(SECRET, claims({ scope: null, scp: ['admin'] })))))
  })

  it('a token with the configured typ, and refuses another typ', async () => {
    const verify = hs({ typ: 'at+jwt' })
    await expect(
      verify(bearer(await sign(SECRET, claims(), { typ: 'at+jwt' }))),
    ).resolves.toBeTruthy()
    await expectRefused(verify(bearer(await sign(SECRET, claims(), { typ: 'JWT' }))))
  })

  it('a token whose aud names one of several configured audiences, or names several', async () => {
    const verify = hs({ audience: ['https://other.test', AUDIENCE] })
    await expect(verify(bearer(await sign(SECRET)))).resolves.toBeTruthy()
    const several = await sign(SECRET, claims({ aud: ['https://api.test', AUDIENCE] }))
    await expect(hs()(bearer(several))).resolves.toBeTruthy()
  })

  it('any aud, and a token without one, with audience: false', async () => {
    const verify = hs({ audience: false })
    const { aud: _, ...noAud } = claims()
    for (const payload of [claims({ aud: 'https://other.test' }), noAud]) {
      await expect(verify(bearer(await sign(SECRET, payload)))).resolves.toMatchObject({
        subject: 'alice',
      })
      // The same token for a server that names its audience.
      await expectRefused(hs()(bearer(await sign(SECRET, payload))))
    }
  })

  it('an iat or nbf within the clock tolerance', async () => {
    const token = await sign(SECRET, claims({ iat: now() + 20, nbf: now() + 20 }))
    await expect(hs({ clockTolerance: 30 })(bearer(token))).resolves.toBeTruthy()
    await expectRefused(hs()(bearer(token)))
  })
})

describe('jwt() refuses (attacks, issue 9)', () => {
  it('a token signed with alg none', async () => {
    const token = `${b64u(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64u(JSON.stringify(claims()))}.`
    await expectRefused(hs()(bearer(token)), token)
    await expectRefused(hs()(bearer(`${token}AAAA`)))
    await expectRefused(rs()(bearer(token)))
  })

  it('an HS256 token whose HMAC key is the RSA public key (algorithm confusion)', async () => {
    for (const keyText of [rsa.pem, JSON.stringify(rsa.jwk)]) {
      const token = await hmacToken(
        { alg: 'HS256', typ: 'JWT' },
        claims(),
        new TextEncoder().encode(keyText),
      )
      await expectRefused(rs()(bearer(token)), token)
      await expectRefused(
        jwt({ key: rsa.jwk, algorithms: ['RS256'], audience: AUDIENCE })(bearer(token)),
        token,
      )
    }
  })

  it('an expired token', async () => {
    await expectRefused(
      hs()(bearer(await sign(SECRET, claims({ iat: now() - 700, exp: now() - 60 })))),
    )
  })

  it('a token whose nbf is in the future', async () => {
    await expectRefused(hs()(bearer(await sign(SECRET, claims({ nbf: now() + 3600 })))))
  })

  it('a token without exp (jose accepts one by default)', async () => {
    const { exp: _, ...noExp } = claims()
    await expectRefused(hs()(bearer(await sign(SECRET, noExp))))
  })

  it('a token issued one hour ahead (jose accepts a future iat by default)', async () => {
    await expectRefused(
      hs()(bearer(await sign(SECRET, claims({ iat: now() + 3600, exp: now() + 7200 })))),
    )
  })

  it('a wrong iss and a wrong aud', async () => {
    await expectRefused(hs()(bearer(await sign(SECRET, claims({ iss: 'https://evil.test' })))))
    await expectRefused(hs()(bearer(await sign(SECRET, claims({ aud: 'https://other.test' })))))
    const { aud: _, ...noAud } = claims()
    await expectRefused(hs()(bearer(await sign(SECRET, noAud))))
  })

  it('a token with an unknown crit header', async () => {
    // Signed by hand: jose refuses to sign an unknown crit too.
    const key = new TextEncoder().encode(SECRET)
    const header = { alg: 'HS256', crit: ['x-unknown'], 'x-unknown': true }
    await expectRefused(hs()(bearer(await hmacToken(header, claims(), key))))
    const control = await hmacToken({ alg: 'HS256', 'x-unknown': true }, claims(), key)
    await expect(hs()(bearer(control))).resolves.toBeTruthy()
  })

  it('kid path tricks (../../dev/null), signed with an empty key', async () => {
    const header = { alg: 'HS256', kid: '../../dev/null' }
    const token = await hmacToken(header, claims(), new Uint8Array(0))
    await expectRefused(hs()(bearer(token)))
    const server = await jwksServer([rsa.jwk])
    try {
      const verify = jwt({
        jwksUri: server.url,
        algorithms: ['RS256'],
        audience: AUDIENCE,
        jwks: { cooldown: 60_000 },
      })
      await expectRefused(verify(bearer(await sign(rsa, claims(), { kid: '../../dev/null' }))))
      await expectRefused(verify(bearer(await sign(rsa, claims(), { kid: '__proto__' }))))
      expect(server.hits).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('jku, x5u and embedded jwk headers pointing to an attacker key set, which is never fetched', async () => {
    const attacker = await keyPair('RS256', rsa.kid)
    const evil = await jwksServer([attacker.jwk])
    const good = await jwksServer([rsa.jwk])
    try {
      const verify = jwt({ jwksUri: good.url, algorithms: ['RS256'], audience: AUDIENCE })
      for (const header of [{ jku: evil.url }, { x5u: evil.url }, { jwk: attacker.jwk }]) {
        await expectRefused(verify(bearer(await sign(attacker, claims(), header))))
      }
      await expectRefused(
        jwt({ key: rsa.pem, algorithms: ['RS256'], audience: AUDIENCE })(
          bearer(await sign(attacker, claims(), { jku: evil.url })),
        ),
      )
      expect(evil.hits).toBe(0)
      // The real key still verifies through the configured set.
      await expect(
        verify(bearer(await sign(rsa, claims(), { jku: evil.url }))),
      ).resolves.toBeTruthy()
      expect(evil.hits).toBe(0)
    } finally {
      await evil.close()
      await good.close()
    }
  })

  it('a tampered payload with the original signature', async () => {
    const token = await sign(SECRET, claims({ scope: 'read' }))
    const [h, , s] = token.split('.')
    const forged = `${h}.${b64u(JSON.stringify(claims({ scope: 'admin', sub: 'root' })))}.${s}`
    const verify = hs()
    await expect(verify(bearer(token))).resolves.toBeTruthy()
    await expectRefused(verify(bearer(forged)))
  })

  it('a 100 KB token before any crypto or key lookup', async () => {
    const server = await jwksServer([rsa.jwk])
    const subtle = vi.spyOn(crypto.subtle, 'verify')
    try {
      const token = await sign(rsa, claims({ pad: 'x'.repeat(100_000) }))
      const verify = jwt({ jwksUri: server.url, algorithms: ['RS256'], audience: AUDIENCE })
      await expectRefused(verify(bearer(token)))
      expect(server.hits).toBe(0)
      expect(subtle).not.toHaveBeenCalled()
      // The same key set does verify a normal token, so the checks above can fail.
      await expect(verify(bearer(await sign(rsa)))).resolves.toBeTruthy()
      expect(server.hits).toBe(1)
      expect(subtle).toHaveBeenCalledTimes(1)
    } finally {
      await server.close()
    }
  })

  it('an empty token, a garbage token and a missing or non-Bearer header', async () => {
    const verify = hs()
    for (const authorization of [
      'Bearer ',
      'Bearer    ',
      'Bearer garbage',
      'Bearer a.b.c',
      'Bearer ..',
    ]) {
      await expectRefused(verify({ headers: { authorization } }))
    }
    const missing = await expectRefused(verify({ headers: {} }))
    expect(missing.headers?.['www-authenticate']).toBe('Bearer')
    await expectRefused(verify({ headers: { authorization: 'Basic YWxpY2U6cHc=' } }))
  })

  it('a token in the query string, and two Authorization headers', async () => {
    const token = await sign(SECRET)
    const verify = hs()
    const inQuery = await expectRefused(
      verify({ ...bearer(token), url: `/mcp?access_token=${token}` }),
    )
    expect(inQuery.headers?.['www-authenticate']).toBe('Bearer error="invalid_request"')
    await expectRefused(
      verify({ headers: { authorization: [`Bearer ${token}`, `Bearer ${token}`] } }),
    )
  })

  it('a token without sub, or with a malformed scope claim', async () => {
    const { sub: _, ...noSub } = claims()
    await expectRefused(hs()(bearer(await sign(SECRET, noSub))))
    await expectRefused(hs()(bearer(await sign(SECRET, claims({ scope: 42 })))))
  })

  it('a token signed by another key of the right type', async () => {
    const other = await keyPair('RS256')
    await expectRefused(rs()(bearer(await sign(other))))
    await expectRefused(hs()(bearer(await sign('another-secret-of-at-least-32-bytes!!'))))
  })
})
