import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually, faultyBinPath, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const running: StartedProcess[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-metrics-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

/** The fault-injecting fixture over stdio: a real child process as the upstream. */
const faulty = { command: process.execPath, args: [faultyBinPath('stdio')], mode: 'shared' }

async function startGateway(name: string, config: unknown, ...flags: string[]) {
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(config))
  const gateway = startProcess(process.execPath, [cli, '--port', '0', '--config', path, ...flags], {
    name: 'mcpx-gateway',
    tailLines: 200,
  })
  running.push(gateway)
  const url = new URL(await gateway.ready)
  return { gateway, url, at: (path: string) => new URL(path, url) }
}

async function connect(url: URL): Promise<Client> {
  const client = new Client({ name: 't', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(url))
  return client
}

/** The access log entries among the gateway's output lines (each a JSON object on its own line). */
const entriesOf = (gateway: StartedProcess) =>
  gateway
    .tail()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)

const echo = (value: string) => ({ name: 'echo', arguments: { text: value } })

describe('mcpx-gateway with the metrics section', () => {
  it('counts two tools/call at /metrics and logs one line per message', async () => {
    const { gateway, url, at } = await startGateway('metrics.json', {
      metrics: { accessLog: {} },
      breaker: {},
      upstreams: { faulty },
    })
    const client = await connect(url)
    await client.callTool(echo('one'))
    await client.callTool(echo('two'))
    const response = await fetch(at('/metrics'))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const body = await response.text()
    expect(body).toMatch(
      /^mcpx_requests_total\{method="tools\/call",upstream="faulty",tool="echo",outcome="ok"\} 2$/m,
    )
    // The breaker's stats source, through the gateway's stats registry.
    expect(body).toMatch(/^mcpx_breaker_\w+\{name="[^"]+"\} \d+$/m)
    const fromClient = () =>
      entriesOf(gateway).filter((entry) => entry.transport === 'streamable-http')
    await eventually(() => fromClient().length === 3)
    // The startup check's own messages come first, through the in-process transport.
    const entries = entriesOf(gateway)
    const startup = entries.filter((entry) => entry.transport === 'in-process')
    expect(startup.map((entry) => entry.method)).toContain('tools/list')
    expect(startup.length + fromClient().length).toBe(entries.length)
    expect(fromClient().map((entry) => entry.method)).toEqual([
      'initialize',
      'tools/call',
      'tools/call',
    ])
    expect(fromClient().slice(1)).toMatchObject([
      { tool: 'echo', upstream: 'faulty', outcome: 'ok', direction: 'toServer' },
      { tool: 'echo', upstream: 'faulty', outcome: 'ok', direction: 'toServer' },
    ])
    // Arguments are off unless the section says so.
    expect(fromClient()[1]).not.toHaveProperty('arguments')
    await client.close()
  })

  it('answers only GET and HEAD at the path, and serves it at a path of its own', async () => {
    const { at } = await startGateway('path.json', {
      metrics: { path: '/stats', tracing: false },
      upstreams: { faulty },
    })
    expect((await fetch(at('/stats'))).status).toBe(200)
    expect((await fetch(at('/stats'), { method: 'HEAD' })).status).toBe(200)
    const post = await fetch(at('/stats'), { method: 'POST', body: '{}' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    expect((await fetch(at('/metrics'))).status).toBe(404)
  })

  it('serves nothing at /metrics without the section, as before', async () => {
    const { at } = await startGateway('none.json', { upstreams: { faulty } })
    expect((await fetch(at('/metrics'))).status).toBe(404)
  })

  it('serves nothing at /metrics with enabled: false', async () => {
    const { at } = await startGateway('off.json', {
      metrics: { enabled: false },
      upstreams: { faulty },
    })
    expect((await fetch(at('/metrics'))).status).toBe(404)
  })

  it('refuses a --path that moves the MCP endpoint onto the metrics path', async () => {
    const path = join(dir, 'clash.json')
    await writeFile(path, JSON.stringify({ metrics: {}, upstreams: { faulty } }))
    const gateway = startProcess(process.execPath, [cli, '--config', path, '--path', '/metrics'], {
      name: 'mcpx-gateway',
    })
    running.push(gateway)
    expect((await gateway.exited).code).toBe(2)
    expect(gateway.tail()).toContain("metrics.path: /metrics is the MCP endpoint's path")
  })
})
