import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'
import { DEFAULT_CONFIG } from '../src/default-config.js'
import { loadConfigFile } from '../src/load-config.js'

const example = (name: string) => fileURLToPath(new URL(`../examples/${name}`, import.meta.url))
const math = { example: 'math' }

/** The problems of a config, which must be refused. */
function problemsOf(config: unknown): readonly string[] {
  const checked = checkConfig(config)
  if (checked.ok) throw new Error('the config was accepted')
  return checked.problems
}

describe('checkConfig', () => {
  it('accepts the default config: the three examples, namespaced, behind the router, metrics on', () => {
    const checked = checkConfig(DEFAULT_CONFIG)
    expect(checked.ok).toBe(true)
    if (!checked.ok) return
    expect(checked.config.router.upstreams).toEqual({
      math: { replicas: ['math'], namespace: true },
      data: { replicas: ['data'], namespace: true },
      admin: { replicas: ['admin'], namespace: true },
    })
    expect(checked.config.metrics).toMatchObject({ enabled: true, path: '/metrics' })
    expect(checked.config.auth).toBeUndefined()
    expect(checked.config.serve).toEqual({
      transport: 'http',
      host: '127.0.0.1',
      port: 3000,
      path: '/mcp',
      allowedHosts: [],
      shutdownTimeout: 10_000,
    })
  })

  it.each(['gateway.json', 'gateway.yaml'])(
    'accepts examples/%s, and both say the same',
    async (name) => {
      const checked = checkConfig(await loadConfigFile(example(name)))
      expect(checked).toEqual(checkConfig(await loadConfigFile(example('gateway.json'))))
      expect(checked.ok).toBe(true)
    },
  )

  it('turns replicas into upstreams <name>-1..N sharing one router entry and its balance', () => {
    const checked = checkConfig({
      upstreams: {
        math: {
          ...math,
          replicas: 3,
          balance: { type: 'sticky-split', key: { header: 'x-user' } },
        },
      },
      router: {
        separator: '.',
        maxLength: 40,
        pageSize: 5,
        collisions: 'error',
        memo: 0,
        maxTasks: 50,
      },
    })
    if (!checked.ok) throw new Error(checked.problems.join('\n'))
    const { upstreams, router } = checked.config
    expect(upstreams.math!.replicas).toEqual(['math-1', 'math-2', 'math-3'])
    expect(router).toEqual({
      upstreams: {
        math: {
          replicas: ['math-1', 'math-2', 'math-3'],
          balance: { type: 'sticky-split', key: { header: 'x-user' } },
        },
      },
      routes: [],
      default: 'math',
      collisions: 'error',
      pageSize: 5,
      memo: 0,
      maxTasks: 50,
      namespace: { separator: '.', maxLength: 40 },
    })
  })

  it('makes a sole upstream the default, and no upstream the default of several', () => {
    const one = checkConfig({ upstreams: { math } })
    const two = checkConfig({ upstreams: { math, data: { example: 'data' } } })
    expect(one.ok && one.config.router.default).toBe('math')
    expect(two.ok && two.config.router.default).toBeUndefined()
  })

  it('reads command and url upstreams with their defaults', () => {
    const checked = checkConfig({
      upstreams: {
        files: { command: 'mcp-files', args: ['/srv'], env: { LEVEL: 'warn' } },
        search: { url: 'wss://search.example/mcp', transport: 'websocket', mode: 'shared' },
      },
    })
    if (!checked.ok) throw new Error(checked.problems.join('\n'))
    expect(checked.config.upstreams).toMatchObject({
      files: {
        source: { kind: 'command', command: 'mcp-files', args: ['/srv'], env: { LEVEL: 'warn' } },
        mode: 'per-session',
        timeout: 60_000,
      },
      search: {
        source: { kind: 'url', transport: 'websocket', headers: {} },
        mode: 'shared',
      },
    })
  })

  it.each<[string, unknown, string]>([
    ['the top level', [], '(top level): must be an object, got an array'],
    ['a typo at the top', { upstream: {} }, 'upstream: unknown key (did you mean upstreams?)'],
    ['no upstreams', {}, 'upstreams: is required'],
    ['empty upstreams', { upstreams: {} }, 'upstreams: needs at least one upstream'],
    [
      'a bad upstream name',
      { upstreams: { 'my server': math } },
      'upstreams["my server"]: the name must be 1 to 32 characters',
    ],
    [
      'a timeout of the wrong type',
      { upstreams: { math: { ...math, timeout: '60s' } } },
      'upstreams.math.timeout: must be a number ≥ 0, got "60s"',
    ],
    [
      'a negative timeout',
      { upstreams: { math: { ...math, timeout: -1 } } },
      'upstreams.math.timeout: must be a number ≥ 0, got -1',
    ],
    [
      'an unknown mode',
      { upstreams: { math: { ...math, mode: 'pooled' } } },
      "upstreams.math.mode: must be one of 'shared', 'per-session', got \"pooled\"",
    ],
    [
      'an unknown upstream key',
      { upstreams: { math: { ...math, tiemout: 5 } } },
      'upstreams.math.tiemout: unknown key (did you mean timeout?)',
    ],
    [
      'two kinds at once',
      { upstreams: { x: { command: 'a', url: 'http://b/' } } },
      'upstreams.x: needs exactly one of command, url or example (got command and url)',
    ],
    [
      'no kind',
      { upstreams: { x: { timeout: 5 } } },
      'upstreams.x: needs exactly one of command, url or example',
    ],
    [
      'a key of another kind',
      { upstreams: { x: { command: 'a', headers: {} } } },
      'upstreams.x.headers: only a url upstream takes headers',
    ],
    [
      'an empty command',
      { upstreams: { x: { command: '' } } },
      'upstreams.x.command: must be a non-empty string, got ""',
    ],
    [
      'args that are not strings',
      { upstreams: { x: { command: 'a', args: ['-v', 3] } } },
      'upstreams.x.args[1]: must be a non-empty string, got 3',
    ],
    [
      'an env value that is a number',
      { upstreams: { x: { command: 'a', env: { PORT: 8080 } } } },
      'upstreams.x.env.PORT: must be a string, got 8080',
    ],
    [
      'a bad variable name',
      { upstreams: { x: { command: 'a', inheritEnv: ['1PATH'] } } },
      'upstreams.x.inheritEnv[0]: must be a variable name',
    ],
    [
      'a URL that is not one',
      { upstreams: { x: { url: 'not a url' } } },
      'upstreams.x.url: is not a URL',
    ],
    [
      'a URL of the wrong scheme',
      { upstreams: { x: { url: 'http://a/mcp', transport: 'websocket' } } },
      "upstreams.x.url: must be a URL with scheme ws: or wss: for transport 'websocket'",
    ],
    [
      'a bad header name',
      { upstreams: { x: { url: 'http://a/mcp', headers: { 'Bad Header': 'v' } } } },
      'upstreams.x.headers["Bad Header"]: must be an HTTP header name',
    ],
    [
      'an unknown example',
      { upstreams: { x: { example: 'auth' } } },
      "upstreams.x.example: must be one of 'math', 'data', 'admin', got \"auth\"",
    ],
    [
      'zero replicas',
      { upstreams: { math: { ...math, replicas: 0 } } },
      'upstreams.math.replicas: must be an integer from 1 to 64, got 0',
    ],
    [
      'fractional replicas',
      { upstreams: { math: { ...math, replicas: 1.5 } } },
      'upstreams.math.replicas: must be an integer from 1 to 64, got 1.5',
    ],
    [
      'a replica named like another upstream',
      { upstreams: { math: { ...math, replicas: 2 }, 'math-2': math } },
      'upstreams.math.replicas: replica name "math-2" is taken by upstream "math-2"',
    ],
    [
      'an unknown balance strategy',
      { upstreams: { math: { ...math, balance: 'fastest' } } },
      "upstreams.math.balance: must be one of 'round-robin', 'weighted-round-robin', 'least-inflight', 'random', 'power-of-two', got \"fastest\"",
    ],
    [
      'a keyed strategy without its key',
      { upstreams: { math: { ...math, balance: { type: 'consistent-hash' } } } },
      'upstreams.math.balance.key: is required',
    ],
    [
      'a custom strategy (code, not JSON)',
      { upstreams: { math: { ...math, balance: { type: 'custom', key: 'session' } } } },
      "upstreams.math.balance.type: must be one of 'consistent-hash', 'sticky-split', got \"custom\"",
    ],
    [
      'an unknown hash key',
      { upstreams: { math: { ...math, balance: { type: 'sticky-split', key: 'cookie' } } } },
      "upstreams.math.balance.key: must be one of 'session', 'principal', 'client-address', got \"cookie\"",
    ],
    [
      'a namespace with a space',
      { upstreams: { math: { ...math, namespace: 'my math' } } },
      'upstreams.math.namespace: must be 1 to 32 characters',
    ],
    [
      'a namespace two upstreams share',
      { upstreams: { math: { ...math, namespace: true }, calc: { ...math, namespace: 'math' } } },
      'upstreams.calc.namespace: "math" is already the namespace of upstream "math"',
    ],
    [
      'a priority that is not a number',
      { upstreams: { math: { ...math, priority: 'high' } } },
      'upstreams.math.priority: must be a number, got "high"',
    ],
    [
      'routes that are not an array',
      { upstreams: { math }, routes: { to: 'math' } },
      'routes: must be an array of routes, got an object',
    ],
    [
      'a route to an unknown upstream',
      { upstreams: { math }, routes: [{ tools: '*', to: 'maths' }] },
      'routes[0].to: names no upstream: "maths" (the upstreams are "math")',
    ],
    [
      'a route without a target',
      { upstreams: { math }, routes: [{ tools: '*' }] },
      'routes[0].to: is required',
    ],
    [
      'a route that matches nothing',
      { upstreams: { math }, routes: [{ to: 'math' }] },
      'routes[0]: needs tools, resources, prompts or methods',
    ],
    [
      'an empty pattern list',
      { upstreams: { math }, routes: [{ tools: [], to: 'math' }] },
      'routes[0].tools: must be a pattern or a non-empty array of them',
    ],
    [
      'a glob the router refuses',
      { upstreams: { math }, routes: [{ tools: ['a*', 'b\\'], to: 'math' }] },
      'routes[0].tools[1]: glob "b\\\\": ends in a lone backslash',
    ],
    [
      'an unknown route key',
      { upstreams: { math }, routes: [{ tool: 'add', to: 'math' }] },
      'routes[0].tool: unknown key (did you mean tools?)',
    ],
    [
      'a default naming no upstream',
      { upstreams: { math }, router: { default: 'data' } },
      'router.default: names no upstream: "data" (the upstreams are "math")',
    ],
    [
      'an unknown collision policy',
      { upstreams: { math }, router: { collisions: 'last' } },
      "router.collisions: must be one of 'first', 'error', got \"last\"",
    ],
    [
      'a short cursor key',
      { upstreams: { math }, router: { cursorKey: 'secret' } },
      'router.cursorKey: must be at least 16 characters',
    ],
    [
      'a long separator',
      { upstreams: { math }, router: { separator: '-----' } },
      'router.separator: must be 1 to 4 characters',
    ],
    [
      'a negative retryInterval',
      { upstreams: { math }, router: { retryInterval: -1 } },
      'router.retryInterval: must be an integer',
    ],
    [
      'a maxLength above the spec',
      { upstreams: { math }, router: { maxLength: 200 } },
      'router.maxLength: must be an integer from 1 to 128, got 200',
    ],
    [
      'a port out of range',
      { serve: { port: 70000 }, upstreams: { math } },
      'serve.port: must be an integer from 0 to 65535, got 70000',
    ],
    [
      'a relative path',
      { serve: { path: 'mcp' }, upstreams: { math } },
      'serve.path: must start with /',
    ],
    [
      'an unknown front end',
      { serve: { transport: 'grpc' }, upstreams: { math } },
      "serve.transport: must be one of 'http', 'sse', 'websocket', 'stdio', got \"grpc\"",
    ],
  ])('refuses %s, naming its path', (_what, config, message) => {
    expect(problemsOf(config)).toContainEqual(expect.stringContaining(message))
  })

  it('reports every problem of a config at once', () => {
    const problems = problemsOf({
      serve: { port: -1 },
      upstreams: { math: { ...math, timeout: 'soon' }, data: { example: 'data', extra: 1 } },
      routes: [{ tools: 'x', to: 'nowhere' }],
    })
    expect(problems).toEqual([
      'serve.port: must be an integer from 0 to 65535, got -1',
      'upstreams.math.timeout: must be a number ≥ 0, got "soon"',
      'upstreams.data.extra: unknown key',
      'routes[0].to: names no upstream: "nowhere" (the upstreams are "math", "data")',
    ])
  })

  it('does not blame a route for going to an upstream that has a problem of its own', () => {
    const problems = problemsOf({
      upstreams: { math: { ...math, mode: 'x' } },
      routes: [{ tools: '*', to: 'math' }],
    })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^upstreams\.math\.mode/)
  })

  it('keeps a "__proto__" key a key, without touching any prototype', () => {
    const checked = checkConfig(
      JSON.parse(
        '{"upstreams":{"__proto__":{"command":"a","env":{"__proto__":"polluted","A":"1"}}}}',
      ),
    )
    if (!checked.ok) throw new Error(checked.problems.join('\n'))
    const upstream = Object.values(checked.config.upstreams)[0]!
    expect(Object.keys(checked.config.router.upstreams)).toEqual(['__proto__'])
    expect(upstream.source.kind === 'command' && Object.keys(upstream.source.env)).toEqual([
      '__proto__',
      'A',
    ])
    expect(({} as Record<string, unknown>).command).toBeUndefined()
    expect(Object.getPrototypeOf(checked.config.upstreams)).toBe(Object.prototype)
  })
})

describe('loadConfigFile', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-config-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  const file = async (name: string, text: string) => {
    const path = join(dir, name)
    await writeFile(path, text)
    return path
  }

  it('parses YAML and JSON to the same value', async () => {
    const yaml = await file('a.yml', 'upstreams:\n  math:\n    example: math\n    timeout: 5\n')
    const json = await file('a.json', '{"upstreams":{"math":{"example":"math","timeout":5}}}')
    expect(await loadConfigFile(yaml)).toEqual(await loadConfigFile(json))
  })

  it.each<[string, string, RegExp]>([
    ['bad.json', '{"upstreams": {', /bad\.json: 1 problem\n {2}not valid JSON: .*bad\.json:1\)/],
    [
      'bad.yaml',
      'upstreams:\n  math: [1,\n',
      /bad\.yaml: 1 problem\n {2}not valid YAML: .*bad\.yaml:3\)/,
    ],
    [
      'dup.yaml',
      'a: 1\na: 2\n',
      /dup\.yaml: 1 problem\n {2}a: duplicate key \(first on line 1\) \(.*dup\.yaml:2\)/,
    ],
    ['gateway.toml', 'a = 1', /gateway\.toml: a config file must end in \.json, \.yaml or \.yml/],
  ])('refuses %s with a message naming the file', async (name, text, message) => {
    await expect(loadConfigFile(await file(name, text))).rejects.toThrow(message)
  })

  it('names a file that does not exist', async () => {
    await expect(loadConfigFile(join(dir, 'missing.json'))).rejects.toThrow(
      /missing\.json: no such file/,
    )
  })
})
