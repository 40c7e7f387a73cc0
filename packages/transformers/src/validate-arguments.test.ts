import { Context, ErrorCode, McpxError, type Middleware, targetKey, toolKey } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { dialectOf } from './schema-compiler.js'
import { type ValidateArgumentsOptions, validateArguments } from './validate-arguments.js'

const ADD = {
  type: 'object',
  properties: { a: { type: 'number' }, b: { type: 'number' } },
  required: ['a', 'b'],
  additionalProperties: false,
}

interface CallInit {
  schema?: unknown
  args?: unknown
  name?: string
  /** The target's params, as a router sets them (their arguments are the ones checked). */
  target?: unknown
  /** No tool definition at all (no router, or an unlisted tool). */
  unlisted?: boolean
  method?: string
  direction?: 'toServer' | 'toClient'
}

/** Run `mw` on one message; says whether it went on and what it threw. */
async function run(mw: Middleware, init: CallInit = {}) {
  const name = init.name ?? 'add'
  const params = 'args' in init ? { name, arguments: init.args } : { name }
  const ctx = new Context<string>({
    kind: 'request',
    id: 1,
    method: init.method ?? 'tools/call',
    params: params as never,
    direction: init.direction ?? 'toServer',
  })
  if (!init.unlisted) ctx.set(toolKey, { name, inputSchema: (init.schema ?? ADD) as never })
  if (init.target !== undefined) {
    ctx.set(targetKey, { upstream: 'math', method: 'tools/call', params: init.target })
  }
  let forwarded = 0
  const error = await mw(ctx, async () => {
    forwarded++
  }).then(
    () => undefined,
    (e: unknown) => e,
  )
  return { forwarded: forwarded === 1, error: error as McpxError | undefined, ctx }
}

const quiet = (more: ValidateArgumentsOptions = {}) => {
  const lines: string[] = []
  return { mw: validateArguments({ log: (line) => lines.push(line), ...more }), lines }
}

describe('validateArguments() refuses arguments that do not match the schema', () => {
  it('answers a wrong type -32602 naming the path, with the failure in data, and does not go on', async () => {
    const { mw } = quiet()
    const { forwarded, error } = await run(mw, { args: { a: 'one', b: 2 } })
    expect(forwarded).toBe(false)
    expect(McpxError.is(error)).toBe(true)
    expect(error?.code).toBe(ErrorCode.InvalidParams)
    expect(error?.message).toBe('Invalid arguments for tool "add": /a must be number')
    expect(error?.data).toEqual({
      tool: 'add',
      errors: [{ path: '/a', keyword: 'type', message: 'must be number' }],
    })
    expect(error?.unsent).toBe(true)
    expect(mw.stats).toMatchObject({ valid: 0, invalid: 1, compiled: 1 })
  })

  it('names a missing required property by its own path', async () => {
    const { mw } = quiet()
    const { forwarded, error } = await run(mw, { args: { a: 1 } })
    expect(forwarded).toBe(false)
    expect(error?.message).toBe('Invalid arguments for tool "add": /b is required')
    expect(error?.data).toMatchObject({ errors: [{ path: '/b', keyword: 'required' }] })
  })

  it('names an extra property when the schema forbids it', async () => {
    const { mw } = quiet()
    const { error } = await run(mw, { args: { a: 1, b: 2, c: 3 } })
    expect(error?.message).toBe('Invalid arguments for tool "add": /c is not allowed')
    expect(error?.data).toMatchObject({ errors: [{ path: '/c', keyword: 'additionalProperties' }] })
  })

  it('lets an extra property through when the schema does not forbid it', async () => {
    const { mw } = quiet()
    const open = { ...ADD, additionalProperties: undefined }
    expect((await run(mw, { schema: open, args: { a: 1, b: 2, c: 3 } })).forwarded).toBe(true)
    expect(mw.stats.valid).toBe(1)
  })

  it('escapes names in the path as a JSON Pointer and points into nested values', async () => {
    const { mw } = quiet()
    const schema = {
      type: 'object',
      properties: {
        'a/b~c': {
          type: 'object',
          properties: { list: { type: 'array', items: { type: 'integer' } } },
        },
      },
    }
    const { error } = await run(mw, { schema, args: { 'a/b~c': { list: [1, 2, 3.5] } } })
    expect(error?.message).toBe('Invalid arguments for tool "add": /a~1b~0c/list/2 must be integer')
  })

  it('checks absent arguments as {} and refuses null ones', async () => {
    const { mw } = quiet()
    expect((await run(mw, {})).error?.message).toBe(
      'Invalid arguments for tool "add": /a is required',
    )
    expect((await run(mw, { args: null })).error?.message).toBe(
      'Invalid arguments for tool "add": must be object',
    )
    expect((await run(mw, { schema: { type: 'object' } })).forwarded).toBe(true)
  })

  it('names the anyOf a value matched no branch of, not its first branch', async () => {
    const { mw } = quiet()
    const schema = {
      type: 'object',
      properties: { id: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
    }
    const { error } = await run(mw, { schema, args: { id: true } })
    expect(error?.message).toBe(
      'Invalid arguments for tool "add": /id must match a schema in anyOf',
    )
    expect(error?.data).toMatchObject({ errors: [{}, {}, { keyword: 'anyOf' }] })
  })

  it('keeps the answer bounded whatever the names and patterns', async () => {
    const { mw } = quiet()
    const long = 'x'.repeat(20_000)
    const schema = { type: 'object', properties: { s: { type: 'string', pattern: `^${long}$` } } }
    const { error } = await run(mw, { name: long, schema, args: { s: 'y' } })
    expect(error?.code).toBe(ErrorCode.InvalidParams)
    expect(JSON.stringify(error?.toJSON()).length).toBeLessThan(1_500)
    const extra = await run(mw, { args: { a: 1, b: 2, [long]: 1 } })
    expect(JSON.stringify(extra.error?.toJSON()).length).toBeLessThan(1_500)
  })
})

describe('validateArguments() checks only, and only tools/call going up', () => {
  it('checks the target’s arguments (the call as it leaves this layer), not ctx.params', async () => {
    const { mw } = quiet()
    const target = { name: 'add', arguments: { a: 1, b: 2 } }
    expect((await run(mw, { args: { a: 'x' }, target })).forwarded).toBe(true)
    const wrong = { name: 'add', arguments: { a: 'x', b: 2 } }
    expect((await run(mw, { args: { a: 1, b: 2 }, target: wrong })).forwarded).toBe(false)
  })

  it('changes nothing: no defaults filled in, no types coerced, no property removed', async () => {
    const { mw } = quiet()
    const schema = {
      type: 'object',
      properties: { n: { type: 'number' }, d: { type: 'string', default: 'filled' } },
      additionalProperties: false,
    }
    const args = { n: 1 }
    const { ctx } = await run(mw, { schema, args })
    expect((ctx.params as { arguments: unknown }).arguments).toBe(args)
    expect(args).toEqual({ n: 1 })
    expect((await run(mw, { schema, args: { n: '1' } })).error?.message).toMatch(
      /\/n must be number/,
    )
    const extra = { n: 1, x: 2 }
    await run(mw, { schema, args: extra })
    expect(extra).toEqual({ n: 1, x: 2 })
  })

  it('passes a call with no tool definition, or a definition without a schema object, unchecked', async () => {
    const { mw } = quiet()
    expect((await run(mw, { unlisted: true, args: { a: 'x' } })).forwarded).toBe(true)
    expect((await run(mw, { schema: true, args: { a: 'x' } })).forwarded).toBe(true)
    expect(mw.stats).toMatchObject({ unchecked: 2, compiled: 0 })
  })

  it('leaves other methods and server-initiated messages alone', async () => {
    const { mw } = quiet()
    expect((await run(mw, { method: 'tools/list', args: { a: 'x' } })).forwarded).toBe(true)
    expect((await run(mw, { direction: 'toClient', args: { a: 'x' } })).forwarded).toBe(true)
    expect(mw.stats).toMatchObject({ valid: 0, invalid: 0, unchecked: 0, compiled: 0 })
  })

  it('does not assert format (an annotation in 2020-12)', async () => {
    const { mw } = quiet()
    const schema = { type: 'object', properties: { to: { type: 'string', format: 'email' } } }
    expect((await run(mw, { schema, args: { to: 'not an address' } })).forwarded).toBe(true)
  })
})

describe('validateArguments() dialects (MCP 2025-11-25 §JSON Schema Usage)', () => {
  it('reads a schema without $schema as 2020-12', async () => {
    const { mw } = quiet()
    const schema = {
      type: 'object',
      properties: { pair: { prefixItems: [{ type: 'string' }, { type: 'number' }] } },
    }
    expect((await run(mw, { schema, args: { pair: ['a', 1] } })).forwarded).toBe(true)
    expect((await run(mw, { schema, args: { pair: [1, 'a'] } })).error?.message).toBe(
      'Invalid arguments for tool "add": /pair/0 must be string',
    )
  })

  it('reads draft-07 (as the TypeScript SDK writes it), in either spelling, and draft-06', async () => {
    const tuple = {
      type: 'object',
      properties: { pair: { items: [{ type: 'string' }, { type: 'number' }] } },
    }
    for (const $schema of [
      'http://json-schema.org/draft-07/schema#',
      'https://json-schema.org/draft-07/schema',
      'http://json-schema.org/draft-06/schema#',
    ]) {
      const { mw, lines } = quiet()
      const schema = { $schema, ...tuple }
      expect((await run(mw, { schema, args: { pair: [1, 'a'] } })).error?.message).toBe(
        'Invalid arguments for tool "add": /pair/0 must be string',
      )
      expect(lines).toEqual([])
    }
  })

  it('reads 2019-09 and 2020-12 when named', async () => {
    for (const $schema of [
      'https://json-schema.org/draft/2019-09/schema',
      'https://json-schema.org/draft/2020-12/schema',
    ]) {
      const { mw } = quiet()
      const schema = {
        $schema,
        type: 'object',
        properties: { a: { type: 'number' } },
        unevaluatedProperties: false,
      }
      expect((await run(mw, { schema, args: { a: 1 } })).forwarded).toBe(true)
      expect((await run(mw, { schema, args: { a: 1, z: 1 } })).error?.message).toBe(
        'Invalid arguments for tool "add": /z is not allowed',
      )
    }
  })

  it('knows which dialect a $schema names', () => {
    expect(dialectOf(undefined)).toBe('2020-12')
    expect(dialectOf('HTTPS://JSON-SCHEMA.ORG/DRAFT/2020-12/SCHEMA#')).toBe('2020-12')
    expect(dialectOf('http://json-schema.org/draft-04/schema#')).toBeUndefined()
    expect(dialectOf('https://example.com/my-dialect')).toBeUndefined()
    expect(dialectOf(7)).toBeUndefined()
  })
})

describe('validateArguments() schemas it cannot compile', () => {
  const broken = {
    'an unsupported $schema (draft-04)': {
      $schema: 'http://json-schema.org/draft-04/schema#',
      type: 'object',
    },
    'a schema invalid in its dialect': { type: 'object', properties: { a: { type: 'nonsense' } } },
    'a remote $ref (never fetched)': { $ref: 'https://example.com/schemas/add.json' },
    'an $async schema': { $async: true, type: 'object', properties: { a: { type: 'number' } } },
    'a pattern JavaScript cannot compile': {
      type: 'object',
      properties: { a: { type: 'string', pattern: '[\\w-.]' } },
    },
  }

  for (const [what, schema] of Object.entries(broken)) {
    it(`forwards a call unchecked with ${what}, logging the schema once`, async () => {
      const { mw, lines } = quiet()
      expect((await run(mw, { schema, args: { a: 'x' } })).forwarded).toBe(true)
      expect((await run(mw, { schema, args: { a: 'y' } })).forwarded).toBe(true)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(
        /^validateArguments\(\): the input schema of tool "add" cannot be compiled: /,
      )
      expect(mw.stats).toMatchObject({ unchecked: 2, compiled: 1, uncompilable: 1 })
    })
  }

  it('treats a schema whose validator throws while checking (an engine that fails) as one it cannot compile', async () => {
    const { mw, lines } = quiet({
      regExp: () => ({
        test: () => {
          throw new Error('engine failed')
        },
      }),
    })
    const schema = { type: 'object', properties: { s: { type: 'string', pattern: '^a$' } } }
    expect((await run(mw, { schema, args: { s: 'a' } })).forwarded).toBe(true)
    expect((await run(mw, { schema, args: { s: 'b' } })).forwarded).toBe(true)
    expect(lines).toEqual([
      'validateArguments(): the input schema of tool "add" cannot be compiled: engine failed',
    ])
    expect(mw.stats).toMatchObject({ unchecked: 2, compiled: 1, uncompilable: 1 })
  })

  it('refuses such a call -32603, sending nothing, with uncompilable: refuse', async () => {
    const { mw } = quiet({ uncompilable: 'refuse' })
    const { forwarded, error } = await run(mw, {
      schema: broken['a schema invalid in its dialect'],
    })
    expect(forwarded).toBe(false)
    expect(error?.code).toBe(ErrorCode.InternalError)
    expect(error?.message).toBe('Tool "add" cannot be called: its input schema cannot be checked')
    expect(error?.unsent).toBe(true)
    expect(mw.stats.refused).toBe(1)
  })
})

describe('validateArguments() compiles each schema object once, within a bound', () => {
  it('compiles a schema once for many calls, and a new schema object (a new catalog) anew', async () => {
    const { mw } = quiet()
    for (let i = 0; i < 5; i++) await run(mw, { args: { a: 1, b: 2 } })
    expect(mw.stats.compiled).toBe(1)
    const changed = { ...ADD, properties: { ...ADD.properties, b: { type: 'string' } } }
    expect((await run(mw, { schema: changed, args: { a: 1, b: 2 } })).error?.message).toBe(
      'Invalid arguments for tool "add": /b must be string',
    )
    expect(mw.stats.compiled).toBe(2)
  })

  it('compiles a new version of a schema with the same $id', async () => {
    const { mw, lines } = quiet()
    const v1 = { $id: 'https://tools.example/add', ...ADD }
    const v2 = { ...v1, required: ['a'] }
    expect((await run(mw, { schema: v1, args: { a: 1 } })).forwarded).toBe(false)
    expect((await run(mw, { schema: v2, args: { a: 1 } })).forwarded).toBe(true)
    expect(lines).toEqual([])
  })

  it('holds at most maxSchemas validators: past that, it starts afresh and recompiles what is called', async () => {
    const { mw } = quiet({ maxSchemas: 2 })
    const schemas = [1, 2, 3].map((n) => ({ ...ADD, title: `v${n}` }))
    for (const schema of schemas) await run(mw, { schema, args: { a: 1, b: 2 } })
    expect(mw.stats.compiled).toBe(3)
    await run(mw, { schema: schemas[2], args: { a: 1, b: 2 } }) // in the new generation
    expect(mw.stats.compiled).toBe(3)
    await run(mw, { schema: schemas[0], args: { a: 'x', b: 2 } }) // dropped with the old one
    expect(mw.stats).toMatchObject({ compiled: 4, invalid: 1 })
  })
})

describe('validateArguments() regExp', () => {
  it('uses the given engine for pattern and patternProperties, each pattern its own', async () => {
    const seen: string[] = []
    const { mw } = quiet({
      regExp: (pattern, flags) => {
        seen.push(pattern)
        return new RegExp(pattern, flags)
      },
    })
    const schema = {
      type: 'object',
      properties: {
        a: { type: 'string', pattern: '^a+$' },
        b: { type: 'string', pattern: '^b+$' },
      },
      patternProperties: { '^x-': { type: 'number' } },
    }
    expect((await run(mw, { schema, args: { a: 'aa', b: 'bb', 'x-n': 1 } })).forwarded).toBe(true)
    expect((await run(mw, { schema, args: { a: 'aa', b: 'aa' } })).error?.message).toBe(
      'Invalid arguments for tool "add": /b must match pattern "^b+$"',
    )
    expect((await run(mw, { schema, args: { 'x-n': 'one' } })).error?.message).toBe(
      'Invalid arguments for tool "add": /x-n must be number',
    )
    expect(seen).toEqual(expect.arrayContaining(['^a+$', '^b+$', '^x-']))
  })
})

describe('validateArguments() options', () => {
  it.each([
    [{ maxSchemas: 0 }, '[@mcpx/transformers] maxSchemas must be an integer ≥ 1'],
    [{ maxSchemas: 1.5 }, '[@mcpx/transformers] maxSchemas must be an integer ≥ 1'],
    [{ uncompilable: 'drop' }, "[@mcpx/transformers] uncompilable must be 'forward' or 'refuse'"],
    [{ regExp: 're2' }, '[@mcpx/transformers] regExp must be a function'],
    [{ log: true }, '[@mcpx/transformers] log must be a function'],
    [
      { maxSchema: 10 },
      '[@mcpx/transformers] validateArguments() options key "maxSchema" must be one of uncompilable, maxSchemas, regExp, log',
    ],
  ])('refuses %o when the factory runs', (options, message) => {
    expect(() => validateArguments(options as ValidateArgumentsOptions)).toThrow(
      expect.objectContaining({ name: 'TypeError', message }),
    )
  })

  it('does not change the options it is given', () => {
    const options = Object.freeze({ maxSchemas: 5, uncompilable: 'refuse' as const })
    expect(() => validateArguments(options)).not.toThrow()
    expect(options).toEqual({ maxSchemas: 5, uncompilable: 'refuse' })
  })
})
