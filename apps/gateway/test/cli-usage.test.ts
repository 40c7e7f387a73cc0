// Issue 15 item 6: bad command-line input gets a clear message, never a stack trace.
// One format for every row: exactly one non-empty line on stderr, `mcpx-gateway: <why>`; a usage
// error (exit code 2) adds the line `Run mcpx-gateway --help for usage.`, a failure to run (exit
// code 1: the port taken, the address not on this machine, the flag form's one upstream failing
// to start) adds nothing.
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const HINT = 'Run mcpx-gateway --help for usage.'
const running: StartedProcess[] = []
let dir: string
let taken: Server
let takenPort: number
let anonymous: string
let closedPort: number

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-usage-'))
  // `auth: none` lets a non-loopback --host through the exposure check, so that listen() fails.
  anonymous = join(dir, 'anonymous.json')
  await writeFile(
    anonymous,
    JSON.stringify({ auth: 'none', upstreams: { math: { example: 'math' } } }),
  )
  taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  takenPort = (taken.address() as { port: number }).port
  // Free a moment ago and nothing listens on it: a connection is refused.
  closedPort = await freePort()
})
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve))
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

type Row = [args: () => string[], code: 1 | 2, line: RegExp]

const rows: Record<string, Row> = {
  'an ftp:// URL': [
    () => ['--url', 'ftp://127.0.0.1/mcp'],
    2,
    /^--url must be http:\/\/ or https:\/\/ for --upstream-transport streamable-http, got ftp:\/\/…$/,
  ],
  'a ws:// URL without the WebSocket transport': [
    () => ['--url', 'ws://127.0.0.1:1/mcp'],
    2,
    /got ws:\/\/… \(for a WebSocket upstream add --upstream-transport websocket\)$/,
  ],
  'an http:// URL with the WebSocket transport': [
    () => ['--url', 'http://127.0.0.1:1/mcp', '--upstream-transport', 'websocket'],
    2,
    /^--url must be ws:\/\/ or wss:\/\/ for --upstream-transport websocket, got http:\/\/…$/,
  ],
  'an empty --port': [
    () => ['--port', '', '--example'],
    2,
    /^--port must be 0-65535 in decimal digits, got ""$/,
  ],
  'a --port in exponent notation': [() => ['--port', '4.5e4', '--example'], 2, /got "4\.5e4"$/],
  'a --port in hex': [() => ['--port', '0x9c41', '--example'], 2, /got "0x9c41"$/],
  'a --port past 65535': [() => ['--port', '70000', '--example'], 2, /got "70000"$/],
  'a --port with no value': [() => ['--port'], 2, /^--port needs a value$/],
  'a --path without its slash': [
    () => ['--path', 'mcp', '--example'],
    2,
    /^--path must start with \/.*got "mcp"$/,
  ],
  'a --path on the health endpoint': [
    () => ['--path', '/readyz', '--example'],
    2,
    /^--path \/readyz is the gateway's health endpoint: choose another$/,
  ],
  'an unknown option': [() => ['--foo'], 2, /^unknown option --foo$/],
  'a value given to --help': [() => ['--help=yes'], 2, /^--help takes no value$/],
  'a --timeout that is not whole': [
    () => ['--timeout', '1.5', '--example'],
    2,
    /^--timeout must be a whole number of ms in decimal digits, got "1\.5"$/,
  ],
  'a --connect-timeout of 0': [
    () => ['--connect-timeout', '0', '--example'],
    2,
    /^--connect-timeout must be > 0 ms$/,
  ],
  'an --env that is not NAME=VALUE': [
    () => ['--env', '1X=y', '--', 'node'],
    2,
    /^--env takes NAME=VALUE/,
  ],
  'an --inherit-env that is not a name': [
    () => ['--inherit-env', 'A B', '--', 'node'],
    2,
    /^--inherit-env takes a variable name, got "A B"$/,
  ],
  'a --header with a bad name': [
    () => ['--header', 'Bad Name: x', '--url', 'http://127.0.0.1:1/mcp'],
    2,
    /^--header takes "Name: value"/,
  ],
  'a port in use': [
    () => ['--port', String(takenPort), '--example'],
    1,
    /^cannot listen on 127\.0\.0\.1:\d+: address already in use \(EADDRINUSE\)$/,
  ],
  'an address not on this machine': [
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): on no machine.
    () => ['--config', anonymous, '--host', '192.0.2.1', '--port', '0'],
    1,
    /^cannot listen on 192\.0\.2\.1:0: address not available on this machine \(EADDRNOTAVAIL\)$/,
  ],
  'a host name that does not resolve': [
    // .invalid never resolves (RFC 6761 §6.4); without DNS at all the lookup fails with EAI_AGAIN.
    () => ['--config', anonymous, '--host', 'no-such-host.invalid', '--port', '0'],
    1,
    /^cannot listen on no-such-host\.invalid:0: host name (not found \(ENOTFOUND\)|could not be resolved \(temporary failure\) \(EAI_AGAIN\))$/,
  ],
  // The flag form's one upstream failing at start-up: nothing to serve, so no start.
  'a stdio command that is not found': [
    () => ['--port', '0', '--', join(dir, 'no-such-server')],
    1,
    /^no-such-server: failed, could not start \/.+\/no-such-server: not found \(ENOENT\)$/,
  ],
  'a stdio command that is not executable': [
    () => ['--port', '0', '--', anonymous],
    1,
    /^anonymous\.json: failed, could not start \/.+\/anonymous\.json: permission denied \(not executable\?\) \(EACCES\)$/,
  ],
  'a stdio command that never finishes initialize within --connect-timeout': [
    () => [
      '--port',
      '0',
      '--connect-timeout',
      '300',
      '--',
      process.execPath,
      '-e',
      'setInterval(() => {}, 1000)',
    ],
    1,
    /^node: failed, did not finish initialize within 300 ms$/,
  ],
  'an --url to a closed loopback port': [
    () => ['--port', '0', '--url', `http://127.0.0.1:${closedPort}/mcp`],
    1,
    /^127\.0\.0\.1: failed, could not be reached( \(ECONNREFUSED\))?$/,
  ],
}

describe('mcpx-gateway refuses a bad command line in one line', () => {
  it.each(Object.entries(rows))('%s', (_, [args, code, line]) => {
    const run = spawnSync(process.execPath, [cli, ...args()], { encoding: 'utf8', timeout: 20_000 })
    expect(run.stderr).not.toMatch(/^ {4}at /m)
    const lines = run.stderr.split('\n').filter((text) => text.trim() !== '')
    expect(lines).toEqual(code === 2 ? [expect.any(String), HINT] : [expect.any(String)])
    expect(lines[0]).toMatch(/^mcpx-gateway: /)
    expect(lines[0]!.slice('mcpx-gateway: '.length)).toMatch(line)
    expect(run.status).toBe(code)
    expect(run.stdout).toBe('')
  })
})

/** Start the gateway; resolves once it prints its URL. */
function start(args: string[], env?: NodeJS.ProcessEnv): StartedProcess {
  const gateway = startProcess(process.execPath, [cli, ...args], { name: 'mcpx-gateway', env })
  running.push(gateway)
  return gateway
}

/** Wait (at most 10 s) until the gateway's output has a line matching `pattern`. */
async function lineOf(gateway: StartedProcess, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const found = gateway
      .tail()
      .split('\n')
      .find((line) => pattern.test(line))
    if (found !== undefined) return found
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no line matching ${pattern} in:\n${gateway.tail()}`)
}

describe('mcpx-gateway with good flags', () => {
  it('serves the default config when given only --port', async () => {
    const url = await start(['--port', '0']).ready
    const client = new Client({ name: 't', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
    const names = (await client.listTools()).tools.map((tool) => tool.name)
    expect(names).toContain('math_add')
    expect(names).toContain('data_query')
    await client.close()
  })

  it('passes --inherit-env on top of the default variables, and names the upstream after its command', async () => {
    // The child writes its environment to a file and never answers: the gateway gives up on it.
    const script = `require('node:fs').writeFileSync(process.argv[1], JSON.stringify(process.env)); setInterval(() => {}, 1000)`
    const out = join(dir, 'env.json')
    const env = {
      ...process.env,
      LANG: 'xx_XX.UTF-8',
      TZ: 'Antarctica/Troll',
      FOO: 'bar',
      SECRET: 's',
    }
    const args = ['--port', '0', '--connect-timeout', '2000', '--inherit-env', 'FOO']
    const run = spawnSync(
      process.execPath,
      [cli, ...args, '--', process.execPath, '-e', script, out],
      {
        encoding: 'utf8',
        timeout: 20_000,
        env,
      },
    )
    expect(run.stderr).toMatch(/^mcpx-gateway: node: failed, did not finish initialize/)
    const seen = JSON.parse(await readFile(out, 'utf8'))
    expect({ LANG: seen.LANG, TZ: seen.TZ, FOO: seen.FOO, SECRET: seen.SECRET }).toEqual({
      LANG: 'xx_XX.UTF-8',
      TZ: 'Antarctica/Troll',
      FOO: 'bar',
      SECRET: undefined,
    })
  })
})

it("takes a config upstream's connectTimeout", async () => {
  const hang = {
    command: process.execPath,
    args: ['-e', 'setInterval(() => {}, 1000)'],
    connectTimeout: 300,
  }
  const file = join(dir, 'hang.json')
  await writeFile(file, JSON.stringify({ upstreams: { hang } }))
  // A config file's upstream failing does not end the gateway: it joins when it answers.
  const gateway = start(['--port', '0', '--config', file])
  const line = await lineOf(gateway, /hang: failed/)
  expect(line).toBe('mcpx-gateway: hang: failed, did not finish initialize within 300 ms')
  await gateway.ready
})
