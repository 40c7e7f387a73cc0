import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'
import { DEFAULT_CONFIG } from '../src/default-config.js'
import { withPinLock } from '../src/pin-lock.js'
import { createTransformers } from '../src/transformers.js'

const upstreams = {
  math: { example: 'math' },
  data: { example: 'data' },
  spare: { example: 'math', backup: true },
}
const failover = { math: { example: 'math', failover: ['spare'] } }

/** The checked config of `upstreams` with this `transformers` section. */
function configOf(transformers: unknown) {
  const checked = checkConfig({ upstreams: { ...upstreams, ...failover }, transformers })
  if (!checked.ok) throw new Error(checked.problems.join('\n'))
  return checked.config
}

/** The problems of a config with this `transformers` section, which must be refused. */
function problemsOf(transformers: unknown): readonly string[] {
  const checked = checkConfig({ upstreams: { ...upstreams, ...failover }, transformers })
  if (checked.ok) throw new Error('the config was accepted')
  return checked.problems
}

const HASH = `sha256:${'ab'.repeat(32)}`

/** Every option of every sub-section a file can write. */
const EVERY_OPTION = {
  metadata: {
    prefix: 'com.example/',
    gateway: 'edge-1',
    fields: ['requestId', 'clientId', 'gateway', 'duration'],
    to: 'results',
    headers: { upstream: false, answer: true },
    header: 'x-correlation-id',
    acceptRequestId: false,
  },
  redact: {
    keys: ['password', '*_token', 'ssn'],
    patterns: ['jwt', 'github', 'email', { name: 'ticket', regex: '\\bTCK-\\d{6}\\b', flags: 'i' }],
    replacement: '[hidden]',
    keysInText: false,
    maxDepth: 32,
    maxNodes: 10_000,
    toServer: false,
    toClient: true,
    skip: ['initialize', 'ping', 'tools/list', 'notifications/*'],
  },
  cache: {
    ttlMs: 30_000,
    staleWhileRevalidateMs: 60_000,
    refreshTimeoutMs: 5_000,
    maxEntryBytes: 65_536,
    tools: { include: ['math_*'], exclude: ['math_count'], trustHints: true },
    resources: { include: ['data://**'], exclude: ['data://tables/secret'] },
    prompts: { include: ['*'], exclude: [] },
    lists: false,
    vary: ['principal', 'session', { header: 'x-tenant' }, { claim: 'org' }],
    cacheControl: false,
    store: { memory: { maxEntries: 500, maxBytes: 1_048_576 } },
  },
  rewriteTools: {
    upstreams: {
      math: {
        allow: ['*'],
        deny: ['count'],
        rename: { add: 'sum' },
        descriptions: { add: 'Adds two numbers' },
        annotations: { add: { title: 'Sum', readOnlyHint: true, openWorldHint: false } },
        inject: { echo: { text: 'fixed' } },
        maxResultBytes: 1_000,
        onOversize: 'error',
        truncationMarker: '…',
      },
    },
  },
  validateArguments: { uncompilable: 'refuse', maxSchemas: 50 },
  pinTools: { lockFile: 'mcpx.lock.json', strict: false, maxPending: 10, maxPins: 100 },
}

describe('the transformers section', () => {
  it('accepts every option and passes each on as written', () => {
    const { transformers } = configOf(EVERY_OPTION)
    const { store, ...cacheOptions } = EVERY_OPTION.cache
    expect(transformers).toEqual({
      ...EVERY_OPTION,
      redact: {
        ...EVERY_OPTION.redact,
        patterns: ['jwt', 'github', 'email', { name: 'ticket', regex: /\bTCK-\d{6}\b/i }],
      },
      cache: { options: cacheOptions, store: { kind: 'memory', ...store.memory } },
      // The upstreams the file gives no rules are left alone, explicitly.
      rewriteTools: { upstreams: { ...EVERY_OPTION.rewriteTools.upstreams, data: {} } },
    })
  })

  it('accepts one set of rules for every upstream, and a Redis store', () => {
    const { transformers } = configOf({
      rewriteTools: { deny: ['debug_*'] },
      cache: {
        store: { redis: { url: 'redis://127.0.0.1:6379', prefix: 'gw:{c}:', timeoutMs: 20 } },
      },
    })
    expect(transformers).toEqual({
      rewriteTools: { deny: ['debug_*'] },
      cache: {
        options: {},
        store: {
          kind: 'redis',
          redis: { url: 'redis://127.0.0.1:6379' },
          prefix: 'gw:{c}:',
          timeoutMs: 20,
        },
      },
    })
  })

  it('adds nothing without the section, the default config included; an empty one adds nothing either', async () => {
    for (const raw of [DEFAULT_CONFIG, { upstreams: { math: upstreams.math } }]) {
      const checked = checkConfig(raw)
      if (!checked.ok) throw new Error(checked.problems.join('\n'))
      expect(checked.config.transformers).toBeUndefined()
      expect(await createTransformers(checked.config.transformers, () => {})).toEqual({
        above: [],
        below: [],
        leases: [],
      })
    }
    expect(configOf({}).transformers).toEqual({})
    expect(await createTransformers({}, () => {})).toEqual({
      above: [],
      below: [],
      leases: [],
    })
  })

  // The bundled package may suffix a name (`metadata2`): what a stack trace shows.
  it("stacks them in @mcpx/transformers' order: metadata above the router, the rest below it", async () => {
    const { pinTools: _, ...withoutLock } = EVERY_OPTION
    const { transformers } = configOf({ ...withoutLock, pinTools: {} })
    const layers = await createTransformers(transformers, () => {})
    expect(layers.above.map((layer) => layer.name.replace(/\d+$/, ''))).toEqual(['metadata'])
    expect(layers.below.map((layer) => layer.name.replace(/\d+$/, ''))).toEqual([
      'validateArguments',
      'rewriteTools',
      'pinTools',
      'cache',
      'redact',
    ])
    for (const layer of layers.below) await (layer as { close?: () => unknown }).close?.()
  })

  it('refuses to build pins whose lock file was not read', async () => {
    await expect(
      createTransformers({ pinTools: { lockFile: 'x.json' } }, () => {}),
    ).rejects.toThrow('transformers.pinTools.lockFile was not read')
  })

  it.each([
    ['transformers', 'yes', 'transformers: must be an object, got "yes"'],
    ['metadata', 1, 'transformers.metadata: must be an object, got 1'],
    ['cache', [], 'transformers.cache: must be an object, got an array'],
    ['rewriteTools', 'deny', 'transformers.rewriteTools: must be an object of rules, got "deny"'],
  ])('refuses a %s section that is not an object', (key, value, expected) => {
    const section = key === 'transformers' ? value : { [key]: value }
    expect(problemsOf(section)).toEqual([expected])
  })

  /** Bad sections: what is wrong, the section, the problems (each under its path). */
  const REFUSED: [string, Record<string, unknown>, string[]][] = [
    [
      'unknown keys, top level and nested, with the nearest known one',
      {
        metdata: {},
        metadata: { prefx: 'com.example/', headers: { upstrem: true } },
        redact: { key: ['x'] },
        cache: { tll: 1, tools: { inclde: ['x'] }, store: { memory: { maxEntrys: 1 } } },
        validateArguments: { maxSchema: 1 },
        pinTools: { lockfile: 'x' },
      },
      [
        'transformers.metdata: unknown key (did you mean metadata?)',
        'transformers.metadata.prefx: unknown key (did you mean prefix?)',
        'transformers.metadata.headers.upstrem: unknown key (did you mean upstream?)',
        'transformers.redact.key: unknown key (did you mean keys?)',
        'transformers.cache.tll: unknown key',
        'transformers.cache.tools.inclde: unknown key (did you mean include?)',
        'transformers.cache.store.memory.maxEntrys: unknown key (did you mean maxEntries?)',
        'transformers.validateArguments.maxSchema: unknown key (did you mean maxSchemas?)',
        'transformers.pinTools.lockfile: unknown key (did you mean lockFile?)',
      ],
    ],
    [
      "what a file cannot give: functions, registries, clocks and the gateway's own wiring",
      {
        cache: { policy: 'x', statsRegistry: {}, log: 1, now: 1, upstream: 'math', name: 'c' },
        validateArguments: { regExp: 're2' },
        rewriteTools: { deny: [], upstream: 'math' },
      },
      [
        'transformers.cache.policy: unknown key',
        'transformers.cache.statsRegistry: unknown key',
        'transformers.cache.log: unknown key',
        'transformers.cache.now: unknown key',
        'transformers.cache.upstream: unknown key',
        'transformers.cache.name: unknown key',
        'transformers.rewriteTools.upstream: unknown key',
        'transformers.validateArguments.regExp: unknown key',
      ],
    ],
    [
      'wrong types',
      {
        metadata: { acceptRequestId: 'no', headers: { answer: 1 }, to: 'all', gateway: '' },
        redact: { keysInText: 'yes', toServer: 0, replacement: 5, maxNodes: 1.5 },
        cache: { ttlMs: '30s', lists: 'no', maxEntryBytes: 0 },
        validateArguments: { uncompilable: 'drop' },
        pinTools: { lockFile: 7, maxPending: '10' },
      },
      [
        'transformers.metadata.gateway: must be a non-empty string, got ""',
        "transformers.metadata.to: must be 'requests', 'results' or 'both', got \"all\"",
        'transformers.metadata.acceptRequestId: must be a boolean, got "no"',
        'transformers.metadata.headers.answer: must be a boolean, got 1',
        'transformers.redact.replacement: must be a string, got 5',
        'transformers.redact.keysInText: must be a boolean, got "yes"',
        'transformers.redact.maxNodes: must be an integer ≥ 1, got 1.5',
        'transformers.redact.toServer: must be a boolean, got 0',
        'transformers.cache.lists: must be a boolean, got "no"',
        'transformers.cache.ttlMs: must be a whole number of ms from 1 to 2147483647 (the longest timer), got "30s"',
        'transformers.cache.maxEntryBytes: must be an integer ≥ 1, got 0',
        "transformers.validateArguments.uncompilable: must be 'forward' or 'refuse', got \"drop\"",
        'transformers.pinTools.lockFile: must be a non-empty string, got 7',
        'transformers.pinTools.maxPending: must be an integer ≥ 1, got "10"',
      ],
    ],
    [
      'bad globs and a bad regex',
      {
        redact: { keys: ['ok', 'a\\'], skip: [''], patterns: [{ name: 'x', regex: '(' }] },
        cache: { tools: { include: ['math_\\'] }, resources: { exclude: ['', 'ok'] } },
        rewriteTools: { allow: ['x\\'] },
      },
      [
        'transformers.redact.patterns[0]: is not a valid regular expression: Invalid regular expression: /(/: Unterminated group',
        'transformers.redact.keys[1]: must be a valid glob (a lone trailing \\ is not), got "a\\\\"',
        'transformers.redact.skip[0]: must be a method name or glob of 1 to 1024 characters, got ""',
        'transformers.cache.tools.include[0]: pattern ends in a lone \\: math_\\',
        'transformers.cache.resources.exclude[0]: must be a non-empty string, got ""',
        'transformers.rewriteTools.allow[0]: must be a glob of 1 to 1024 characters (not ending in a lone \\), got "x\\\\"',
      ],
    ],
    [
      'redact patterns: an unknown name, a regex matching nothing, a pattern without its parts',
      {
        redact: {
          patterns: ['emial', { name: 'any', regex: 'x*' }, { regex: 'y' }, { name: 'z' }, 3],
        },
      },
      [
        'transformers.redact.patterns[0]: names no built-in pattern: "emial" (did you mean email?) (they are bearer, jwt, privateKey, aws, github, slack, stripe, openai, google, email)',
        'transformers.redact.patterns[1].regex: must not match the empty string',
        'transformers.redact.patterns[2].name: is required',
        'transformers.redact.patterns[3].regex: is required',
        'transformers.redact.patterns[4]: must be a pattern name or { name, regex }, got 3',
      ],
    ],
    [
      'metadata values only the package knows: a reserved prefix, an unknown field',
      { metadata: { prefix: 'mcp.dev/', fields: ['requestId', 'user'], header: 'X-Id' } },
      [
        'transformers.metadata.prefix: must be a prefix MCP does not reserve (none with a label "modelcontextprotocol" or "mcp" followed by another), got "mcp.dev/"',
        'transformers.metadata.fields: must be a list of requestId, clientId, gateway, duration, got an array',
        'transformers.metadata.header: must be a lower-case header name, got "X-Id"',
      ],
    ],
    [
      'cache vary parts that are not one',
      {
        cache: {
          vary: ['principal', 'all', { header: 'x-a', claim: 'b' }, { header: 'bad header' }],
        },
      },
      [
        "transformers.cache.vary[1]: must be 'principal', 'session', { header } or { claim }, got \"all\"",
        'transformers.cache.vary[2]: needs exactly one of header and claim',
        'transformers.cache.vary[3].header: must be an HTTP header name',
      ],
    ],
    [
      'a redis store without a Redis URL',
      { cache: { store: { redis: { prefix: 'x' } } } },
      [
        'transformers.cache.store.redis.url: is required: give the store its own, or add a top-level redis section (which it then uses)',
      ],
    ],
    [
      "the store 'redis' said as a word",
      { cache: { store: 'redis' } },
      [
        "transformers.cache.store: 'redis' is the top-level redis section, and there is none: add one (redis: { url: … }), or give the store its own ({ redis: { url: … } })",
      ],
    ],
    [
      'bad Redis store options, the URL not shown',
      {
        cache: {
          store: {
            redis: { url: 'http://user:secret@x', timeoutMs: 0, maxTtlMs: 1.5, clockSkewMs: -1 },
          },
        },
      },
      [
        'transformers.cache.store.redis.url: must be a redis:// or rediss:// URL (not shown: it may hold a password)',
        'transformers.cache.store.redis.timeoutMs: must be an integer ≥ 1, got 0',
        'transformers.cache.store.redis.maxTtlMs: must be an integer ≥ 1, got 1.5',
        'transformers.cache.store.redis.clockSkewMs: must be an integer ≥ 0, got -1',
      ],
    ],
    [
      'two stores, or none',
      { cache: { store: { memory: {}, redis: { url: 'redis://x' } } } },
      ['transformers.cache.store: needs exactly one of memory and redis'],
    ],
    [
      'a rewriteTools rule for an unknown upstream, and one for a backup',
      { rewriteTools: { upstreams: { mth: { deny: ['x'] }, spare: { deny: ['x'] } } } },
      [
        'transformers.rewriteTools.upstreams.mth: names no upstream: "mth" (did you mean math?) (the upstreams are "math", "data")',
        'transformers.rewriteTools.upstreams.spare: names "spare", a backup: the messages it serves keep their primary\'s rules',
      ],
    ],
    [
      'rules beside upstreams, and rules that are no object',
      { rewriteTools: { upstreams: { math: [] }, deny: ['x'], bogus: 1 } },
      [
        'transformers.rewriteTools.deny: goes inside upstreams.<name> when upstreams is given',
        'transformers.rewriteTools.bogus: unknown key',
        'transformers.rewriteTools.upstreams.math: must be an object of rules, got an array',
      ],
    ],
    [
      'rules the package refuses: a rule about a hidden tool, a bad new name, a small limit',
      {
        rewriteTools: {
          upstreams: {
            math: {
              deny: ['count'],
              rename: { 'add.v2': 'a sum', echo: 'count' },
              descriptions: { count: 'x' },
              maxResultBytes: 10,
              onOversize: 'drop',
            },
          },
        },
      },
      [
        'transformers.rewriteTools.upstreams.math.rename["add.v2"]: must be a tool name: 1 to 128 of A-Z a-z 0-9 _ - ., got "a sum"',
        'transformers.rewriteTools.upstreams.math.rename.echo: must be a name allow and deny let through: "count" is hidden, got "count"',
        'transformers.rewriteTools.upstreams.math.descriptions.count: must be about a tool allow and deny let through, got "x"',
        'transformers.rewriteTools.upstreams.math.maxResultBytes: must be an integer ≥ 64, got 10',
        "transformers.rewriteTools.upstreams.math.onOversize: must be 'truncate' or 'error', got \"drop\"",
      ],
    ],
    [
      'annotation overrides that are not MCP hints',
      {
        rewriteTools: {
          upstreams: {
            data: { annotations: { query: { readOnlyHint: 'yes', readonlyHint: true, title: 1 } } },
          },
        },
      },
      [
        'transformers.rewriteTools.upstreams.data.annotations.query.readonlyHint: unknown key (did you mean readOnlyHint?)',
        'transformers.rewriteTools.upstreams.data.annotations.query.readOnlyHint: must be true or false, got "yes"',
        'transformers.rewriteTools.upstreams.data.annotations.query.title: must be a string, got 1',
      ],
    ],
    [
      'pins: strict without a lock file, bounds below 1',
      { pinTools: { strict: true, maxPins: 0, maxPending: 0 } },
      [
        'transformers.pinTools.strict: needs lockFile: without a lock every tool is trusted on first use',
        'transformers.pinTools.maxPins: must be an integer ≥ 1, got 0',
        'transformers.pinTools.maxPending: must be an integer ≥ 1, got 0',
      ],
    ],
    [
      'validateArguments bounds',
      { validateArguments: { maxSchemas: 0 } },
      ['transformers.validateArguments.maxSchemas: must be an integer ≥ 1, got 0'],
    ],
  ]

  it.each(REFUSED)('refuses %s, under its path', (_, transformers, expected) => {
    expect(problemsOf(transformers)).toEqual(expected)
  })
})

describe('a pin lock file', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-pins-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** The problems of reading the lock file `name` holding `content` (undefined: no such file). */
  async function lockProblems(name: string, content: string | undefined) {
    if (content !== undefined) await writeFile(join(dir, name), content)
    const config = configOf({ pinTools: { lockFile: name } })
    const read = await withPinLock(config, dir)
    if (read.ok) throw new Error('the lock file was accepted')
    return read.problems
  }

  it('is read relative to the config file, and its pins handed to pinTools', async () => {
    const lock = { version: 1, tools: { math: { add: HASH } } }
    await writeFile(join(dir, 'good.json'), JSON.stringify(lock))
    const read = await withPinLock(
      configOf({ pinTools: { lockFile: 'good.json', strict: true } }),
      dir,
    )
    if (!read.ok) throw new Error(read.problems.join('\n'))
    expect(read.config.transformers?.pinTools).toEqual({
      lockFile: 'good.json',
      strict: true,
      lock,
    })
    const layers = await createTransformers(read.config.transformers, () => {})
    expect(layers.below.map((layer) => layer.name.replace(/\d+$/, ''))).toEqual(['pinTools'])
  })

  it('leaves a config without one as it is', async () => {
    const config = configOf({ pinTools: {} })
    expect(await withPinLock(config, dir)).toEqual({ ok: true, config })
  })

  const BAD: [string, string, string | undefined, string][] = [
    ['missing', 'missing.json', undefined, 'no such file'],
    ['a directory', '.', undefined, 'not a file'],
    ['not JSON', 'text.json', 'not json', 'not valid JSON: Unexpected token'],
    ['not an object', 'array.json', '[]', 'must be an object'],
    ['of another version', 'v2.json', '{"version":2,"tools":{}}', 'version must be 1'],
    [
      'with a bad hash',
      'hash.json',
      '{"version":1,"tools":{"math":{"add":"md5:00"}}}',
      'tools.math.add must be sha256: and 64 hex digits',
    ],
    [
      'with an unknown key',
      'extra.json',
      '{"version":1,"tools":{},"pins":{}}',
      'pins: unknown key (the keys are version, tools)',
    ],
  ]

  it.each(BAD)(
    'is a problem of the config when it is %s, naming the file',
    async (_, name, content, why) => {
      const problems = await lockProblems(name, content)
      expect(problems).toHaveLength(1)
      expect(problems[0]).toContain(`transformers.pinTools.lockFile: ${join(dir, name)}: ${why}`)
    },
  )
})
