import { ErrorCode, McpxError } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { unauthorized } from './authenticator.js'
import { insufficientScope, withResourceMetadata, wwwAuthenticate } from './challenge.js'

const METADATA = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'

describe('wwwAuthenticate()', () => {
  it('is a bare Bearer challenge without parameters', () => {
    expect(wwwAuthenticate()).toBe('Bearer')
  })

  it('points a 401 at the resource metadata (RFC 9728 §5.1)', () => {
    expect(wwwAuthenticate({ resourceMetadata: new URL(METADATA) })).toBe(
      `Bearer resource_metadata="${METADATA}"`,
    )
  })

  it('names insufficient_scope and the scopes for a 403, in RFC 6750 order', () => {
    expect(
      wwwAuthenticate({
        realm: 'mcp',
        error: 'insufficient_scope',
        scope: ['files:read', 'files:write'],
        resourceMetadata: METADATA,
        errorDescription: 'Additional file write permission required',
      }),
    ).toBe(
      `Bearer realm="mcp", error="insufficient_scope", scope="files:read files:write", resource_metadata="${METADATA}", error_description="Additional file write permission required"`,
    )
  })

  it('refuses values that would break out of the quoted string', () => {
    expect(() => wwwAuthenticate({ errorDescription: 'a " b' })).toThrow(TypeError)
    expect(() => wwwAuthenticate({ resourceMetadata: 'https://x/"' })).toThrow(TypeError)
    expect(() => wwwAuthenticate({ realm: 'a\r\nSet-Cookie: x' })).toThrow(TypeError)
    expect(() => wwwAuthenticate({ scope: ['two words'] })).toThrow(TypeError)
  })
})

describe('insufficientScope()', () => {
  it('is a -32031 McpxError with the 403 challenge and the scopes as data', () => {
    const error = insufficientScope(['admin:write', 'tools:call'])
    expect(McpxError.is(error)).toBe(true)
    expect(error.code).toBe(ErrorCode.Forbidden)
    expect(error.headers).toEqual({
      'www-authenticate': 'Bearer error="insufficient_scope", scope="admin:write tools:call"',
    })
    expect(error.toJSON()).toEqual({
      code: -32031,
      message: 'Insufficient scope',
      data: { error: 'insufficient_scope', scope: 'admin:write tools:call' },
    })
  })

  it('adds resource_metadata when given', () => {
    const error = insufficientScope(['a'], { resourceMetadata: METADATA })
    expect(error.headers?.['www-authenticate']).toBe(
      `Bearer error="insufficient_scope", scope="a", resource_metadata="${METADATA}"`,
    )
  })
})

describe('withResourceMetadata()', () => {
  const refusing = (error: unknown) =>
    withResourceMetadata(async () => Promise.reject(error), METADATA)

  it('adds resource_metadata to a bare 401 challenge', async () => {
    await expect(refusing(unauthorized(undefined))({ headers: {} })).rejects.toMatchObject({
      code: -32030,
      headers: { 'www-authenticate': `Bearer resource_metadata="${METADATA}"` },
    })
  })

  it('adds it after an error code, keeping the message and cause', async () => {
    const original = unauthorized('invalid_token', new Error('expired'))
    const error = await refusing(original)({ headers: {} }).catch((e: McpxError) => e)
    expect(error).toMatchObject({
      message: 'Invalid token',
      headers: {
        'www-authenticate': `Bearer error="invalid_token", resource_metadata="${METADATA}"`,
      },
    })
    expect((error as McpxError).cause).toBe(original.cause)
  })

  it('passes principals and other errors through unchanged', async () => {
    const principal = { subject: 'a', scopes: [] }
    expect(await withResourceMetadata(async () => principal, METADATA)({ headers: {} })).toBe(
      principal,
    )
    const failure = new Error('key set down')
    await expect(refusing(failure)({ headers: {} })).rejects.toBe(failure)
  })
})
