import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

/** The built CLI, run to its end (bounded: nothing it does here waits on anything). */
function run(...args: string[]) {
  const env = { ...process.env }
  delete env.MCPX_TEST_UNSET_VAR
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 15_000,
    env,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

const MATH = 'upstreams:\n  math:\n    example: math\n'
const SECRET = 'jwt-secret-0123456789abcdef-0123456789'
const PUBLIC_KEY =
  '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-validate-'))
  await mkdir(join(dir, 'directory.yaml'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function written(name: string, text: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

describe('mcpx-gateway validate', () => {
  // [what is broken, file name, its text, the problem's start, its line]
  it.each<[string, string, string, string, number]>([
    [
      'a missing field',
      'missing.yaml',
      `${MATH}routes:\n  - tools: 'math_*'\n`,
      'routes[0].to: is required',
      5,
    ],
    [
      'a wrong type',
      'type.yaml',
      `${MATH}    timeout: fast\n`,
      'upstreams.math.timeout: must be a number',
      4,
    ],
    [
      'an unknown key',
      'unknown.yaml',
      `serve:\n  prot: 3000\n${MATH}`,
      'serve.prot: unknown key (did you mean port?)',
      2,
    ],
    [
      'a bad glob',
      'glob.yaml',
      `${MATH}routes:\n  - tools: 'math\\'\n    to: math\n`,
      'routes[0].tools: ',
      5,
    ],
    [
      'a route to an unknown upstream',
      'route.yaml',
      `${MATH}routes:\n  - tools: 'math_*'\n    to: nope\n`,
      'routes[0].to: names no upstream: "nope"',
      6,
    ],
    [
      'an undefined env var',
      'env.yaml',
      `${MATH}    timeout: \${MCPX_TEST_UNSET_VAR}\n`,
      'upstreams.math.timeout: variable MCPX_TEST_UNSET_VAR is not set',
      4,
    ],
    [
      'invalid YAML',
      'invalid.yaml',
      `${MATH}\tnamespace: true\n`,
      'not valid YAML: Tabs are not allowed as indentation',
      4,
    ],
    [
      'duplicate upstream names (YAML)',
      'dup.yaml',
      `${MATH}  math:\n    example: data\n`,
      'upstreams.math: duplicate key (first on line 2)',
      4,
    ],
    [
      'duplicate upstream names (JSON)',
      'dup.json',
      '{\n  "upstreams": {\n    "math": { "example": "math" },\n    "math": { "example": "data" }\n  }\n}\n',
      'upstreams.math: duplicate key (first on line 3)',
      4,
    ],
    [
      'a bad port',
      'port.yaml',
      `serve:\n  port: 70000\n${MATH}`,
      'serve.port: must be an integer from 0 to 65535, got 70000',
      2,
    ],
    [
      'auth without audience',
      'audience.yaml',
      `auth:\n  jwt:\n    secret: ${SECRET}\n    algorithms: [HS256]\n${MATH}`,
      'auth.jwt.audience: is required',
      2,
    ],
    [
      'a Redis store without a Redis URL',
      'redis.yaml',
      `rateLimits:\n  store:\n    redis:\n      prefix: gw\n  limits:\n    - name: all\n      by: global\n      algorithm: { fixedWindow: { limit: 10, windowMs: 1000 } }\n${MATH}`,
      'rateLimits.store.redis.url: is required',
      3,
    ],
    [
      'store: redis without a top-level redis section',
      'store-redis.yaml',
      `rateLimits:\n  limits:\n    - name: all\n      by: global\n      algorithm: { fixedWindow: { limit: 10, windowMs: 1000 } }\n  store: redis\n${MATH}`,
      "rateLimits.store: 'redis' is the top-level redis section, and there is none",
      6,
    ],
    [
      'sessions without a top-level redis section',
      'sessions.yaml',
      `sessions:\n  registry:\n    secret: sixteen-characters-or-more\n${MATH}`,
      'sessions.registry: needs the top-level redis section',
      2,
    ],
    [
      'a replica secret that is too short (not shown)',
      'short-secret.yaml',
      `redis:\n  url: redis://127.0.0.1:6379\nsessions:\n  registry:\n    secret: tiny-secret\n${MATH}`,
      'sessions.registry.secret: must be at least 16 characters',
      5,
    ],
    [
      'sessions with the sse front end',
      'sessions-sse.yaml',
      `serve:\n  transport: sse\nredis:\n  url: redis://127.0.0.1:6379\nsessions:\n  registry:\n    secret: sixteen-characters-or-more\n${MATH}`,
      'sessions: the session registry is for Streamable HTTP (serve.transport http), not sse',
      5,
    ],
  ])('refuses %s with one line naming the file and line', async (_, name, text, problem, line) => {
    const file = await written(name, text)
    const { status, stdout, stderr } = run('validate', file)
    expect({ status, stdout }).toEqual({ status: 2, stdout: '' })
    const lines = stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]!.startsWith(problem), lines[0]).toBe(true)
    expect(lines[0]!.endsWith(` (${file}:${line})`), lines[0]).toBe(true)
    expect(lines[0]).not.toContain('tiny-secret')
  })

  it.each([
    ['a directory', 'directory.yaml', 'not a file'],
    ['a file that does not exist', 'absent.yaml', 'no such file'],
  ])('refuses %s with one line naming the file', (_, name, why) => {
    const file = join(dir, name)
    const { status, stderr } = run('validate', file)
    expect(status).toBe(2)
    expect(stderr).toBe(`${file}: ${why}\n`)
  })

  it('never prints a stack trace, whatever the file', async () => {
    const file = await written('garbage.json', '{"upstreams": [1, 2,')
    const { status, stderr } = run('validate', file)
    expect(status).toBe(2)
    expect(stderr).not.toMatch(/^\s+at /m)
    expect(stderr).toMatch(/^not valid JSON: .*garbage\.json:1\)\n$/)
  })

  it('says ok and exits 0 for a valid config, starting nothing', async () => {
    const file = await written('valid.yaml', `serve:\n  port: 1\n${MATH}`)
    // Port 1 is not bound: validate would fail with EACCES or EADDRINUSE if it listened.
    expect(run('validate', file)).toEqual({ status: 0, stdout: `${file}: ok\n`, stderr: '' })
  })

  it('refuses a non-loopback host without auth, as a start would', async () => {
    const file = await written('exposed.yaml', `serve:\n  host: 0.0.0.0\n${MATH}`)
    const { status, stderr } = run('validate', file)
    expect(status).toBe(2)
    expect(stderr).toMatch(
      /^serve\.host: 0\.0\.0\.0 is not a loopback address.*exposed\.yaml:2\)\n$/,
    )
  })
})

describe('mcpx-gateway print-config', () => {
  const secrets = {
    jwt: SECRET,
    bearer: 'bearer-token-secret-value-1',
    apiKey: 'api-key-secret-value-2',
    introspection: 'introspection-client-secret-3',
    cursorKey: 'cursor-key-secret-value-4',
    header: 'Bearer header-secret-value-5',
    credentials: 'credentials-client-secret-6',
    env: 'env-secret-value-7',
    redis: 'redis-password-8',
  }
  const config = {
    auth: {
      jwt: [
        { secret: secrets.jwt, algorithms: ['HS256'], audience: 'https://gw.example' },
        // A public key, not a secret: printed as it is, so that the output still validates.
        { key: PUBLIC_KEY, algorithms: ['EdDSA'], audience: 'https://gw.example' },
      ],
      bearer: { tokens: [{ token: secrets.bearer, subject: 'ci' }] },
      apiKey: { keys: [{ key: secrets.apiKey, subject: 'bot' }] },
      introspection: {
        endpoint: 'https://auth.example/introspect',
        clientId: 'gw',
        clientSecret: secrets.introspection,
        audience: 'https://gw.example',
      },
    },
    rateLimits: {
      store: { redis: { url: `redis://default:${secrets.redis}@127.0.0.1:6379/0` } },
      limits: [
        { name: 'all', by: 'global', algorithm: { fixedWindow: { limit: 10, windowMs: 1000 } } },
      ],
    },
    router: { cursorKey: secrets.cursorKey },
    upstreams: {
      local: { command: 'node', args: ['server.js'], env: { TOKEN: secrets.env } },
      remote: { url: 'https://remote.example/mcp', headers: { Authorization: secrets.header } },
      oauth: {
        url: 'https://oauth.example/mcp',
        credentials: {
          clientCredentials: {
            tokenUrl: 'https://auth.example/token',
            clientId: 'gw',
            clientSecret: secrets.credentials,
          },
        },
      },
    },
  }

  it.each(['yaml', 'json'])(
    'masks every secret of a %s config, and its output validates',
    async (kind) => {
      const file = await written(`secrets.${kind}`, JSON.stringify(config, null, 2))
      expect(run('validate', file).status).toBe(0)
      const { status, stdout, stderr } = run('print-config', file)
      expect({ status, stderr }).toEqual({ status: 0, stderr: '' })
      for (const [kind, value] of Object.entries(secrets)) {
        expect(stdout, kind).not.toContain(value.replace('Bearer ', ''))
      }
      expect(stdout).toContain('https://auth.example/introspect')
      expect(stdout).toContain('MCowBQYDK2VwAyEA11qYAYKxCrfVS')
      const again = await written(`printed.${kind}`, stdout)
      expect(run('validate', again)).toMatchObject({ status: 0, stderr: '' })
    },
  )

  it('prints the embedded default with no file', () => {
    const { status, stdout } = run('print-config')
    expect(status).toBe(0)
    expect(stdout).toMatch(/^upstreams:\n {2}math:\n {4}example: math\n/)
  })

  it('prints problems, not a config, for a broken file', async () => {
    const file = await written('broken.yaml', `serve:\n  port: -1\n${MATH}`)
    const { status, stdout, stderr } = run('print-config', file)
    expect({ status, stdout }).toEqual({ status: 2, stdout: '' })
    expect(stderr).toMatch(/^serve\.port: .*broken\.yaml:2\)\n$/)
  })
})
