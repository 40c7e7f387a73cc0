import { type Access, accessKey, Context, type Principal, principalKey } from '@mcpx/core'
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

  it('throws a TypeError for bad options, once, when the factory runs', () => {
    expect(() => access(undefined as never)).toThrow(TypeError)
    expect(() => access({ rules: { tools: { '': 'a' } } })).toThrow(TypeError)
    expect(() => access({ rules: { tools: { a: [] } } })).toThrow(TypeError)
    expect(() => access({ rules: { tools: { a: 'two words' } } })).toThrow(TypeError)
    expect(() => access({ rules: {}, unmatched: 'maybe' as never })).toThrow(TypeError)
  })
})
