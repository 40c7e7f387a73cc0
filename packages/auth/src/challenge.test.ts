import { ErrorCode, McpxError } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { insufficientScope, wwwAuthenticate } from './challenge.js'

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
