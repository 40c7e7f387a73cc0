import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { checkConfig, checkConfigRules } from '../src/config.js'
import { configJsonSchema, configSchema } from '../src/config-schema.js'
import { DEFAULT_CONFIG } from '../src/default-config.js'
import { interpolate } from '../src/interpolate.js'

// The zod schema describes the document checkConfig checks, and checkConfig runs it after its own
// rules (checkConfigRules). Each must accept what the other does structurally: whatever the schema
// refuses, the rules alone must refuse too (so that a file gets their precise message); they may
// refuse more (rules across keys: a route to no upstream, min above max).

const EXAMPLES = join(import.meta.dirname, '..', 'examples')
/** What the examples' `${VAR}`s need. */
const ENV = { JWT_SECRET: 'a-secret-of-at-least-thirty-two-bytes!' }

function example(file: string): unknown {
  const text = readFileSync(join(EXAMPLES, file), 'utf8')
  const parsed = file.endsWith('.json') ? JSON.parse(text) : parse(text)
  const interpolated = interpolate(parsed, ENV)
  if (!interpolated.ok) throw new Error(interpolated.problems.join('\n'))
  return interpolated.value
}

const issues = (doc: unknown) =>
  configSchema.safeParse(doc).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? []

describe('the config schema', () => {
  const files = readdirSync(EXAMPLES).filter((f) => /\.(ya?ml|json)$/.test(f))

  it('finds the example configs', () => {
    expect(files.length).toBeGreaterThanOrEqual(7)
  })

  it.each(files)('accepts examples/%s, as checkConfig does', (file) => {
    const doc = example(file)
    expect(issues(doc)).toEqual([])
    expect(checkConfig(doc)).toMatchObject({ ok: true })
  })

  it('accepts the default config, as checkConfig does', () => {
    expect(issues(DEFAULT_CONFIG)).toEqual([])
    expect(checkConfig(DEFAULT_CONFIG)).toMatchObject({ ok: true })
  })

  it('lets a file name its JSON Schema at the top level', () => {
    const doc = { $schema: './config.schema.json', upstreams: { math: { example: 'math' } } }
    expect(issues(doc)).toEqual([])
    expect(checkConfig(doc)).toMatchObject({ ok: true })
  })

  const base = { upstreams: { math: { example: 'math' } } }
  const broken: [string, unknown][] = [
    ['not an object', []],
    ['no upstreams', {}],
    ['an unknown top-level key', { ...base, servers: {} }],
    ['an unknown serve key', { ...base, serve: { prot: 3000 } }],
    ['an unknown upstream key', { upstreams: { math: { example: 'math', tiemout: 5 } } }],
    ['an unknown pool key', { upstreams: { math: { example: 'math', pool: { maxx: 2 } } } }],
    [
      'an unknown key three levels down',
      { upstreams: { math: { example: 'math', pool: { restart: { crashLoop: { n: 1 } } } } } },
    ],
    ['an unknown breaker strategy key', { ...base, breaker: { strategy: { failure: 3 } } }],
    ['an unknown cache key', { ...base, transformers: { cache: { ttl: 5 } } }],
    ['a key of another kind of upstream', { upstreams: { math: { example: 'math', args: [] } } }],
    ['two kinds at once', { upstreams: { math: { example: 'math', command: 'node' } } }],
    ['no kind', { upstreams: { math: { namespace: true } } }],
    ['a port as a string', { ...base, serve: { port: '3000' } }],
    ['a port out of range', { ...base, serve: { port: 70000 } }],
    ['a fractional port', { ...base, serve: { port: 80.5 } }],
    ['a path without a slash', { ...base, serve: { path: 'mcp' } }],
    ['a bad front end', { ...base, serve: { transport: 'grpc' } }],
    ['a bad mode', { upstreams: { math: { example: 'math', mode: 'pooled' } } }],
    ['a bad example flavour', { upstreams: { math: { example: 'admin2' } } }],
    ['65 replicas', { upstreams: { math: { example: 'math', replicas: 65 } } }],
    ['a negative timeout', { upstreams: { math: { example: 'math', timeout: -1 } } }],
    ['a bad balance', { upstreams: { math: { example: 'math', balance: 'fastest' } } }],
    ['a bad upstream name', { upstreams: { 'my server': { example: 'math' } } }],
    ['args not strings', { upstreams: { m: { command: 'node', args: [1] } } }],
    ['a bad env name', { upstreams: { m: { command: 'node', env: { '1X': 'y' } } } }],
    ['a bad url transport', { upstreams: { m: { url: 'http://127.0.0.1/', transport: 'h2' } } }],
    ['a short cursor key', { ...base, router: { cursorKey: 'short' } }],
    ['a bad separator', { ...base, router: { separator: '::::::' } }],
    ['a bad collisions policy', { ...base, router: { collisions: 'last' } }],
    ['retryInterval below 10', { ...base, router: { retryInterval: 5 } }],
    ['a route without to', { ...base, routes: [{ tools: 'x' }] }],
    ['routes not an array', { ...base, routes: { tools: 'x', to: 'math' } }],
    ['auth a string but none', { ...base, auth: 'off' }],
    [
      'jwt with no algorithm',
      { ...base, auth: { jwt: { secret: 'x'.repeat(32), algorithms: [], audience: 'a' } } },
    ],
    [
      'a bad jwt algorithm',
      { ...base, auth: { jwt: { secret: 'x'.repeat(32), algorithms: ['none'], audience: 'a' } } },
    ],
    ['no limits', { ...base, rateLimits: { limits: [] } }],
    [
      'a bad by',
      {
        ...base,
        rateLimits: {
          limits: [
            {
              name: 'a',
              by: 'ip',
              algorithm: { tokenBucket: { capacity: 1, refillPerSecond: 1 } },
            },
          ],
        },
      },
    ],
    [
      'two algorithms',
      {
        ...base,
        rateLimits: {
          limits: [
            {
              name: 'a',
              algorithm: {
                tokenBucket: { capacity: 1, refillPerSecond: 1 },
                fixedWindow: { limit: 1, windowMs: 1000 },
              },
            },
          ],
        },
      },
    ],
    [
      'a zero cost',
      {
        ...base,
        rateLimits: {
          limits: [
            { name: 'a', cost: 0, algorithm: { fixedWindow: { limit: 1, windowMs: 1000 } } },
          ],
        },
      },
    ],
    ['attempts 0', { ...base, retry: { attempts: 0 } }],
    ['a jitter above 1', { ...base, retry: { backoff: { jitter: 2 } } }],
    [
      'a breaker rate threshold of 0',
      { ...base, breaker: { strategy: { kind: 'rate', threshold: 0 } } },
    ],
    ['a bad breaker per', { ...base, breaker: { per: 'method' } }],
    ['a concurrency without limit', { ...base, concurrency: { queue: 2 } }],
    ['a timeout of 0', { ...base, timeouts: { total: 0 } }],
    ['a metrics path with a query', { ...base, metrics: { path: '/m?x' } }],
    ['a bad log format', { ...base, logging: { format: 'xml' } }],
    ['a bad log level', { ...base, logging: { level: 'loud' } }],
    ['an unknown logging key', { ...base, logging: { levle: 'warn' } }],
    ['metrics maxUpstreams 0', { ...base, metrics: { maxUpstreams: 0 } }],
    ['a bad redact pattern name', { ...base, transformers: { redact: { patterns: ['ssn2'] } } }],
    ['redact maxDepth 0', { ...base, transformers: { redact: { maxDepth: 0 } } }],
    ['a bad onOversize', { ...base, transformers: { rewriteTools: { onOversize: 'drop' } } }],
    [
      'a bad uncompilable',
      { ...base, transformers: { validateArguments: { uncompilable: 'skip' } } },
    ],
    ['a redis of no kind', { ...base, redis: { urls: 'redis://127.0.0.1:6379' } }],
    ['a sentinel without a port', { ...base, redis: { sentinels: [{ host: 'a' }], name: 'm' } }],
    [
      'a short replica secret',
      { ...base, redis: { url: 'redis://x' }, sessions: { registry: { secret: 'short' } } },
    ],
    [
      'a registry ttl below 100',
      {
        ...base,
        redis: { url: 'redis://x' },
        sessions: { registry: { secret: 'x'.repeat(16), ttl: 50 } },
      },
    ],
    ['an unknown pin store', { ...base, transformers: { pinTools: { store: 'disk' } } }],
  ]

  it('has checkConfig refuse, under its path, what the schema refuses and the rules let through', () => {
    // The rules ignore `$schema` whatever it holds; the schema wants a string.
    const doc = { $schema: 5, upstreams: { math: { example: 'math' } } }
    expect(checkConfigRules(doc).ok).toBe(true)
    expect(checkConfig(doc)).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^\$schema: .*string.* \(the config schema\)$/)],
    })
  })

  it.each(broken)('refuses %s, as the rules alone do', (_, doc) => {
    expect(issues(doc)).not.toEqual([])
    expect(checkConfigRules(doc).ok).toBe(false)
  })

  it('refuses nothing structurally that the rules alone accept (fast-check)', () => {
    const json = configJsonSchema()
    const seen = { refused: 0, bothAccepted: 0 }
    fc.assert(
      fc.property(fc.gen(), (g) => {
        // A document the schema's shape makes, then one spot spoiled (or not).
        const doc = generate(json, json, g, 0) as Json
        if (g(fc.boolean)) spoil(doc, g)
        // The one known difference: checkConfig ignores `$schema` whatever it holds.
        if (typeof doc.$schema !== 'string') delete doc.$schema
        if (configSchema.safeParse(doc).success) {
          if (checkConfigRules(doc).ok) seen.bothAccepted++
          return
        }
        seen.refused++
        if (checkConfigRules(doc).ok) {
          throw new Error(
            `zod refused what the rules accepted: ${JSON.stringify(doc)}\n${issues(doc).join('\n')}`,
          )
        }
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: 20_000 },
    )
    // Not a vacuous property: the schema refused some documents, and some passed both whole.
    expect(seen.refused).toBeGreaterThan(50)
    expect(seen.bothAccepted).toBeGreaterThan(3)
  })
})

type Json = Record<string, unknown>
type Gen = fc.GeneratorValue

/**
 * Values that are wrong almost anywhere, and sometimes right. A null too: an empty YAML value,
 * which the sections a package checks itself once took as the default.
 */
const JUNK: unknown[] = [true, false, 0, -1, 1.5, 1e20, '', 'x', [], {}, ['a'], { a: 1 }, null]
/** Strings tried against a pattern or a length: each fits some field. */
const STRINGS = [
  'math',
  'data',
  'a',
  'X-Api-Key',
  'read:tools',
  '/mcp',
  '/metrics',
  '_',
  'sixteen-characters-long',
  'redis://127.0.0.1:6379',
  'a'.repeat(64),
  'dev.mcpx/',
]
// A huge count too: `transformers.cache.store.memory.maxEntries: 2147483647` once took
// checkConfig itself out of memory (an LRU allocates its table up front).
const NUMBERS = [0, 1, 2, 3, 10, 16, 64, 100, 1000, 0.5, 65535, -1, 2 ** 31 - 1]
const NAMES = ['math', 'data', 'web', 'a.b', 'x y', 'tool_1']
const MAX_DEPTH = 7
/** More runs to hunt for disagreements: CONFIG_SCHEMA_RUNS=20000. */
const RUNS = Number(process.env.CONFIG_SCHEMA_RUNS ?? 500)

/** A value of `schema`'s shape, its leaves mostly in range (those of no fitting candidate are not). */
function generate(schema: Json, root: Json, g: Gen, depth: number): unknown {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/$defs/', '')
    return generate((root.$defs as Record<string, Json>)[name]!, root, g, depth)
  }
  if (Array.isArray(schema.anyOf)) return generate(pick(g, schema.anyOf) as Json, root, g, depth)
  if ('const' in schema) return schema.const
  if (Array.isArray(schema.enum)) return pick(g, schema.enum)
  switch (schema.type) {
    case 'string':
      return pick(
        g,
        fitting(STRINGS, (s) => fits(schema, s)),
      )
    case 'number':
    case 'integer': {
      const bounds = [schema.minimum, schema.maximum].filter((n) => typeof n === 'number')
      return pick(
        g,
        fitting([...NUMBERS, ...bounds], (n) => inRange(schema, n as number)),
      )
    }
    case 'boolean':
      return g(fc.boolean)
    case 'array': {
      const min = (schema.minItems as number | undefined) ?? 0
      const n = depth >= MAX_DEPTH ? min : g(fc.integer, { min, max: min + 2 })
      return Array.from({ length: n }, () => generate(schema.items as Json, root, g, depth + 1))
    }
    case 'object':
      return object(schema, root, g, depth)
    default:
      return pick(g, JUNK)
  }
}

function object(schema: Json, root: Json, g: Gen, depth: number): Json {
  const out: Json = {}
  const properties = (schema.properties ?? {}) as Record<string, Json>
  const required = (schema.required ?? []) as string[]
  for (const [key, sub] of Object.entries(properties)) {
    const take =
      required.includes(key) || (depth < MAX_DEPTH && g(fc.integer, { min: 0, max: 3 }) === 0)
    if (take) out[key] = generate(sub, root, g, depth + 1)
  }
  if (typeof schema.additionalProperties === 'object' && depth < MAX_DEPTH) {
    const names = schema.propertyNames as Json | undefined
    const keys = fitting(NAMES, (k) => names === undefined || fits(names, k))
    const n = g(fc.integer, { min: 0, max: 2 })
    for (let i = 0; i < n; i++) {
      out[pick(g, keys)] = generate(schema.additionalProperties as Json, root, g, depth + 1)
    }
  }
  return out
}

/** One spot of `doc` made wrong, or made other: a value replaced by junk, or a key added. */
function spoil(doc: Json, g: Gen): void {
  const spots: (Json | unknown[])[] = []
  const walk = (value: unknown) => {
    if (typeof value !== 'object' || value === null) return
    spots.push(value as Json)
    for (const item of Object.values(value)) walk(item)
  }
  walk(doc)
  const spot = pick(g, spots)
  const keys = Object.keys(spot)
  if (Array.isArray(spot) || (keys.length > 0 && g(fc.boolean))) {
    if (keys.length === 0) return
    ;(spot as Json)[pick(g, keys)] = pick(g, JUNK)
  } else (spot as Json)[pick(g, ['extra', 'tiemout', 'Mode', 'math'])] = pick(g, JUNK)
}

function fits(schema: Json, s: string): boolean {
  if (typeof schema.minLength === 'number' && s.length < schema.minLength) return false
  return typeof schema.pattern !== 'string' || new RegExp(schema.pattern, 'u').test(s)
}

function inRange(schema: Json, n: number): boolean {
  if (schema.type === 'integer' && !Number.isInteger(n)) return false
  if (typeof schema.minimum === 'number' && n < schema.minimum) return false
  if (typeof schema.exclusiveMinimum === 'number' && n <= schema.exclusiveMinimum) return false
  return typeof schema.maximum !== 'number' || n <= schema.maximum
}

/** The candidates that fit, or all of them when none does. */
const fitting = <T>(list: readonly T[], ok: (item: T) => boolean): T[] => {
  const good = list.filter(ok)
  return good.length > 0 ? good : [...list]
}

const pick = <T>(g: Gen, list: readonly T[]): T =>
  list[g(fc.integer, { min: 0, max: list.length - 1 })]!
