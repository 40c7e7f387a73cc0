import { AUDIENCE, bearer, claims, ISSUER, now, SECRET, sign } from '@mcpx/test-utils/tokens'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { jwt } from './jwt.js'

afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

const verifier = (cache = {}) =>
  jwt({ secret: SECRET, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, cache })

describe('jwt() verified-token cache', () => {
  it('answers a repeat token without checking its signature again', async () => {
    const subtle = vi.spyOn(crypto.subtle, 'verify')
    const verify = verifier()
    const token = await sign(SECRET)
    const first = await verify(bearer(token))
    expect(await verify(bearer(token))).toBe(first)
    expect(subtle).toHaveBeenCalledTimes(1)
  })

  it('never answers a tampered copy of a cached token from the cache', async () => {
    const subtle = vi.spyOn(crypto.subtle, 'verify')
    const verify = verifier()
    const token = await sign(SECRET)
    await verify(bearer(token))
    // A character inside the signature (the last one may only carry padding bits).
    const at = token.lastIndexOf('.') + 5
    const tampered = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1)
    await expect(verify(bearer(tampered))).rejects.toMatchObject({ code: -32030 })
    expect(subtle).toHaveBeenCalledTimes(2)
  })

  it('verifies (and refuses) a tampered copy of the same length and ending, and keeps the original cached', async () => {
    const subtle = vi.spyOn(crypto.subtle, 'verify')
    const verify = verifier()
    const token = await sign(SECRET, claims({ sub: 'alice' }))
    const principal = await verify(bearer(token))
    // Same length, same signature: only the payload differs (alice → mallo).
    const [header, payload, signature] = token.split('.')
    const forged = Buffer.from(payload!, 'base64url').toString().replace('"alice"', '"mallo"')
    const tampered = `${header}.${Buffer.from(forged).toString('base64url')}.${signature}`
    expect(tampered).toHaveLength(token.length)
    expect(tampered).not.toBe(token)
    await expect(verify(bearer(tampered))).rejects.toMatchObject({ code: -32030 })
    expect(subtle).toHaveBeenCalledTimes(2)
    expect(await verify(bearer(token))).toBe(principal)
    expect(subtle).toHaveBeenCalledTimes(2)
  })

  it("drops an entry when the token expires, even within the cache's ttl", async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const verify = verifier({ ttl: 3_600_000 })
    const token = await sign(SECRET, claims({ exp: now() + 60 }))
    await expect(verify(bearer(token))).resolves.toBeTruthy()
    vi.setSystemTime(Date.now() + 59_000)
    await expect(verify(bearer(token))).resolves.toBeTruthy()
    vi.setSystemTime(Date.now() + 2_000)
    await expect(verify(bearer(token))).rejects.toMatchObject({ code: -32030 })
  })

  it('checks the signature again once the cache ttl has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const subtle = vi.spyOn(crypto.subtle, 'verify')
    const verify = verifier({ ttl: 1_000 })
    const token = await sign(SECRET)
    await verify(bearer(token))
    vi.setSystemTime(Date.now() + 1_500)
    await verify(bearer(token))
    expect(subtle).toHaveBeenCalledTimes(2)
  })

  it('keeps at most max tokens', async () => {
    const subtle = vi.spyOn(crypto.subtle, 'verify')
    const verify = verifier({ max: 2 })
    const tokens = await Promise.all([1, 2, 3].map((n) => sign(SECRET, claims({ n }))))
    for (const token of tokens) await verify(bearer(token))
    await verify(bearer(tokens[2]!))
    expect(subtle).toHaveBeenCalledTimes(3)
    await verify(bearer(tokens[0]!))
    expect(subtle).toHaveBeenCalledTimes(4)
  })

  it('checks every token when the cache is off', async () => {
    const subtle = vi.spyOn(crypto.subtle, 'verify')
    const verify = jwt({ secret: SECRET, algorithms: ['HS256'], audience: AUDIENCE, cache: false })
    const token = await sign(SECRET)
    await verify(bearer(token))
    await verify(bearer(token))
    expect(subtle).toHaveBeenCalledTimes(2)
  })
})
