import {
  type Access,
  accessKey,
  Context,
  ErrorCode,
  type Principal,
  principalKey,
} from '@mcpx/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type AccessOptions, access } from './access.js'
import { grantsScope } from './scopes.js'

async function predicateFor(
  options: AccessOptions,
  principal?: Principal,
  before?: Access,
): Promise<Access> {
  const ctx = new Context<string>({
    kind: 'request',
    method: 'tools/list',
    id: 1,
    params: undefined as never,
    session: { id: undefined, transport: 'stdio' },
  })
  if (principal) ctx.set(principalKey, principal)
  if (before) ctx.set(accessKey, before)
  let reached = false
  await access(options)(ctx, async () => {
    reached = true
  })
  expect(reached).toBe(true)
  return ctx.get(accessKey)!
}

const user = (...scopes: string[]): Principal => ({ subject: 'u', scopes })

/** Run `access(options)` on one request; what it answered, and whether it went on. */
async function use(
  options: AccessOptions,
  method: string,
  params: Record<string, unknown>,
  principal?: Principal,
) {
  const ctx = new Context<string>({
    kind: 'request',
    method,
    id: 1,
    params: params as never,
    session: { id: undefined, transport: 'stdio' },
  })
  if (principal) ctx.set(principalKey, principal)
  let reached = false
  await access(options)(ctx, async () => {
    reached = true
  })
  return { reached, error: ctx.error }
}
const rules: AccessOptions = {
  rules: {
    tools: { 'admin_*': 'admin', 'math_*': ['math:read'], math_reset: 'math:write' },
    prompts: { 'secret_*': 'prompts:secret' },
    resources: { 'data://reports/**': 'reports:read' },
    resourceTemplates: { 'data://reports/{id}': 'reports:read' },
  },
}

describe('access()', () => {
  it('allows a tool whose scopes the caller holds and hides one it lacks', async () => {
    const allowed = await predicateFor(rules, user('math:read'))
    expect(allowed('tool', 'math_add')).toBe(true)
    expect(allowed('tool', 'admin_drop')).toBe(false)
  })

  it('needs the scopes of every matching pattern', async () => {
    expect((await predicateFor(rules, user('math:read')))('tool', 'math_reset')).toBe(false)
    expect((await predicateFor(rules, user('math:*')))('tool', 'math_reset')).toBe(true)
  })

  it('applies the wildcard implication rule', async () => {
    const root = await predicateFor(rules, user('*'))
    for (const name of ['admin_drop', 'math_reset']) expect(root('tool', name)).toBe(true)
    expect(root('resource', 'data://reports/2024/q1')).toBe(true)
  })

  it('rules apply to their own kind only', async () => {
    const allowed = await predicateFor(rules, user())
    expect(allowed('prompt', 'admin_x')).toBe(true)
    expect(allowed('prompt', 'secret_plan')).toBe(false)
    expect(allowed('resource', 'data://reports/q1')).toBe(false)
    expect(allowed('resource', 'data://other')).toBe(true)
    expect(allowed('resourceTemplate', 'data://reports/{id}')).toBe(false)
  })

  it('treats a message without a principal as holding no scopes', async () => {
    const allowed = await predicateFor(rules)
    expect(allowed('tool', 'admin_drop')).toBe(false)
    expect(allowed('tool', 'echo')).toBe(true)
  })

  it("with unmatched: 'deny' refuses names no pattern covers", async () => {
    const allowed = await predicateFor({ ...rules, unmatched: 'deny' }, user('*'))
    expect(allowed('tool', 'echo')).toBe(false)
    expect(allowed('tool', 'admin_drop')).toBe(true)
  })

  it('keeps an access decision already set: both must allow', async () => {
    const before: Access = (_kind, name) => name !== 'math_add'
    const allowed = await predicateFor(rules, user('*'), before)
    expect(allowed('tool', 'math_add')).toBe(false)
    expect(allowed('tool', 'math_sub')).toBe(true)
  })

  it('gives the same decision for a name however often it is asked (memo)', async () => {
    const allowed = await predicateFor(rules, user('math:read'))
    for (let i = 0; i < 3; i++) expect(allowed('tool', 'admin_drop')).toBe(false)
    expect(allowed('tool', `admin_${'x'.repeat(600)}`)).toBe(false)
  })

  it('agrees with grantsScope for any single rule and grant', async () => {
    const scope = fc.stringMatching(/^[a-c*]{1,2}(:[a-c*]{1,2}){0,2}$/)
    await fc.assert(
      fc.asyncProperty(scope, scope, async (required, granted) => {
        const allowed = await predicateFor({ rules: { tools: { t: required } } }, user(granted))
        return allowed('tool', 't') === grantsScope(granted, required)
      }),
    )
  })

  it('refuses calling a tool the caller lacks the scope for with -32031 insufficient_scope naming it', async () => {
    const { reached, error } = await use(
      rules,
      'tools/call',
      { name: 'admin_drop' },
      user('math:read'),
    )
    expect(reached).toBe(false)
    expect(error?.code).toBe(ErrorCode.Forbidden)
    expect(error?.data).toEqual({ error: 'insufficient_scope', scope: 'admin' })
    expect(error?.headers?.['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="admin"',
    )
  })

  it('refuses prompts/get and resources/read by their own rules, and lets allowed ones through', async () => {
    const reader = user('math:read')
    expect((await use(rules, 'prompts/get', { name: 'secret_plan' }, reader)).error?.data).toEqual({
      error: 'insufficient_scope',
      scope: 'prompts:secret',
    })
    const read = await use(rules, 'resources/read', { uri: 'data://reports/q1' }, reader)
    expect(read.error?.code).toBe(ErrorCode.Forbidden)
    expect((await use(rules, 'tools/call', { name: 'math_add' }, reader)).reached).toBe(true)
    expect((await use(rules, 'resources/read', { uri: 'data://x' }, reader)).reached).toBe(true)
  })

  it('adds resource_metadata to its 401 and 403 challenges when configured', async () => {
    const url = 'https://mcp.test/.well-known/oauth-protected-resource'
    const { error } = await use({ ...rules, resourceMetadata: url }, 'tools/call', {
      name: 'admin_drop',
    })
    expect(error?.code).toBe(ErrorCode.Unauthorized)
    expect(error?.headers?.['www-authenticate']).toBe(`Bearer resource_metadata="${url}"`)
    const forbidden = await use(
      { ...rules, resourceMetadata: url },
      'tools/call',
      { name: 'admin_drop' },
      user(),
    )
    expect(forbidden.error?.headers?.['www-authenticate']).toBe(
      `Bearer error="insufficient_scope", scope="admin", resource_metadata="${url}"`,
    )
  })

  it('answers a call without a principal with -32030 when the name needs a scope', async () => {
    const { reached, error } = await use(rules, 'tools/call', { name: 'admin_drop' })
    expect(reached).toBe(false)
    expect(error?.code).toBe(ErrorCode.Unauthorized)
  })

  it('refuses a completion of a prompt or resource template the caller lacks the scope for', async () => {
    const prompt = {
      ref: { type: 'ref/prompt', name: 'secret_plan' },
      argument: { name: 'a', value: '' },
    }
    const template = {
      ref: { type: 'ref/resource', uri: 'data://reports/{id}' },
      argument: { name: 'id', value: '' },
    }
    for (const params of [prompt, template]) {
      const { reached, error } = await use(rules, 'completion/complete', params, user('math:read'))
      expect(reached).toBe(false)
      expect(error?.code).toBe(ErrorCode.Forbidden)
    }
    const allowed = await use(rules, 'completion/complete', prompt, user('prompts:secret'))
    expect(allowed.reached).toBe(true)
  })

  it('lets methods named like Object.prototype members through untouched', async () => {
    for (const method of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect((await use(rules, method, { name: 'admin_drop' }, user())).reached).toBe(true)
    }
  })

  it("never refuses an upstream's message to the client", async () => {
    const ctx = new Context<string>({
      kind: 'request',
      direction: 'toClient',
      method: 'tools/call',
      id: 1,
      params: { name: 'admin_drop' } as never,
      session: { id: undefined, transport: 'stdio' },
    })
    let reached = false
    await access(rules)(ctx, async () => {
      reached = true
    })
    expect(reached).toBe(true)
  })

  it("with refuse: 'unknown' leaves a refused call to the router (it goes on, access says no)", async () => {
    const { reached, error } = await use({ ...rules, refuse: 'unknown' }, 'tools/call', {
      name: 'admin_drop',
    })
    expect(reached).toBe(true)
    expect(error).toBeUndefined()
  })

  it("leaves a name no scope unlocks (unmatched: 'deny') and a malformed call to the router", async () => {
    const denying = { ...rules, unmatched: 'deny' as const }
    expect((await use(denying, 'tools/call', { name: 'echo' }, user('*'))).reached).toBe(true)
    expect((await use(rules, 'tools/call', { name: 42 }, user())).reached).toBe(true)
    expect((await use(rules, 'tools/call', {}, user())).reached).toBe(true)
  })

  it('throws a TypeError for bad options, once, when the factory runs', () => {
    expect(() => access(undefined as never)).toThrow(TypeError)
    expect(() => access({ rules: { tools: { '': 'a' } } })).toThrow(TypeError)
    expect(() => access({ rules: { tools: { a: [] } } })).toThrow(TypeError)
    expect(() => access({ rules: { tools: { a: 'two words' } } })).toThrow(TypeError)
    expect(() => access({ rules: {}, unmatched: 'maybe' as never })).toThrow(TypeError)
    expect(() => access({ rules: {}, refuse: 'hide' as never })).toThrow(TypeError)
  })
})
