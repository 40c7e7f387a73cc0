// Property tests: arguments are open-ended JSON, from a client.
import { Context, ErrorCode, McpxError, toolKey } from '@mcpx/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { validateArguments } from './validate-arguments.js'

const SEARCH = {
  type: 'object',
  properties: {
    query: { type: 'string', minLength: 1 },
    limit: { type: 'integer', minimum: 1, maximum: 100 },
    tags: { type: 'array', items: { type: 'string' } },
    filter: {
      type: 'object',
      properties: { since: { type: 'string' }, exact: { type: 'boolean' } },
      additionalProperties: false,
    },
  },
  required: ['query'],
  additionalProperties: false,
}

const mw = validateArguments({ log: () => {} })

async function call(args: unknown) {
  const ctx = new Context<string>({
    kind: 'request',
    id: 1,
    method: 'tools/call',
    params: { name: 'search', arguments: args } as never,
  })
  ctx.set(toolKey, { name: 'search', inputSchema: SEARCH as never })
  let forwarded = false
  const error = await mw(ctx, async () => {
    forwarded = true
  }).then(
    () => undefined,
    (e: unknown) => e,
  )
  return { forwarded, error }
}

const valid = fc.record(
  {
    query: fc.string({ minLength: 1 }),
    limit: fc.integer({ min: 1, max: 100 }),
    tags: fc.array(fc.string()),
    filter: fc.record({ since: fc.string(), exact: fc.boolean() }, { requiredKeys: [] }),
  },
  { requiredKeys: ['query'] },
)

describe('validateArguments() over any arguments', () => {
  it('forwards every call whose arguments match the schema', async () => {
    await fc.assert(
      fc.asyncProperty(valid, async (args) => {
        const { forwarded, error } = await call(args)
        expect(error).toBeUndefined()
        expect(forwarded).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('either forwards or answers a bounded -32602 naming a path inside the arguments, and never changes them', async () => {
    const anyArgs = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(fc.string(), fc.jsonValue()),
      // Nearly valid: one field of a valid call replaced by anything.
      fc
        .tuple(valid, fc.constantFrom('query', 'limit', 'tags', 'filter', 'extra'), fc.jsonValue())
        .map(([args, key, value]) => ({ ...args, [key]: value })),
    )
    await fc.assert(
      fc.asyncProperty(anyArgs, async (args) => {
        const before = structuredClone(args)
        const { forwarded, error } = await call(args)
        expect(args).toEqual(before)
        if (forwarded) {
          expect(error).toBeUndefined()
          return
        }
        expect(McpxError.is(error)).toBe(true)
        const refused = error as McpxError
        expect(refused.code).toBe(ErrorCode.InvalidParams)
        expect(refused.message.startsWith('Invalid arguments for tool "search": ')).toBe(true)
        expect(JSON.stringify(refused.toJSON()).length).toBeLessThan(2_000)
        const { errors } = refused.data as { errors: { path: string }[] }
        expect(errors.length).toBeGreaterThan(0)
        expect(errors.length).toBeLessThanOrEqual(5)
        for (const { path } of errors) expect(path === '' || path.startsWith('/')).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('refuses any call whose limit is not an integer from 1 to 100, naming /limit', async () => {
    const wrong = fc.oneof(
      fc.string(),
      fc.boolean(),
      fc.double({ noNaN: true }).filter((n) => !Number.isInteger(n)),
      fc.integer().filter((n) => n < 1 || n > 100),
    )
    await fc.assert(
      fc.asyncProperty(valid, wrong, async (args, limit) => {
        const { forwarded, error } = await call({ ...args, limit })
        expect(forwarded).toBe(false)
        expect((error as McpxError).message).toMatch(
          /^Invalid arguments for tool "search": \/limit must be /,
        )
      }),
      { numRuns: 300 },
    )
  })
})
