import { createHash } from 'node:crypto'
import { ErrorCode, McpxError } from '@mcpx/core'
import { describe, expect, it, vi } from 'vitest'
import { apiKey } from './api-key.js'
import * as digest from './digest.js'

vi.mock('./digest.js', async (original) => {
  const actual = await original<typeof import('./digest.js')>()
  return { ...actual, constantTimeEqual: vi.fn(actual.constantTimeEqual) }
})

const hex = (value: string) => createHash('sha256').update(value).digest('hex')
const partner = { subject: 'partner', scopes: ['tools:read'] }
const robot = { subject: 'robot', scopes: [] }
const keys = [
  { key: 'k-partner-0001', principal: partner },
  { key: { sha256: hex('k-robot-0002') }, principal: robot },
]

async function challenge(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(McpxError.is(error)).toBe(true)
  expect((error as McpxError).code).toBe(ErrorCode.Unauthorized)
  return (error as McpxError).headers?.['www-authenticate']
}

describe('apiKey()', () => {
  const verify = apiKey({ keys })

  it('accepts a key in x-api-key, plain or stored as a digest', async () => {
    await expect(verify({ headers: { 'x-api-key': 'k-partner-0001' } })).resolves.toEqual(partner)
    await expect(verify({ headers: { 'x-api-key': 'k-robot-0002' } })).resolves.toEqual(robot)
  })

  it('refuses a wrong key as invalid_token, and no key as missing credentials', async () => {
    await expect(challenge(verify({ headers: { 'x-api-key': 'k-partner-0000' } }))).resolves.toBe(
      'Bearer error="invalid_token"',
    )
    await expect(challenge(verify({ headers: { 'x-api-key': '' } }))).resolves.toBe(
      'Bearer error="invalid_token"',
    )
    await expect(challenge(verify({ headers: {} }))).resolves.toBe('Bearer')
  })

  it('refuses two key headers as invalid_request', async () => {
    const headers = { 'x-api-key': ['k-partner-0001', 'k-partner-0001'] }
    await expect(challenge(verify({ headers }))).resolves.toBe('Bearer error="invalid_request"')
  })

  it('refuses a key in the query string by default, even a right one', async () => {
    await expect(
      challenge(verify({ headers: {}, url: '/mcp?api_key=k-partner-0001' })),
    ).resolves.toBe('Bearer error="invalid_request"')
    await expect(
      challenge(
        verify({ headers: { 'x-api-key': 'k-partner-0001' }, url: '/mcp?api_key=k-partner-0001' }),
      ),
    ).resolves.toBe('Bearer error="invalid_request"')
  })

  it('reads the query string only when asked, under api_key or the given name', async () => {
    const query = apiKey({ keys, query: true })
    await expect(query({ headers: {}, url: '/mcp?api_key=k-partner-0001' })).resolves.toEqual(
      partner,
    )
    const named = apiKey({ keys, query: 'key' })
    await expect(named({ headers: {}, url: '/mcp?key=k-robot-0002#x' })).resolves.toEqual(robot)
    await expect(
      challenge(query({ headers: {}, url: '/mcp?api_key=a&api_key=k-partner-0001' })),
    ).resolves.toBe('Bearer error="invalid_request"')
  })

  it('reads a configured header name in any case', async () => {
    const custom = apiKey({ keys, header: 'X-Partner-Key' })
    await expect(custom({ headers: { 'x-partner-key': 'k-partner-0001' } })).resolves.toEqual(
      partner,
    )
    await expect(challenge(custom({ headers: { 'x-api-key': 'k-partner-0001' } }))).resolves.toBe(
      'Bearer',
    )
  })

  it('compares digests through the constant-time compare, against every key', async () => {
    const compare = vi.mocked(digest.constantTimeEqual)
    compare.mockClear()
    await expect(challenge(verify({ headers: { 'x-api-key': 'nope' } }))).resolves.toBeDefined()
    expect(compare).toHaveBeenCalledTimes(keys.length)
  })

  it('validates its options when created', () => {
    expect(() => apiKey({ keys, header: 'bad header' })).toThrow(TypeError)
    expect(() => apiKey({ keys, query: '' })).toThrow(TypeError)
    expect(() => apiKey({ keys: [] })).toThrow(TypeError)
    expect(() => apiKey({ keys, maxKeyBytes: -1 })).toThrow(TypeError)
  })
})
