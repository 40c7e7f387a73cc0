// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in plain strings is what the config file holds
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'
import { interpolate } from '../src/interpolate.js'
import { loadConfigFile } from '../src/load-config.js'

const upstreams = { math: { example: 'math' } }
const window = { slidingWindow: { limit: 60, windowMs: 60_000 } }
const limit = { name: 'per-client', algorithm: window }

/** The problems of a config with this `rateLimits` section, which must be refused. */
function problemsOf(rateLimits: unknown): readonly string[] {
  const checked = checkConfig({ rateLimits, upstreams })
  if (checked.ok) throw new Error('the config was accepted')
  return checked.problems
}

function rateLimitsOf(rateLimits: unknown) {
  const checked = checkConfig({ rateLimits, upstreams })
  if (!checked.ok) throw new Error(checked.problems.join('\n'))
  return checked.config.rateLimits
}

describe('the rateLimits section', () => {
  it('is undefined without one', () => {
    expect(rateLimitsOf(undefined)).toBeUndefined()
  })

  it('becomes rateLimit() limits with built algorithms, an allow-list and a store', () => {
    const section = rateLimitsOf({
      limits: [
        {
          name: 'per-client',
          by: 'client',
          algorithm: window,
          tools: ['search_*'],
          methods: 'tools/call',
          cost: 2,
          failure: 'closed',
          overrides: [
            {
              tools: 'report_*',
              cost: 5,
              algorithm: { fixedWindow: { limit: 10, windowMs: 60_000 } },
            },
          ],
          classes: {
            claim: 'plan',
            algorithms: {
              premium: { tokenBucket: { capacity: 100, refillPerSecond: 10 } },
              basic: { fixedWindow: { limit: 5, windowMs: 1_000 } },
            },
          },
        },
        {
          name: 'everyone',
          by: 'global',
          algorithm: { tokenBucket: { capacity: 500, refillPerSecond: 50 } },
        },
      ],
      allow: { subjects: ['ci'], addresses: ['127.0.0.1', '::1'] },
      store: { memory: { maxKeys: 5_000 } },
    })
    if (section === undefined) throw new Error('no section')
    const [first, second] = section.limits
    expect(first).toMatchObject({
      name: 'per-client',
      by: 'client',
      tools: ['search_*'],
      methods: ['tools/call'],
      cost: 2,
      failure: 'closed',
      algorithm: { kind: 'sliding-window', limit: 60, windowMs: 60_000 },
      overrides: [{ tools: ['report_*'], cost: 5, algorithm: { kind: 'fixed-window', limit: 10 } }],
      classes: {
        claim: 'plan',
        algorithms: {
          premium: { kind: 'token-bucket', limit: 100 },
          basic: { kind: 'fixed-window', limit: 5, windowMs: 1_000 },
        },
      },
    })
    expect(typeof first!.algorithm.evaluate).toBe('function')
    expect(second).toMatchObject({
      name: 'everyone',
      by: 'global',
      algorithm: { kind: 'token-bucket' },
    })
    expect(Object.keys(second!).sort()).toEqual(['algorithm', 'by', 'name'])
    expect(section.allow).toEqual({
      subjects: ['ci'],
      clientIds: [],
      addresses: ['127.0.0.1', '::1'],
    })
    expect(section.store).toEqual({ kind: 'memory', maxKeys: 5_000 })
  })

  it('keeps the memory store by default or by name, and takes a Redis store', () => {
    expect(rateLimitsOf({ limits: [limit] })?.store).toEqual({ kind: 'memory' })
    expect(rateLimitsOf({ limits: [limit], store: 'memory' })?.store).toEqual({ kind: 'memory' })
    const redis = { url: 'redis://:pw@127.0.0.1:6379/0', prefix: 'gw:{rl}:', timeoutMs: 25 }
    expect(rateLimitsOf({ limits: [limit], store: { redis } })?.store).toEqual({
      kind: 'redis',
      redis: { url: redis.url },
      prefix: redis.prefix,
      timeoutMs: redis.timeoutMs,
    })
  })

  it('takes classes by header', () => {
    const classes = { header: 'x-plan', algorithms: { premium: window } }
    const section = rateLimitsOf({ limits: [{ ...limit, classes }] })
    expect(section!.limits[0]!.classes).toMatchObject({ header: 'x-plan' })
  })

  it.each([
    ['not an object', 'lots', ['rateLimits: must be an object, got "lots"']],
    ['no limits', {}, ['rateLimits.limits: is required']],
    [
      'empty limits',
      { limits: [] },
      ['rateLimits.limits: must be a non-empty array of limits, got an array'],
    ],
    [
      'an unknown key',
      { limits: [limit], allwo: {} },
      ['rateLimits.allwo: unknown key (did you mean allow?)'],
    ],
    [
      'a limit without a name or algorithm',
      { limits: [{ by: 'client' }] },
      [
        'rateLimits.limits[0].name: is required',
        'rateLimits.limits[0].algorithm: is required: it needs one of tokenBucket, slidingWindow, fixedWindow',
      ],
    ],
    [
      'a bad limit name',
      { limits: [{ ...limit, name: 'per client!' }] },
      ['rateLimits.limits[0].name: must be 1 to 64 characters, each one of A-Z a-z 0-9 _ . -'],
    ],
    [
      'two limits of one name',
      { limits: [limit, limit] },
      ['rateLimits.limits[1].name: "per-client" is the name of rateLimits.limits[0] too'],
    ],
    [
      'an algorithm of no known kind',
      { limits: [{ ...limit, algorithm: { leakyBucket: { limit: 1 } } }] },
      [
        'rateLimits.limits[0].algorithm.leakyBucket: unknown key',
        'rateLimits.limits[0].algorithm: needs one of tokenBucket, slidingWindow, fixedWindow',
      ],
    ],
    [
      'two algorithms at once',
      { limits: [{ ...limit, algorithm: { ...window, fixedWindow: { limit: 1, windowMs: 1 } } }] },
      [
        'rateLimits.limits[0].algorithm: needs exactly one of tokenBucket, slidingWindow, fixedWindow',
      ],
    ],
    [
      'a number given as a string (as ${VAR} makes it)',
      { limits: [{ ...limit, algorithm: { slidingWindow: { limit: '60', windowMs: 60_000 } } }] },
      ['rateLimits.limits[0].algorithm.slidingWindow.limit: must be a number, got "60"'],
    ],
    [
      'a missing option and a misspelt one',
      { limits: [{ ...limit, algorithm: { tokenBucket: { capacity: 5, refilPerSecond: 1 } } }] },
      [
        'rateLimits.limits[0].algorithm.tokenBucket.refilPerSecond: unknown key (did you mean refillPerSecond?)',
        'rateLimits.limits[0].algorithm.tokenBucket.refillPerSecond: is required',
      ],
    ],
    [
      "what only the factory refuses, under the option's path",
      {
        limits: [
          { ...limit, algorithm: { tokenBucket: { capacity: 0, refillPerSecond: 1 } } },
          { name: 'b', algorithm: { fixedWindow: { limit: 5, windowMs: 1.5 } } },
        ],
      },
      [
        'rateLimits.limits[0].algorithm.tokenBucket.capacity: must be > 0',
        'rateLimits.limits[1].algorithm.fixedWindow.windowMs: must be an integer ≥ 1',
      ],
    ],
    [
      'a bad by, cost, failure and pattern',
      { limits: [{ ...limit, by: 'user', cost: 0, failure: 'ajar', tools: ['ok_*', 'bad\\'] }] },
      [
        "rateLimits.limits[0].by: must be one of 'global', 'client', 'tool', 'client-tool', got \"user\"",
        'rateLimits.limits[0].tools[1]: pattern ends in a lone \\: bad\\',
        'rateLimits.limits[0].cost: must be a number > 0, got 0',
        "rateLimits.limits[0].failure: must be one of 'open', 'closed', got \"ajar\"",
      ],
    ],
    [
      'empty methods',
      { limits: [{ ...limit, methods: [] }] },
      ['rateLimits.limits[0].methods: must be a pattern or a non-empty array of them'],
    ],
    [
      'overrides without tools, or that change nothing',
      { limits: [{ ...limit, overrides: [{ cost: 2 }, { tools: 'x_*' }] }] },
      [
        'rateLimits.limits[0].overrides[0].tools: is required',
        'rateLimits.limits[0].overrides[1]: needs an algorithm, a cost, or both',
      ],
    ],
    [
      'an override with a bad algorithm',
      {
        limits: [
          {
            ...limit,
            overrides: [{ tools: 'x', algorithm: { slidingWindow: { limit: -1, windowMs: 10 } } }],
          },
        ],
      },
      ['rateLimits.limits[0].overrides[0].algorithm.slidingWindow.limit: must be > 0'],
    ],
    [
      'classes with both sources, and a bad class name',
      {
        limits: [
          {
            ...limit,
            classes: { header: 'x-plan', claim: 'plan', algorithms: { 'gold plan': window } },
          },
        ],
      },
      [
        'rateLimits.limits[0].classes: needs exactly one of header and claim',
        'rateLimits.limits[0].classes.algorithms["gold plan"]: a class name must be 1 to 64 characters, each one of A-Z a-z 0-9 _ . -',
      ],
    ],
    [
      'classes with a bad header and no algorithms',
      { limits: [{ ...limit, classes: { header: 'x plan' } }] },
      [
        'rateLimits.limits[0].classes.header: must be an HTTP header name',
        'rateLimits.limits[0].classes.algorithms: is required',
      ],
    ],
    [
      'a bad allow-list',
      { limits: [limit], allow: { subjects: 'ci', addresses: ['localhost'] } },
      [
        'rateLimits.allow.subjects: must be an array of strings',
        'rateLimits.allow.addresses[0]: must be an IP address as the transport reports it (127.0.0.1, ::1), got "localhost"',
      ],
    ],
    [
      'a store of no known kind',
      { limits: [limit], store: 'postgres' },
      [
        "rateLimits.store: must be 'memory', 'redis' or an object of memory or redis, got \"postgres\"",
      ],
    ],
    [
      'two stores',
      { limits: [limit], store: { memory: {}, redis: { url: 'redis://x' } } },
      ['rateLimits.store: needs exactly one of memory and redis'],
    ],
    [
      'a bad maxKeys',
      { limits: [limit], store: { memory: { maxKeys: 0 } } },
      ['rateLimits.store.memory.maxKeys: must be an integer ≥ 1, got 0'],
    ],
    [
      'a Redis URL of another scheme (not shown), and a bad timeout',
      { limits: [limit], store: { redis: { url: 'http://:secret@redis', timeoutMs: '50' } } },
      [
        'rateLimits.store.redis.url: must be a redis:// or rediss:// URL (not shown: it may hold a password)',
        'rateLimits.store.redis.timeoutMs: must be a number > 0, got "50"',
      ],
    ],
    [
      'a Redis store without a URL',
      { limits: [limit], store: { redis: { prefix: 'gw:' } } },
      [
        'rateLimits.store.redis.url: is required: give the store its own, or add a top-level redis section (which it then uses)',
      ],
    ],
  ])('refuses %s, naming the path', (_, section, expected) => {
    const problems = problemsOf(section)
    expect(problems).toEqual(expected)
    expect(problems.join('\n')).not.toContain('secret')
  })

  it('accepts examples/gateway-ratelimit.yaml, and its Redis variant with REDIS_URL', async () => {
    const file = fileURLToPath(new URL('../examples/gateway-ratelimit.yaml', import.meta.url))
    const raw = (await loadConfigFile(file, {})) as { rateLimits: Record<string, unknown> }
    const checked = checkConfig(raw)
    if (!checked.ok) throw new Error(checked.problems.join('\n'))
    const section = checked.config.rateLimits
    expect(section?.limits.map((l) => l.name)).toEqual(['everyone', 'per-client', 'reports'])
    expect(section?.store).toEqual({ kind: 'memory' })
    // The comment's variant: the URL from the environment, a string; the timeout a number.
    raw.rateLimits.store = { redis: { url: '${REDIS_URL}', timeoutMs: 50 } }
    const env = { REDIS_URL: 'redis://127.0.0.1:6379/0' }
    const interpolated = interpolate(raw, env)
    if (!interpolated.ok) throw new Error(interpolated.problems.join('\n'))
    const redis = checkConfig(interpolated.value)
    if (!redis.ok) throw new Error(redis.problems.join('\n'))
    expect(redis.config.rateLimits?.store).toEqual({
      kind: 'redis',
      redis: { url: env.REDIS_URL },
      timeoutMs: 50,
    })
  })
})
