import { ErrorCode, McpxError } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { custom } from './custom.js'

async function rejection(promise: Promise<unknown>): Promise<McpxError> {
  const error = await promise.then(
    () => expect.unreachable('resolved'),
    (e: unknown) => e,
  )
  expect(McpxError.is(error)).toBe(true)
  return error as McpxError
}

describe('custom()', () => {
  const verify = custom(async ({ headers }) =>
    headers.cookie === 'session=ok' ? { subject: 'alice', scopes: ['a'] } : undefined,
  )

  it('returns the principal of the check, frozen', async () => {
    const principal = await verify({ headers: { cookie: 'session=ok' } })
    expect(principal).toEqual({ subject: 'alice', scopes: ['a'] })
    expect(Object.isFrozen(principal)).toBe(true)
  })

  it('refuses with invalid_token when the check returns undefined', async () => {
    const error = await rejection(verify({ headers: {} }))
    expect(error.code).toBe(ErrorCode.Unauthorized)
    expect(error.headers).toEqual({ 'www-authenticate': 'Bearer error="invalid_token"' })
  })

  it('turns any other error into the generic refusal, its text only in the cause', async () => {
    const secret = new Error('db password=hunter2 rejected')
    const error = await rejection(
      custom(() => {
        throw secret
      })({ headers: {} }),
    )
    expect(error.code).toBe(ErrorCode.Unauthorized)
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2')
    expect(error.message).not.toContain('hunter2')
    expect(error.cause).toBe(secret)
  })

  it('passes an McpxError on as it is', async () => {
    const forbidden = new McpxError(ErrorCode.Forbidden, 'Suspended')
    expect(await rejection(custom(async () => Promise.reject(forbidden))({ headers: {} }))).toBe(
      forbidden,
    )
  })

  it('refuses a malformed principal instead of passing it on', async () => {
    const error = await rejection(custom(() => ({ subject: '', scopes: [] }))({ headers: {} }))
    expect(error.code).toBe(ErrorCode.Unauthorized)
  })

  it('needs a function', () => {
    expect(() => custom(undefined as never)).toThrow(TypeError)
  })
})
