import {
  AUDIENCE,
  b64u,
  claims,
  hmacToken,
  ISSUER,
  type JwksServer,
  jwksServer,
  type KeyPair,
  keyPair,
  now,
  sign,
} from '@mcpx/test-utils/tokens'
import { LATEST_PROTOCOL_VERSION } from '@mcpx/transports'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { jwt } from '../src/index.js'
import { type Gateway, gateway } from './harness.js'

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'attacker', version: '1' },
  },
}

const encoder = new TextEncoder()
let key: KeyPair
let attacker: KeyPair
let jwks: JwksServer
let attackerKeys: JwksServer
let gw: Gateway

const verifier = () =>
  jwt({ jwksUri: jwks.url, algorithms: ['RS256', 'ES256'], issuer: ISSUER, audience: AUDIENCE })

beforeAll(async () => {
  key = await keyPair('RS256')
  attacker = await keyPair('RS256', key.kid)
  jwks = await jwksServer([key.jwk])
  attackerKeys = await jwksServer([attacker.jwk])
  gw = await gateway(verifier())
})

afterAll(async () => {
  await gw?.close()
  await jwks?.close()
  await attackerKeys?.close()
})

interface Sent {
  authorization?: string
  query?: string
  session?: string
  body?: unknown
}

function post({ authorization, query = '', session, body = INITIALIZE }: Sent): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  }
  if (authorization !== undefined) headers.authorization = authorization
  if (session !== undefined) headers['mcp-session-id'] = session
  return fetch(`${gw.url}${query}`, { method: 'POST', headers, body: JSON.stringify(body) })
}

/** The token's parts with the payload swapped, the signature kept. */
async function tampered(): Promise<string> {
  const [header, , signature] = (await sign(key)).split('.')
  return `${header}.${b64u(JSON.stringify(claims({ scope: 'admin' })))}.${signature}`
}

function withoutExp(): Record<string, unknown> {
  const { exp: _, ...rest } = claims()
  return rest
}

const ATTACKS: [string, () => Promise<string>][] = [
  [
    'alg none',
    async () => `${b64u('{"alg":"none","typ":"JWT"}')}.${b64u(JSON.stringify(claims()))}.`,
  ],
  [
    'alg none with a signature part',
    async () => `${b64u('{"alg":"none"}')}.${b64u(JSON.stringify(claims()))}.AAAA`,
  ],
  [
    'HS256 signed with the RSA public key',
    () => hmacToken({ alg: 'HS256', kid: key.kid }, claims(), encoder.encode(key.pem)),
  ],
  ['an expired token', () => sign(key, claims({ iat: now() - 600, exp: now() - 60 }))],
  ['nbf in the future', () => sign(key, claims({ nbf: now() + 3600 }))],
  ['no exp', () => sign(key, withoutExp())],
  ['iat one hour ahead', () => sign(key, claims({ iat: now() + 3600, exp: now() + 7200 }))],
  ['a wrong iss', () => sign(key, claims({ iss: 'https://evil.test' }))],
  ['a wrong aud', () => sign(key, claims({ aud: 'https://other.test' }))],
  ['an unknown crit header', () => sign(key, claims(), { crit: ['x-mcpx'], 'x-mcpx': true })],
  [
    'a kid path trick with an empty HMAC key',
    () => hmacToken({ alg: 'HS256', kid: '../../dev/null' }, claims(), new Uint8Array()),
  ],
  [
    'a kid path trick on the allowed algorithm',
    () => sign(attacker, claims(), { kid: '../../dev/null' }),
  ],
  [
    'jku pointing to an attacker key set',
    () => sign(attacker, claims(), { jku: attackerKeys.url }),
  ],
  [
    'x5u pointing to an attacker key set',
    () => sign(attacker, claims(), { x5u: attackerKeys.url }),
  ],
  ['an embedded jwk header', () => sign(attacker, claims(), { jwk: attacker.jwk })],
  ['a tampered payload with the original signature', tampered],
  ['a garbage token', async () => 'garbage'],
]

describe('attacks through a running proxy: refused with 401, the upstream gets nothing', () => {
  it.each(ATTACKS)('refuses %s', async (_, token) => {
    const response = await post({ authorization: `Bearer ${await token()}` })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer error="invalid_(token|request)", resource_metadata="/,
    )
    expect(gw.upstream.requests).toHaveLength(0)
  })

  it('refuses a 100 KB token before any signature check', async () => {
    const token = await sign(key, claims({ pad: 'x'.repeat(100_000) }))
    const verify = vi.spyOn(crypto.subtle, 'verify')
    try {
      const response = await post({ authorization: `Bearer ${token}` })
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
      expect(verify).not.toHaveBeenCalled()
      // The control: a token that is checked does reach the spied function.
      await verifier()({ headers: { authorization: `Bearer ${await sign(key)}` } })
      expect(verify).toHaveBeenCalled()
    } finally {
      verify.mockRestore()
    }
    expect(gw.upstream.requests).toHaveLength(0)
  })

  it('refuses an empty bearer token and an empty Authorization header', async () => {
    for (const authorization of ['Bearer ', 'Bearer', '']) {
      expect((await post({ authorization })).status).toBe(401)
    }
    expect(gw.upstream.requests).toHaveLength(0)
  })

  it('never fetched the key sets that jku and x5u pointed to', () => {
    expect(attackerKeys.hits).toBe(0)
  })

  it('refuses a token in the query string, even a valid one, and with a valid header too', async () => {
    const token = await sign(key)
    const alone = await post({ query: `?access_token=${token}` })
    expect(alone.status).toBe(401)
    expect(alone.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_request"/)
    const both = await post({ query: `?access_token=${token}`, authorization: `Bearer ${token}` })
    expect(both.status).toBe(401)
    expect(gw.upstream.requests).toHaveLength(0)
  })

  it("refuses a valid token replayed on another principal's session, forwarding nothing", async () => {
    const opened = await post({ authorization: `Bearer ${await sign(key)}` })
    expect(opened.status).toBe(200)
    const session = opened.headers.get('mcp-session-id')!
    await opened.body?.cancel()
    const mallory = `Bearer ${await sign(key, claims({ sub: 'mallory' }))}`
    const call = {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'math_add', arguments: { a: 1, b: 2 } },
    }
    const replayed = await post({ authorization: mallory, session, body: call })
    expect(replayed.status).toBe(403)
    await replayed.body?.cancel()
    const calls = gw.upstream.requests.filter((request) => request.rpc.includes('tools/call'))
    expect(calls).toEqual([])
  })
})
