import { describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'
import { sessionsProblem } from '../src/config-redis.js'

const upstreams = { math: { example: 'math' } }
const SECRET = 'sixteen-characters-or-more'
const URL_ = 'redis://:pw@127.0.0.1:6379/0'

function configOf(file: Record<string, unknown>) {
  const checked = checkConfig({ upstreams, ...file })
  if (!checked.ok) throw new Error(checked.problems.join('\n'))
  return checked.config
}
function problemsOf(file: Record<string, unknown>) {
  const checked = checkConfig({ upstreams, ...file })
  return checked.ok ? [] : checked.problems
}

const limits = [
  { name: 'all', by: 'global', algorithm: { fixedWindow: { limit: 1, windowMs: 1000 } } },
]

describe('the redis section', () => {
  it.each([
    ['one server', { url: URL_ }],
    ['Sentinels', { sentinels: [{ host: '10.0.0.2', port: 26379 }], name: 'main', password: 'pw' }],
    ['a cluster', { cluster: ['redis://10.0.0.2:7000', 'rediss://10.0.0.3:7000'] }],
  ])('takes %s', (_, redis) => {
    expect(configOf({ redis }).redis).toEqual(redis)
  })

  it("is what 'redis' and a store without a url use; a store's own url stays its own", () => {
    const config = configOf({
      redis: { url: URL_ },
      rateLimits: { limits, store: 'redis' },
      transformers: {
        cache: { store: { redis: { prefix: 'c:' } } },
        pinTools: { store: { redis: { url: 'redis://other:6379', key: 'pins' } } },
      },
    })
    expect(config.rateLimits?.store).toEqual({ kind: 'redis', redis: { url: URL_ } })
    expect(config.transformers?.cache?.store).toEqual({
      kind: 'redis',
      redis: { url: URL_ },
      prefix: 'c:',
    })
    expect(config.transformers?.pinTools?.store).toEqual({
      kind: 'redis',
      redis: { url: 'redis://other:6379' },
      key: 'pins',
    })
  })

  it('keeps pins in memory by default and by name', () => {
    for (const store of [undefined, 'memory']) {
      expect(
        configOf({ transformers: { pinTools: { store } } }).transformers?.pinTools?.store,
      ).toBe(undefined)
    }
  })

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'two kinds at once',
      { redis: { url: URL_, cluster: [URL_] } },
      ['redis: needs exactly one of url, sentinels (with name) and cluster'],
    ],
    [
      'a URL of another scheme, not shown',
      { redis: { url: 'http://:hunter2@redis' } },
      ['redis.url: must be a redis:// or rediss:// URL (not shown: it may hold a password)'],
    ],
    [
      'a password beside a url',
      { redis: { url: URL_, password: 'x' } },
      ['redis.password: goes with sentinels or cluster only'],
    ],
    [
      'Sentinels without a name',
      { redis: { sentinels: [{ host: 'a', port: 26379 }] } },
      ['redis.name: is required'],
    ],
    [
      'pins in the top-level redis without one',
      { transformers: { pinTools: { store: 'redis' } } },
      [
        "transformers.pinTools.store: 'redis' is the top-level redis section, and there is none: add one (redis: { url: … }), or give the store its own ({ redis: { url: … } })",
      ],
    ],
  ])('refuses %s, under its path', (_, file, expected) => {
    const problems = problemsOf(file)
    expect(problems).toEqual(expected)
    expect(problems.join('\n')).not.toContain('hunter2')
  })
})

describe('the sessions section', () => {
  const redis = { url: URL_ }

  it('takes the registry, advertise as an origin', () => {
    const sessions = {
      registry: {
        secret: SECRET,
        advertise: 'http://10.0.0.7:3000',
        ttl: 1500,
        connectTimeout: 500,
      },
    }
    expect(configOf({ redis, sessions }).sessions).toEqual(sessions)
  })

  it.each<[string, Record<string, unknown>, string]>([
    [
      'an advertise with a path',
      { secret: SECRET, advertise: 'http://10.0.0.7:3000/mcp' },
      'sessions.registry.advertise: must be an http(s) origin, such as http://10.0.0.7:3000 (no path)',
    ],
    ['no secret', {}, 'sessions.registry.secret: is required'],
    [
      "a secret with its file's newline",
      { secret: `${SECRET}\n` },
      'sessions.registry.secret: must be visible ASCII characters only',
    ],
    [
      'a ttl below 100 ms',
      { secret: SECRET, ttl: 50 },
      'sessions.registry.ttl: must be an integer from 100',
    ],
  ])('refuses %s', (_, registry, problem) => {
    const [only, ...rest] = problemsOf({ redis, sessions: { registry } })
    expect(rest).toEqual([])
    expect(only!.startsWith(problem), only).toBe(true)
  })

  it('needs Streamable HTTP, and advertise on a wildcard address, after the command line', () => {
    const sessions = { registry: { secret: SECRET } }
    expect(sessionsProblem(sessions, { transport: 'http', host: '127.0.0.1' })).toBeUndefined()
    expect(sessionsProblem(sessions, { transport: 'websocket', host: '127.0.0.1' })).toMatch(
      /^sessions: the session registry is for Streamable HTTP/,
    )
    expect(sessionsProblem(sessions, { transport: 'http', host: '0.0.0.0' })).toMatch(
      /^sessions\.registry\.advertise: is required when serve\.host is 0\.0\.0\.0/,
    )
    const advertised = { registry: { ...sessions.registry, advertise: 'http://10.0.0.7:3000' } }
    expect(sessionsProblem(advertised, { transport: 'http', host: '0.0.0.0' })).toBeUndefined()
  })
})
