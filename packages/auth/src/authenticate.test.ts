import { Context, type Principal, principalKey } from '@mcpx/core'
import { AUDIENCE, SECRET, sign } from '@mcpx/test-utils/tokens'
import { describe, expect, it } from 'vitest'
import { authenticate } from './authenticate.js'
import { jwt } from './jwt.js'

const verify = jwt({ secret: SECRET, algorithms: ['HS256'], audience: AUDIENCE })

function context(init: { headers?: Record<string, string>; params?: unknown } = {}): Context {
  return new Context<string>({
    kind: 'request',
    method: 'tools/list',
    id: 1,
    params: init.params as never,
    session: { id: undefined, transport: 'stdio', ...(init.headers && { headers: init.headers }) },
  })
}

async function run(ctx: Context) {
  let reached = false
  await authenticate(verify)(ctx, async () => {
    reached = true
  })
  return reached
}

describe('authenticate()', () => {
  it("passes an upstream's message to the client (sampling, a notification) without credentials", async () => {
    for (const kind of ['request', 'notification'] as const) {
      const ctx = new Context<string>({
        kind,
        direction: 'toClient',
        method: kind === 'request' ? 'sampling/createMessage' : 'notifications/message',
        id: kind === 'request' ? 1 : undefined,
        params: {} as never,
        session: { id: undefined, transport: 'stdio' },
      })
      expect(await run(ctx)).toBe(true)
      expect(ctx.error).toBeUndefined()
    }
  })

  it('sets the principal from the session headers and goes on', async () => {
    const ctx = context({ headers: { authorization: `Bearer ${await sign(SECRET)}` } })
    expect(await run(ctx)).toBe(true)
    expect(ctx.get(principalKey)?.subject).toBe('alice')
  })

  it('reads a token from params._meta.authorization', async () => {
    const ctx = context({ params: { _meta: { authorization: `Bearer ${await sign(SECRET)}` } } })
    expect(await run(ctx)).toBe(true)
    expect(ctx.get(principalKey)?.subject).toBe('alice')
  })

  it('answers a message without credentials with -32030 and does not go on', async () => {
    const ctx = context()
    expect(await run(ctx)).toBe(false)
    expect(ctx.error?.code).toBe(-32030)
    expect(ctx.get(principalKey)).toBeUndefined()
  })

  it('refuses a bad token without going on', async () => {
    const ctx = context({ headers: { authorization: 'Bearer not.a.token' } })
    expect(await run(ctx)).toBe(false)
    expect(ctx.error?.code).toBe(-32030)
  })

  it('leaves a principal a front end already set', async () => {
    const ctx = context()
    const principal: Principal = { subject: 'bob', scopes: [] }
    ctx.set(principalKey, principal)
    expect(await run(ctx)).toBe(true)
    expect(ctx.get(principalKey)).toBe(principal)
    expect(ctx.error).toBeUndefined()
  })

  it('throws a TypeError without an authenticator', () => {
    expect(() => authenticate(undefined as never)).toThrow(TypeError)
  })
})
