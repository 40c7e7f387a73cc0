import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { e2eBinPath, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterEach, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const running: StartedProcess[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

/** Start the gateway and resolve with the URL it prints. */
function start(args: string[]): Promise<string> {
  const gateway = startProcess(process.execPath, [cli, '--port', '0', ...args], {
    name: 'mcpx-gateway',
  })
  running.push(gateway)
  return gateway.ready
}

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text

describe('mcpx-gateway', () => {
  it('serves the bundled example upstream over Streamable HTTP', async () => {
    const url = await start(['--example'])
    const client = new Client({ name: 't', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
    expect(text(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }))).toBe('5')
    await client.close()
  })

  it('serves a stdio upstream given after --, in shared mode', async () => {
    const url = await start(['--mode', 'shared', '--', process.execPath, e2eBinPath('stdio')])
    const client = new Client({ name: 't', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi')
    await client.close()
  })

  it('serves over stdio with --serve stdio', async () => {
    const client = new Client({ name: 't', version: '1' })
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [cli, '--serve', 'stdio', '--example'],
      }),
    )
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'over stdio' } }))).toBe(
      'over stdio',
    )
    await client.close()
  })

  it('answers every request piped to --serve stdio before it exits', () => {
    const requests = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'pipe', version: '1' },
        },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'add', arguments: { a: 1, b: 2 } },
      },
    ]
    const run = spawnSync(process.execPath, [cli, '--serve', 'stdio', '--example'], {
      input: requests.map((r) => JSON.stringify(r)).join('\n') + '\n',
      encoding: 'utf8',
      timeout: 15_000,
    })
    expect(run.status).toBe(0)
    const answers = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(answers.map((a) => a.id)).toEqual([1, 2])
    expect(text(answers[1].result)).toBe('3')
  })

  it.each(['sse', 'websocket'])(
    'serves over %s, and reaches such an upstream with --url',
    async (transport) => {
      const front = await start(['--serve', transport, '--example'])
      const url = await start([
        '--url',
        front,
        '--upstream-transport',
        transport,
        '--mode',
        'shared',
      ])
      const client = new Client({ name: 't', version: '1' })
      await client.connect(new StreamableHTTPClientTransport(new URL(url)))
      expect(text(await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } }))).toBe('42')
      await client.close()
    },
  )

  it('chains two gateways over Streamable HTTP with --url', async () => {
    const first = await start(['--example'])
    const url = await start(['--url', first])
    const client = new Client({ name: 't', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'twice' } }))).toBe(
      'twice',
    )
    await client.close()
  })

  it('prints its usage with --help', () => {
    const result = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' })
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('Usage:')
  })

  it.each([
    [['--port', '70000', '--example'], '--port must be 0-65535'],
    [['--mode', 'sometimes', '--example'], '--mode must be shared or per-session'],
    [[], 'give exactly one upstream'],
    [['--example', '--url', 'http://127.0.0.1:1/mcp'], 'give exactly one upstream'],
    [['--url', 'not a url'], '--url is not a URL'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['--serve', 'carrier-pigeon', '--example'], '--serve must be one of'],
    [
      ['--url', 'http://127.0.0.1:1/mcp', '--upstream-transport', 'smoke'],
      '--upstream-transport must be one of',
    ],
  ])('rejects %j with a clear error and exit code 2', (args, message) => {
    const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain(message)
  })
})
