import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually, faultyBinPath, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { isJson, levelOf, parseLine } from '../src/log.js'

// Issue 15 item 5: the gateway's log is pino JSON on a pipe unless told otherwise. The other
// tests run with MCPX_LOG_FORMAT=text (vitest.config.ts); these unset it, or set their own.

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const running: StartedProcess[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-logging-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

/** The environment without the tests' MCPX_LOG_FORMAT, plus `extra`. */
function envWith(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra }
  if (extra.MCPX_LOG_FORMAT === undefined) delete env.MCPX_LOG_FORMAT
  if (extra.MCPX_LOG_LEVEL === undefined) delete env.MCPX_LOG_LEVEL
  return env
}

async function written(name: string, text: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

/**
 * The built CLI on a stdio front end whose input is empty: it starts, checks
 * its upstreams, serves nothing and ends. Bounded: nothing waits on a client.
 */
function runStdio(args: string[], extra?: Record<string, string>) {
  const result = spawnSync(process.execPath, [cli, '--serve', 'stdio', ...args], {
    encoding: 'utf8',
    input: '',
    timeout: 20_000,
    env: envWith(extra),
  })
  return { status: result.status, stderr: result.stderr }
}

const linesOf = (text: string) => text.split('\n').filter((line) => line !== '')
const entriesOf = (text: string) =>
  linesOf(text).map((line) => JSON.parse(line) as Record<string, unknown>)

const MATH = 'upstreams:\n  math:\n    example: math\n'
/** The start-up lines of MATH's one upstream (info). */
const MATH_STARTUP = [
  'mcpx-gateway: math: starting (stdio, the bundled math example)',
  'mcpx-gateway: math: ready, 3 tools, 1 prompt, 1 resource',
]
/** On stdio, two lines: the metrics path is not served (info), auth is off (warn). */
const TWO_LEVELS = `metrics: {}\n${MATH}`

describe('mcpx-gateway logging', () => {
  it('writes pino JSON entries on a pipe by default, each with level, time, msg and component', async () => {
    const file = await written('default.yaml', TWO_LEVELS)
    const { status, stderr } = runStdio(['--config', file])
    expect(status).toBe(0)
    const entries = entriesOf(stderr)
    expect(entries.length).toBeGreaterThanOrEqual(2)
    for (const entry of entries) {
      expect(entry).toMatchObject({ name: 'mcpx-gateway' })
      expect(typeof entry.level).toBe('number')
      expect(typeof entry.time).toBe('number')
      expect(typeof entry.msg).toBe('string')
      expect(typeof entry.component).toBe('string')
    }
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 40,
        component: 'gateway',
        msg: 'auth is off (no auth section): every client is anonymous',
      }),
    )
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 30,
        component: 'gateway',
        msg: '/metrics is not served: stdio has no HTTP listener',
      }),
    )
  })

  it("names an upstream's line by its component and upstream, at warn when it could not start", async () => {
    const file = await written(
      'broken.yaml',
      `${MATH}  broken:\n    command: ${JSON.stringify(join(dir, 'no-such-binary'))}\n`,
    )
    const entries = entriesOf(runStdio(['--config', file]).stderr)
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 40,
        component: 'upstream',
        upstream: 'broken',
        msg: expect.stringMatching(/^could not start /),
      }),
    )
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 40,
        component: 'router',
        msg: expect.stringMatching(/^upstream "broken" is missing/),
      }),
    )
  })

  // util-linux's script(1) gives the gateway a terminal for its stdout and stderr.
  const script = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0
  it.skipIf(!script)('writes text on a terminal by default', async () => {
    const file = await written('tty.yaml', MATH)
    const command = [process.execPath, cli, '--serve', 'stdio', '--config', file]
      .map((word) => `'${word.replaceAll("'", "'\\''")}'`)
      .join(' ')
    const result = spawnSync('script', ['-qec', `${command} </dev/null`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: envWith(),
    })
    expect(result.status).toBe(0)
    expect(result.stdout.replaceAll('\r\n', '\n')).toBe(
      `${[...MATH_STARTUP, 'mcpx-gateway: auth is off (no auth section): every client is anonymous'].join('\n')}\n`,
    )
  })

  it('writes the text lines of old with logging.format: text', async () => {
    const file = await written('text.yaml', `logging:\n  format: text\n${TWO_LEVELS}`)
    const { status, stderr } = runStdio(['--config', file])
    expect(status).toBe(0)
    expect(linesOf(stderr)).toEqual([
      ...MATH_STARTUP,
      'mcpx-gateway: /metrics is not served: stdio has no HTTP listener',
      'mcpx-gateway: auth is off (no auth section): every client is anonymous',
    ])
  })

  it("takes MCPX_LOG_FORMAT over the file's logging.format", async () => {
    const file = await written('json.yaml', `logging:\n  format: json\n${MATH}`)
    const { stderr } = runStdio(['--config', file], { MCPX_LOG_FORMAT: 'text' })
    expect(linesOf(stderr)).toEqual([
      ...MATH_STARTUP,
      'mcpx-gateway: auth is off (no auth section): every client is anonymous',
    ])
  })

  it('drops info entries with MCPX_LOG_LEVEL=warn, over the file’s level', async () => {
    const file = await written('levels.yaml', `logging:\n  level: debug\n${TWO_LEVELS}`)
    const entries = entriesOf(runStdio(['--config', file], { MCPX_LOG_LEVEL: 'warn' }).stderr)
    expect(entries.map((entry) => entry.msg)).toEqual([
      'auth is off (no auth section): every client is anonymous',
    ])
  })

  it('drops info lines in text too with logging.level: warn', async () => {
    const file = await written('text-warn.yaml', `logging:\n  level: warn\n${TWO_LEVELS}`)
    const { stderr } = runStdio(['--config', file], { MCPX_LOG_FORMAT: 'text' })
    expect(linesOf(stderr)).toEqual([
      'mcpx-gateway: auth is off (no auth section): every client is anonymous',
    ])
  })

  it('says a bad MCPX_LOG_LEVEL is ignored, and keeps the file’s level', async () => {
    const file = await written('bad-env.yaml', TWO_LEVELS)
    const entries = entriesOf(runStdio(['--config', file], { MCPX_LOG_LEVEL: 'loud' }).stderr)
    expect(entries[0]).toMatchObject({
      level: 40,
      component: 'gateway',
      msg: expect.stringMatching(/^MCPX_LOG_LEVEL is invalid \("loud"; one of .*\): ignored, info/),
    })
    expect(entries.map((entry) => entry.level)).toContain(30)
  })

  it('refuses a bad logging section in validate, each problem with its path and line', async () => {
    const file = await written('bad.yaml', `logging:\n  format: xml\n  levle: warn\n${MATH}`)
    const result = spawnSync(process.execPath, [cli, 'validate', file], {
      encoding: 'utf8',
      timeout: 15_000,
      env: envWith(),
    })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain(
      `logging.format: must be one of 'auto', 'json', 'text', got "xml" (${file}:2)`,
    )
    expect(result.stderr).toContain(`logging.levle: unknown key (did you mean level?) (${file}:3)`)
  })

  it('keeps a usage error plain text on a pipe', async () => {
    const file = await written('refused.yaml', `logging:\n  level: loud\n${MATH}`)
    const { status, stderr } = runStdio(['--config', file])
    expect(status).toBe(2)
    expect(stderr).toMatch(/^mcpx-gateway: .*: 1 problem\n {2}logging\.level: must be one of /)
  })

  it('writes the shutdown entry before the process exits', async () => {
    const file = await written('http.yaml', MATH)
    const gateway = startProcess(process.execPath, [cli, '--port', '0', '--config', file], {
      name: 'mcpx-gateway',
      env: envWith(),
      tailLines: 200,
    })
    running.push(gateway)
    // At once: the signal handlers are set before LISTENING is written.
    await gateway.ready
    // 'close', not 'exit': the pipes are read to their end.
    const closed = once(gateway.child, 'close')
    gateway.child.kill('SIGTERM')
    await closed
    const entries = entriesOf(
      linesOf(gateway.tail())
        .filter((line) => line.startsWith('{'))
        .join('\n'),
    )
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 30,
        component: 'gateway',
        msg: expect.stringMatching(/^SIGTERM, shutting down/),
      }),
    )
  })

  it("logs an access entry's fields as JSON properties, a success at info", async () => {
    const faulty = { command: process.execPath, args: [faultyBinPath('stdio')], mode: 'shared' }
    const file = await written(
      'access.json',
      JSON.stringify({ metrics: { accessLog: {} }, upstreams: { faulty } }),
    )
    const gateway = startProcess(process.execPath, [cli, '--port', '0', '--config', file], {
      name: 'mcpx-gateway',
      env: envWith(),
      tailLines: 200,
    })
    running.push(gateway)
    const client = new Client({ name: 't', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(new URL(await gateway.ready)))
    try {
      await client.callTool({ name: 'echo', arguments: { text: 'hi' } })
    } finally {
      await client.close()
    }
    const accessOf = () =>
      linesOf(gateway.tail())
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.component === 'access' && entry.method === 'tools/call')
    await eventually(() => accessOf().length > 0, 10_000)
    const [entry, ...more] = accessOf()
    expect(more).toEqual([])
    expect(entry).toMatchObject({
      level: 30,
      name: 'mcpx-gateway',
      msg: 'tools/call ok',
      tool: 'echo',
      upstream: 'faulty',
      outcome: 'ok',
      direction: 'toServer',
      transport: 'streamable-http',
    })
    expect(typeof entry!.durationMs).toBe('number')
    expect(typeof entry!.time).toBe('number')
    expect(Number.isNaN(Date.parse(entry!.receivedAt as string))).toBe(false)
  })
})

describe("the log's reading of a line", () => {
  it.each<[string, Record<string, string>, string]>([
    ['[mcpx router] upstream "a" is back in tools/list', { component: 'router' }, 'info'],
    [
      '[mcpx upstream math-2] open failed: spawn ENOENT',
      { component: 'upstream', upstream: 'math-2', msg: 'open failed: spawn ENOENT' },
      'warn',
    ],
    ['[mcpx pool db] a connection evicted: closed', { component: 'pool', upstream: 'db' }, 'info'],
    ['[mcpx metrics] stats source x "y" failed to read', { component: 'metrics' }, 'warn'],
    ['[mcpx] Error: boom\n    at x (y.js:1:1)', { component: 'router' }, 'error'],
    ['mcpx-gateway: reloaded a.yaml (SIGHUP): +web', { component: 'gateway' }, 'info'],
    ['cache redis: connected', { component: 'cache', msg: 'redis: connected' }, 'info'],
    [
      'cache "r": store failed (x); answering',
      { component: 'cache', msg: 'cache "r": store failed (x); answering' },
      'warn',
    ],
    ['something unprefixed', { component: 'gateway', msg: 'something unprefixed' }, 'info'],
  ])('reads %j', (line, origin, level) => {
    expect(parseLine(line)).toMatchObject(origin)
    expect(levelOf(line)).toBe(level)
  })
})

describe('the format', () => {
  it.each<[string, boolean, boolean]>([
    ['auto', false, true],
    ['auto', true, false],
    ['json', true, true],
    ['text', false, false],
  ])('%s with a terminal %s is JSON: %s', (format, tty, json) => {
    expect(isJson({ format: format as 'auto', level: 'info' }, tty)).toBe(json)
  })
})
