// Issue 15 item 5: start-up output a person can read. Before the start-up check a line per
// upstream (`<name>: starting (<transport>, <command or URL>)`), after it a line per upstream
// (`<name>: ready, <counts>` or `<name>: failed, <why>`), then LISTENING.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type CatalogOptions,
  catalogBinPath,
  eventually,
  freePort,
  type StartedProcess,
  startProcess,
} from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const running: StartedProcess[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-startup-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

/** Start the gateway on a free port; it is ready once it prints LISTENING. */
function start(args: string[]): StartedProcess {
  const gateway = startProcess(process.execPath, [cli, '--port', '0', ...args], {
    name: 'mcpx-gateway',
  })
  running.push(gateway)
  return gateway
}

async function configFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(content))
  return path
}

const catalog = (options: CatalogOptions) => ({
  command: process.execPath,
  args: [catalogBinPath('stdio'), '--config', JSON.stringify(options)],
  mode: 'shared',
})

/** The gateway's own start-up lines (`mcpx-gateway: <name>: …`), once `count` of them are out. */
async function startupLines(gateway: StartedProcess, count: number): Promise<string[]> {
  const lines = () =>
    gateway
      .tail()
      .split('\n')
      .filter((line) => /^mcpx-gateway: [\w.-]+: (starting|ready|failed|no answer)/.test(line))
  await eventually(() => lines().length >= count)
  return lines()
}

describe('mcpx-gateway start-up lines', () => {
  it('says each bundled upstream is starting, then ready with its counts', async () => {
    const gateway = start([])
    await gateway.ready
    expect(await startupLines(gateway, 6)).toEqual([
      'mcpx-gateway: math: starting (stdio, the bundled math example)',
      'mcpx-gateway: data: starting (stdio, the bundled data example)',
      'mcpx-gateway: admin: starting (stdio, the bundled admin example)',
      'mcpx-gateway: math: ready, 3 tools, 1 prompt, 1 resource',
      'mcpx-gateway: data: ready, 1 tool, 1 prompt, 3 resources, 1 resource template',
      'mcpx-gateway: admin: ready, 3 tools, 1 prompt, 1 resource',
    ])
  })

  it('serves a config whose other upstream fails, saying in one line which and why', async () => {
    const missing = join(dir, 'no-such-server')
    const file = await configFile('one-fails.json', {
      upstreams: {
        good: catalog({ name: 'good', tools: ['echo', 'ping'], prompts: ['hello'] }),
        bad: { command: missing },
      },
    })
    const gateway = start(['--config', file])
    const url = await gateway.ready
    const lines = await startupLines(gateway, 4)
    expect(lines).toEqual([
      'mcpx-gateway: good: starting (stdio, ' + process.execPath + ')',
      `mcpx-gateway: bad: starting (stdio, ${missing})`,
      'mcpx-gateway: good: ready, 2 tools, 1 prompt',
      `mcpx-gateway: bad: failed, could not start ${missing}: not found (ENOENT)`,
    ])
    // Before any client: the upstream's own line, the router's initialize line and the failed
    // line, not the router's four "is missing from <list>" nor the upstream's line again.
    const told = gateway.tail().split('\n')
    expect(told.filter((line) => line.includes('could not start'))).toHaveLength(2)
    expect(told.filter((line) => line.includes('upstream "bad" is missing'))).toEqual([
      '[mcpx router] upstream "bad" is missing (Upstream "bad" could not be started (ENOENT)); it joins when it answers again',
    ])
    const client = new Client({ name: 't', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['echo', 'ping'])
    await client.close()
  })

  it('names an HTTP upstream by its URL without credentials or query values', async () => {
    const port = await freePort()
    const file = await configFile('secret-url.json', {
      upstreams: {
        remote: {
          url: `http://gateway:pa55word@127.0.0.1:${port}/mcp?token=s3cret`,
          mode: 'shared',
        },
      },
    })
    const gateway = start(['--config', file])
    await gateway.ready
    const lines = await startupLines(gateway, 2)
    expect(lines).toEqual([
      `mcpx-gateway: remote: starting (streamable-http, http://127.0.0.1:${port}/mcp?token=…)`,
      expect.stringMatching(/^mcpx-gateway: remote: failed, could not be reached/),
    ])
    expect(gateway.tail()).not.toMatch(/pa55word|s3cret/)
  })
})
