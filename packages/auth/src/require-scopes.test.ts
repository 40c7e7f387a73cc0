import { Context, type Principal, principalKey } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { requireScopes } from './require-scopes.js'

function context(principal?: Principal): Context {
  const ctx = new Context<string>({
    kind: 'request',
    method: 'tools/call',
    id: 1,
    params: { name: 'deploy' } as never,
    session: { id: undefined, transport: 'stdio' },
  })
  if (principal) ctx.set(principalKey, principal)
  return ctx
}

async function run(mw: ReturnType<typeof requireScopes>, ctx: Context): Promise<boolean> {
  let reached = false
  await mw(ctx, async () => {
    reached = true
  })
  return reached
}

const alice = (scopes: string[]): Principal => ({ subject: 'alice', scopes })

describe('requireScopes()', () => {
  it("passes an upstream's message to the client, which has no principal", async () => {
    const ctx = new Context<string>({
      kind: 'request',
      direction: 'toClient',
      method: 'sampling/createMessage',
      id: 1,
      params: {} as never,
      session: { id: undefined, transport: 'stdio' },
    })
    expect(await run(requireScopes('tools:call'), ctx)).toBe(true)
  })

  it('goes on when every scope is granted, directly or by a wildcard', async () => {
    const mw = requireScopes('tools:call', 'math:read')
    expect(await run(mw, context(alice(['tools:*', 'math:read'])))).toBe(true)
    expect(await run(mw, context(alice(['*'])))).toBe(true)
  })

  it('refuses a caller lacking one scope with -32031 and the 403 challenge naming all required scopes', async () => {
    const ctx = context(alice(['tools:call']))
    expect(await run(requireScopes('tools:call', 'admin'), ctx)).toBe(false)
    expect(ctx.error?.code).toBe(-32031)
    expect(ctx.error?.headers?.['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="tools:call admin"',
    )
  })

  it('does not treat a parent scope as granting its children', async () => {
    const ctx = context(alice(['tools']))
    expect(await run(requireScopes('tools:call'), ctx)).toBe(false)
    expect(ctx.error?.code).toBe(-32031)
  })

  it('refuses a message without a principal with -32030', async () => {
    const ctx = context()
    expect(await run(requireScopes('tools:call'), ctx)).toBe(false)
    expect(ctx.error?.code).toBe(-32030)
    expect(ctx.error?.headers?.['www-authenticate']).toBe('Bearer')
  })

  it('tolerates a principal whose scopes are not an array (no scopes)', async () => {
    const ctx = context({ subject: 'x', scopes: 'tools:call' as never })
    expect(await run(requireScopes('tools:call'), ctx)).toBe(false)
    expect(ctx.error?.code).toBe(-32031)
  })

  it('throws a TypeError without scopes or with an invalid scope', () => {
    expect(() => requireScopes()).toThrow(TypeError)
    expect(() => requireScopes('a b')).toThrow(TypeError)
    expect(() => requireScopes('')).toThrow(TypeError)
  })
})
