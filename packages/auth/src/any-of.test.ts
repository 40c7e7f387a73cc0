import { ErrorCode, McpxError } from '@mcpx/core'
import { bearer as credentials } from '@mcpx/test-utils/tokens'
import { describe, expect, it, vi } from 'vitest'
import { anyOf } from './any-of.js'
import { apiKey } from './api-key.js'
import type { Authenticator } from './authenticator.js'
import { basic, hashPassword } from './basic.js'
import { bearer } from './bearer.js'

const ci = { subject: 'ci', scopes: [] }
const partner = { subject: 'partner', scopes: [] }
const tokens = bearer({ tokens: [{ token: 'tok', principal: ci }] })
const keys = apiKey({ keys: [{ key: 'key', principal: partner }] })

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('resolved'),
    (e: unknown) => e,
  )
}
const challenge = (e: unknown) => (e as McpxError).headers?.['www-authenticate']

describe('anyOf()', () => {
  it("ranks basic()'s refusals by what they are, though a Basic challenge names no error", async () => {
    const passwordHash = await hashPassword('right', { N: 1024, r: 8, p: 1 })
    const verify = anyOf([tokens, basic({ users: [{ username: 'ops', passwordHash }] })])
    const wrong = { headers: { authorization: `Basic ${btoa('ops:wrong')}` } }
    const refused = await rejection(verify(wrong))
    expect(challenge(refused)).toBe('Basic realm="mcpx", charset="UTF-8"')
    expect((refused as McpxError).message).toBe('Invalid token')
  })

  it('takes the first that accepts, and asks no further', async () => {
    const later = vi.fn<Authenticator>(async () => partner)
    const verify = anyOf([tokens, later])
    await expect(verify(credentials('tok'))).resolves.toEqual(ci)
    expect(later).not.toHaveBeenCalled()
    await expect(anyOf([keys, tokens])({ headers: { 'x-api-key': 'key' } })).resolves.toEqual(
      partner,
    )
  })

  it('answers a bad token with invalid_token whichever order, not the bare challenge', async () => {
    for (const verify of [anyOf([tokens, keys]), anyOf([keys, tokens])]) {
      const error = await rejection(verify(credentials('wrong')))
      expect(challenge(error)).toBe('Bearer error="invalid_token"')
    }
  })

  it('answers invalid_request over invalid_token, and no credentials with the bare challenge', async () => {
    const verify = anyOf([tokens, keys])
    const error = await rejection(
      verify({ headers: { authorization: 'Bearer wrong' }, url: '/?api_key=x' }),
    )
    expect(challenge(error)).toBe('Bearer error="invalid_request"')
    expect(challenge(await rejection(verify({ headers: {} })))).toBe('Bearer')
  })

  it('keeps the first of equally specific refusals', async () => {
    const first = new McpxError(ErrorCode.Forbidden, 'first')
    const second = new McpxError(ErrorCode.Forbidden, 'second')
    const verify = anyOf([async () => Promise.reject(first), async () => Promise.reject(second)])
    expect(await rejection(verify({ headers: {} }))).toBe(first)
  })

  it('passes a server failure on over refusals, when no one accepts', async () => {
    const down = new Error('introspection down')
    const verify = anyOf([tokens, async () => Promise.reject(down)])
    expect(await rejection(verify(credentials('wrong')))).toBe(down)
    await expect(
      anyOf([async () => Promise.reject(down), tokens])(credentials('tok')),
    ).resolves.toEqual(ci)
  })

  it('needs at least one authenticator', () => {
    expect(() => anyOf([])).toThrow(TypeError)
    expect(() => anyOf([undefined as never])).toThrow(TypeError)
  })
})
