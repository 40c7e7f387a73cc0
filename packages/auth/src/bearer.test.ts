import { createHash } from 'node:crypto'
import { ErrorCode, McpxError } from '@mcpx/core'
import { bearer as credentials } from '@mcpx/test-utils/tokens'
import { describe, expect, it, vi } from 'vitest'
import { bearer } from './bearer.js'
import * as digest from './digest.js'

vi.mock('./digest.js', async (original) => {
  const actual = await original<typeof import('./digest.js')>()
  return { ...actual, constantTimeEqual: vi.fn(actual.constantTimeEqual) }
})

const hex = (value: string) => createHash('sha256').update(value).digest('hex')
const ci = { subject: 'ci', scopes: ['tools:*'] }
const ops = { subject: 'ops', clientId: 'console', scopes: [] }

async function refusal(promise: Promise<unknown>): Promise<McpxError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(McpxError.is(error)).toBe(true)
  const refused = error as McpxError
  expect(refused.code).toBe(ErrorCode.Unauthorized)
  return refused
}

describe('bearer()', () => {
  const verify = bearer({
    tokens: [
      { token: 'ci-token-1234567890', principal: ci },
      { token: { sha256: hex('ops-token-0987654321') }, principal: ops },
    ],
  })

  it('accepts a configured token with its principal', async () => {
    await expect(verify(credentials('ci-token-1234567890'))).resolves.toEqual(ci)
  })

  it('accepts a token stored as its SHA-256 digest (upper-case hex too)', async () => {
    await expect(verify(credentials('ops-token-0987654321'))).resolves.toEqual(ops)
    const upper = bearer({
      tokens: [{ token: { sha256: hex('x').toUpperCase() }, principal: ci }],
    })
    await expect(upper(credentials('x'))).resolves.toEqual(ci)
  })

  it('refuses a wrong token, a prefix of a right one and the digest itself as invalid_token', async () => {
    for (const token of ['nope', 'ci-token-123456789', hex('ops-token-0987654321')]) {
      const error = await refusal(verify(credentials(token)))
      expect(error.headers).toEqual({ 'www-authenticate': 'Bearer error="invalid_token"' })
    }
  })

  it('refuses a request without a token with a bare Bearer challenge', async () => {
    const error = await refusal(verify({ headers: {} }))
    expect(error.headers).toEqual({ 'www-authenticate': 'Bearer' })
  })

  it('refuses a token in the query string even when the header is right', async () => {
    const error = await refusal(
      verify({
        ...credentials('ci-token-1234567890'),
        url: '/mcp?access_token=ci-token-1234567890',
      }),
    )
    expect(error.headers).toEqual({ 'www-authenticate': 'Bearer error="invalid_request"' })
  })

  it('compares digests through the constant-time compare, against every token', async () => {
    const compare = vi.mocked(digest.constantTimeEqual)
    compare.mockClear()
    await verify(credentials('ci-token-1234567890'))
    // The first token matched, and the second was compared all the same.
    expect(compare).toHaveBeenCalledTimes(2)
    for (const [a, b] of compare.mock.calls) {
      expect(a).toHaveLength(32)
      expect(b).toHaveLength(32)
    }
  })

  it('returns frozen principals that the caller cannot change afterwards', async () => {
    const principal = { subject: 'dev', scopes: ['a'] }
    const own = bearer({ tokens: [{ token: 't', principal }] })
    principal.scopes.push('admin')
    const got = await own(credentials('t'))
    expect(got.scopes).toEqual(['a'])
    expect(Object.isFrozen(got)).toBe(true)
  })

  it('validates its options when created', () => {
    expect(() => bearer({ tokens: [] })).toThrow(TypeError)
    expect(() => bearer({ tokens: [{ token: '', principal: ci }] })).toThrow(TypeError)
    expect(() => bearer({ tokens: [{ token: { sha256: 'abc' }, principal: ci }] })).toThrow(
      TypeError,
    )
    expect(() =>
      bearer({ tokens: [{ token: 't', principal: { subject: '', scopes: [] } }] }),
    ).toThrow(TypeError)
    expect(() => bearer({ tokens: [{ token: 't', principal: ci }], maxTokenBytes: 0 })).toThrow(
      TypeError,
    )
  })
})
