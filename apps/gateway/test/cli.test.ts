import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type CatalogOptions,
  catalogBinPath,
  e2eBinPath,
  type StartedProcess,
  startProcess,
} from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const examples = fileURLToPath(new URL('../examples/', import.meta.url))
const running: StartedProcess[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-cli-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

/** Write a config file into the test's directory; its path. */
async function configFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

/** A catalog fixture upstream as a command upstream of a config. */
const catalog = (options: CatalogOptions) => ({
  command: process.execPath,
  args: [catalogBinPath('stdio'), '--config', JSON.stringify(options)],
  mode: 'shared',
})

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 't', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  return client
}

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
    const client = await connect(url)
    expect(text(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }))).toBe('5')
    await client.close()
  })

  it('serves a stdio upstream given after --, in shared mode', async () => {
    const url = await start(['--mode', 'shared', '--', process.execPath, e2eBinPath('stdio')])
    const client = await connect(url)
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
    const client = await connect(url)
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
    [['--example', '--url', 'http://127.0.0.1:1/mcp'], 'give one upstream'],
    [['--mode', 'shared'], '--mode needs an upstream'],
    [
      ['--config', 'gateway.json', '--url', 'http://127.0.0.1:1/mcp'],
      '--config cannot be combined',
    ],
    [['--config', 'gateway.json', '--', 'node', 'x.js'], '--config cannot be combined'],
    [['--config', 'missing.json'], 'missing.json: no such file'],
    [['--url', 'not a url'], '--url is not a URL'],
    [['--bogus'], 'unknown option --bogus'],
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

  it('serves the three example upstreams, namespaced, when given no upstream', async () => {
    const client = await connect(await start([]))
    const tools = await client.listTools()
    expect(tools.tools.map((tool) => tool.name)).toEqual([
      'math_add',
      'math_echo',
      'math_count',
      'data_query',
      'admin_status',
      'admin_list_users',
      'admin_set_flag',
    ])
    expect(text(await client.callTool({ name: 'math_add', arguments: { a: 2, b: 3 } }))).toBe('5')
    const rows = await client.callTool({
      name: 'data_query',
      arguments: { table: 'planets', where: { moons: 2 } },
    })
    expect(JSON.parse(text(rows))).toEqual([{ name: 'Mars', moons: 2, au: 1.52 }])
    const prompts = await client.listPrompts()
    expect(prompts.prompts.map((prompt) => prompt.name)).toEqual([
      'math_explain',
      'data_summarize',
      'admin_audit',
    ])
    const read = await client.readResource({ uri: 'data://tables/elements' })
    expect((read.contents[0] as { text: string }).text).toContain('Hydrogen')
    await client.close()
  })

  it('logs a missing upstream and a name collision at start-up, before any client', async () => {
    const upstreams = {
      a: catalog({ name: 'a', tools: ['echo'] }),
      b: catalog({ name: 'b', tools: ['echo'] }),
      broken: { command: process.execPath, args: ['-e', 'process.exit(1)'], mode: 'shared' },
    }
    await start(['--config', await configFile('startup.json', { upstreams })])
    const output = running.at(-1)!.tail()
    expect(output).toMatch(/upstream "broken" is missing/)
    expect(output).toMatch(/tool "echo" is exposed by "a" and "b": "a" serves it/)
  })

  it('serves a config file whose route picks which upstream serves a shared name', async () => {
    const upstreams = {
      a: catalog({ name: 'a', tools: ['echo', 'only_a'] }),
      b: catalog({ name: 'b', tools: ['echo'] }),
    }
    const plain = await connect(
      await start(['--config', await configFile('plain.json', { upstreams })]),
    )
    // Without a route the earlier upstream serves the name both expose.
    expect(text(await plain.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe(
      'a:echo:hi',
    )
    await plain.close()

    const routes = [{ tools: 'echo', to: 'b' }]
    const url = await start(['--config', await configFile('routed.json', { upstreams, routes })])
    const client = await connect(url)
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe(
      'b:echo:hi',
    )
    expect(text(await client.callTool({ name: 'only_a', arguments: {} }))).toBe('a:only_a:')
    const names = (await client.listTools()).tools.map((tool) => tool.name)
    expect(names.sort()).toEqual(['echo', 'only_a'])
    await client.close()
  })

  it.each(['gateway.json', 'gateway.yaml'])(
    'serves examples/%s: replicas, a balance strategy, two namespaces and a route',
    async (name) => {
      const client = await connect(await start(['--config', join(examples, name)]))
      const tools = (await client.listTools()).tools.map((tool) => tool.name)
      expect(tools).toEqual(['math_add', 'math_echo', 'math_count', 'db_query'])
      for (const a of [1, 2, 3]) {
        const sum = await client.callTool({ name: 'math_add', arguments: { a, b: 1 } })
        expect(text(sum)).toBe(String(a + 1))
      }
      const rows = await client.callTool({ name: 'db_query', arguments: { table: 'elements' } })
      expect(JSON.parse(text(rows))).toHaveLength(7)
      const read = await client.readResource({ uri: 'data://tables' })
      expect((read.contents[0] as { text: string }).text).toContain('planets')
      await client.close()
    },
  )

  it('refuses a config with problems: exit code 2, each by its path, nothing served', async () => {
    const path = await configFile(
      'bad.yaml',
      [
        'upstreams:',
        '  math: { example: math, timeout: 60s }',
        '  data: { example: data, tiemout: 5 }',
        'routes:',
        '  - { tools: "*", to: maths }',
        '',
      ].join('\n'),
    )
    const result = spawnSync(process.execPath, [cli, '--port', '0', '--config', path], {
      encoding: 'utf8',
      timeout: 15_000,
    })
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('bad.yaml: 3 problems')
    expect(result.stderr).toContain('upstreams.math.timeout: must be a number ≥ 0, got "60s"')
    expect(result.stderr).toContain('upstreams.data.tiemout: unknown key (did you mean timeout?)')
    expect(result.stderr).toContain('routes[0].to: names no upstream: "maths"')
  })
})
