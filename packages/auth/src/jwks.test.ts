import { McpxError } from '@mcpx/core'
import {
  AUDIENCE,
  bearer,
  claims,
  type JwksServer,
  jwksServer,
  type KeyPair,
  keyPair,
  sign,
} from '@mcpx/test-utils/tokens'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { jwt } from './jwt.js'

let k1: KeyPair
let k2: KeyPair
let server: JwksServer
beforeAll(async () => {
  k1 = await keyPair('ES256', 'k1')
  k2 = await keyPair('ES256', 'k2')
})
afterEach(async () => {
  vi.useRealTimers()
  await server?.close()
})

const verifier = (jwks = {}) =>
  jwt({
    jwksUri: server.url,
    algorithms: ['ES256'],
    audience: AUDIENCE,
    cache: false,
    jwks: { cooldown: 30_000, ...jwks },
  })

const refused = (promise: Promise<unknown>) =>
  promise.then(
    () => false,
    (e: unknown) => McpxError.is(e) && e.code === -32030,
  )

describe('jwt() with a JWKS', () => {
  it('accepts a token with a new kid after a key rotation, with one refetch', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    server = await jwksServer([k1.jwk])
    const verify = verifier()
    await expect(verify(bearer(await sign(k1)))).resolves.toBeTruthy()
    expect(server.hits).toBe(1)
    server.keys = [k2.jwk]
    // Within the cooldown the new kid is refused without a fetch.
    expect(await refused(verify(bearer(await sign(k2))))).toBe(true)
    expect(server.hits).toBe(1)
    vi.setSystemTime(Date.now() + 31_000)
    await expect(verify(bearer(await sign(k2)))).resolves.toBeTruthy()
    expect(server.hits).toBe(2)
    await expect(verify(bearer(await sign(k2)))).resolves.toBeTruthy()
    expect(server.hits).toBe(2)
  })

  it('fetches at most once per cooldown for 1,000 tokens with random unknown kids', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    server = await jwksServer([k1.jwk])
    const verify = verifier()
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () => sign(k1, claims(), { kid: crypto.randomUUID() })),
    )
    const results = await Promise.all(tokens.map((token) => refused(verify(bearer(token)))))
    expect(results.every(Boolean)).toBe(true)
    expect(server.hits).toBe(1)
    vi.setSystemTime(Date.now() + 31_000)
    const again = await Promise.all(tokens.map((token) => refused(verify(bearer(token)))))
    expect(again.every(Boolean)).toBe(true)
    expect(server.hits).toBe(2)
  })

  it('fails within the timeout when the JWKS server hangs, and counts the failure against the cooldown', async () => {
    server = await jwksServer([k1.jwk])
    server.mode = 'hang'
    const verify = verifier({ timeout: 200 })
    const started = performance.now()
    const error = await verify(bearer(await sign(k1))).catch((e: unknown) => e)
    expect(performance.now() - started).toBeLessThan(2_000)
    // Never loaded: a server failure (HTTP 500 via onError), not the caller's fault.
    expect(McpxError.is(error)).toBe(false)
    expect(String(error)).toMatch(/could not be loaded/)
    await verify(bearer(await sign(k1))).catch(() => {})
    expect(server.hits).toBe(1)
  })

  it('keeps verifying with the cached keys when the JWKS server hangs or fails after maxAge', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    server = await jwksServer([k1.jwk])
    const verify = verifier({ timeout: 200, maxAge: 60_000 })
    await expect(verify(bearer(await sign(k1)))).resolves.toBeTruthy()
    for (const mode of ['hang', 'fail'] as const) {
      server.mode = mode
      vi.setSystemTime(Date.now() + 120_000)
      const started = performance.now()
      await expect(verify(bearer(await sign(k1)))).resolves.toBeTruthy()
      expect(performance.now() - started).toBeLessThan(150)
      // An unknown kid waits for the refresh under way, no longer than the timeout.
      expect(await refused(verify(bearer(await sign(k2))))).toBe(true)
      expect(performance.now() - started).toBeLessThan(2_000)
    }
    expect(server.hits).toBe(3)
  })

  it('does not follow a redirect from the JWKS endpoint', async () => {
    server = await jwksServer([k1.jwk])
    server.mode = 'redirect'
    await expect(verifier()(bearer(await sign(k1)))).rejects.toThrow(/could not be loaded/)
    expect(server.hits).toBe(1)
  })

  it('does not load a key set larger than 512 KiB (a server failure, not a refusal)', async () => {
    server = await jwksServer([k1.jwk, { kty: 'oct', k: 'x'.repeat(600_000) }])
    await expect(verifier()(bearer(await sign(k1)))).rejects.toThrow(/could not be loaded/)
    server.keys = [k1.jwk]
    await expect(verifier()(bearer(await sign(k1)))).resolves.toMatchObject({ subject: 'alice' })
  })

  it('refuses a key of the set whose alg or kty does not match the token', async () => {
    const rsa = await keyPair('RS256', 'k1')
    server = await jwksServer([{ ...k1.jwk, alg: 'ES384' }])
    expect(await refused(verifier()(bearer(await sign(k1))))).toBe(true)
    server.keys = [rsa.jwk]
    expect(await refused(verifier()(bearer(await sign(k1))))).toBe(true)
  })
})
