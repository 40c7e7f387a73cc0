import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually, faultyBinPath, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const examples = fileURLToPath(new URL('../examples/', import.meta.url))
const running: StartedProcess[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-pool-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

/** The fault-injecting fixture over stdio as a command upstream. */
const faulty = { command: process.execPath, args: [faultyBinPath('stdio')] }

async function configFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(content))
  return path
}

function start(config: string): StartedProcess {
  const gateway = startProcess(process.execPath, [cli, '--port', '0', '--config', config], {
    name: 'mcpx-gateway',
  })
  running.push(gateway)
  return gateway
}

async function connect(url: string, client = new Client({ name: 't', version: '1' })) {
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  return client
}

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text

describe('mcpx-gateway with a pooled upstream', () => {
  it('serves a tools/call through a per-request pool of stdio children', async () => {
    const upstreams = { files: { ...faulty, pool: { mode: 'per-request', min: 1, max: 2 } } }
    const client = await connect(
      await start(await configFile('per-request.json', { upstreams })).ready,
    )
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'pooled' } }))).toBe(
      'pooled',
    )
    await client.close()
  })

  it('gives each session its own child from a per-session pool, with isolated state', async () => {
    const upstreams = { files: { ...faulty, pool: { mode: 'per-session', spares: 1, max: 4 } } }
    const url = await start(await configFile('per-session.json', { upstreams })).ready
    const a = await connect(url)
    const b = await connect(url)
    await a.callTool({ name: 'stateful_set', arguments: { key: 'k', value: 'from a' } })
    expect(text(await a.callTool({ name: 'stateful_get', arguments: { key: 'k' } }))).toBe('from a')
    expect(text(await b.callTool({ name: 'stateful_get', arguments: { key: 'k' } }))).toBe('')
    expect(text(await a.callTool({ name: 'pid', arguments: {} }))).not.toBe(
      text(await b.callTool({ name: 'pid', arguments: {} })),
    )
    await Promise.all([a.close(), b.close()])
  })

  it("delivers a per-request child's sampling request to the client whose call holds it", async () => {
    const upstreams = { files: { ...faulty, pool: { mode: 'per-request', min: 1, max: 1 } } }
    const url = await start(await configFile('sampling.json', { upstreams })).ready
    const client = new Client({ name: 't', version: '1' }, { capabilities: { sampling: {} } })
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const prompt = (request.params.messages[0]!.content as { text?: string }).text
      return { role: 'assistant', model: 'm', content: { type: 'text', text: `re: ${prompt}` } }
    })
    await connect(url, client)
    const result = await client.callTool({ name: 'sample', arguments: { prompt: 'hello' } })
    expect(text(result)).toBe('re: hello')
    await client.close()
  })

  it('skips a replica whose shared pool failed, while its healthy sibling serves', async () => {
    // The first child to claim the marker serves; every later one exits at start-up, so one
    // replica's pool stays healthy and the other's crash-loops to `failed` (2 exits).
    const claim = join(dir, 'claim.mjs')
    await writeFile(
      claim,
      [
        "import { openSync } from 'node:fs'",
        "import { pathToFileURL } from 'node:url'",
        'const [marker, bin] = process.argv.splice(2, 2)',
        "try { openSync(marker, 'wx') } catch { process.argv.push('--exit-at-startup') }",
        'await import(pathToFileURL(bin).href)',
      ].join('\n'),
    )
    const files = {
      command: process.execPath,
      args: [claim, join(dir, 'claimed'), faultyBinPath('stdio')],
      replicas: 2,
      pool: {
        min: 1,
        max: 1,
        restart: { baseDelay: 10, maxDelay: 10, crashLoop: { failures: 2, windowMs: 60_000 } },
      },
    }
    const gateway = start(await configFile('replicas.json', { upstreams: { files } }))
    const client = await connect(await gateway.ready)
    const failures = () => gateway.tail().match(/\[mcpx pool files-\d\] open failed/g) ?? []
    await eventually(() => failures().length >= 2, 10_000)
    const pids = new Set<string>()
    // Round-robin over both replicas would send every other call to the failed one.
    for (let i = 0; i < 6; i++)
      pids.add(text(await client.callTool({ name: 'pid', arguments: {} })))
    expect(pids.size).toBe(1)
    await client.close()
  })

  it('listens while its one pooled upstream crash-loops at start-up, and answers -32010', async () => {
    const broken = {
      command: process.execPath,
      args: [faultyBinPath('stdio'), '--exit-at-startup'],
      pool: {
        restart: { baseDelay: 10, maxDelay: 10, crashLoop: { failures: 2, windowMs: 60_000 } },
      },
    }
    const gateway = start(await configFile('broken.json', { upstreams: { broken } }))
    // The start-up check waits out the pool's restarts (on unref'd timers), then the gateway listens.
    const url = await gateway.ready
    expect(gateway.tail()).toMatch(/Upstream "broken" keeps crashing/)
    await expect(connect(url)).rejects.toThrow(
      /-32010.*No available replica of upstream \\"broken\\"/,
    )
  })

  it('serves examples/gateway-pool.yaml: a per-request and a replicated shared pool', async () => {
    const client = await connect(await start(join(examples, 'gateway-pool.yaml')).ready)
    expect(text(await client.callTool({ name: 'math_add', arguments: { a: 2, b: 3 } }))).toBe('5')
    const rows = await client.callTool({ name: 'db_query', arguments: { table: 'elements' } })
    expect(JSON.parse(text(rows))).toHaveLength(7)
    await client.close()
  })
})
