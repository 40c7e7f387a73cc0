import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually, faultyBinPath, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const examples = fileURLToPath(new URL('../examples/', import.meta.url))
const running: StartedProcess[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-breaker-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

/** The fault-injecting fixture over stdio, one child for every session (so its stats see them all). */
const faulty = (...flags: string[]) => ({
  command: process.execPath,
  args: [faultyBinPath('stdio'), ...flags],
  mode: 'shared',
})

async function start(name: string, config: unknown): Promise<Client> {
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(config))
  return connect(await startGateway(path).ready)
}

function startGateway(config: string): StartedProcess {
  const gateway = startProcess(process.execPath, [cli, '--port', '0', '--config', config], {
    name: 'mcpx-gateway',
  })
  running.push(gateway)
  return gateway
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 't', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  return client
}

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text
const echo = (value: string) => ({ name: 'echo', arguments: { text: value } })
/** The fixture's counters (its `stats` tool is never faulted). */
const stats = async (client: Client) => JSON.parse(text(await client.callTool({ name: 'stats' })))

describe('mcpx-gateway with timeouts, retries, circuit breakers and failover', () => {
  it('answers -32001 at the total deadline and cancels the hung upstream call', async () => {
    const client = await start('timeout.json', {
      timeouts: { total: 400 },
      upstreams: { hung: faulty('--hang-after', '0') },
    })
    const began = Date.now()
    const error = await client.callTool(echo('never')).catch((e: unknown) => e)
    const took = Date.now() - began
    expect(error).toMatchObject({ code: -32001 })
    expect(took).toBeGreaterThanOrEqual(390)
    // The upstream's own timeout is 60 s: the answer came from the deadline, not from it.
    expect(took).toBeLessThan(10_000)
    await eventually(async () => (await stats(client)).cancelled === 1, 5_000)
    await client.close()
  })

  it('opens the circuit after the failures in a row and answers -32010 without reaching the upstream', async () => {
    const client = await start('breaker.json', {
      breaker: {
        strategy: { kind: 'consecutive', failures: 2 },
        openDuration: 60_000,
        per: 'tool',
      },
      upstreams: { failing: faulty('--error-rate', '1') },
    })
    for (let i = 0; i < 2; i++) {
      await expect(client.callTool(echo('x'))).rejects.toMatchObject({ code: -32603 })
    }
    // The whole HTTP request was that one refused message: 503, the JSON-RPC error as the body.
    await expect(client.callTool(echo('x'))).rejects.toMatchObject({
      code: 503,
      message: expect.stringMatching(
        /"code":-32010.*Upstream \\"failing\\" is failing: circuit open/,
      ),
    })
    // Per tool: `stats` has a circuit of its own, still closed.
    expect(await stats(client)).toMatchObject({ received: 2, errors: 2 })
    await client.close()
  })

  it("fails over to a backup while the primary's circuit is open, the router letting it through", async () => {
    const client = await start('failover.json', {
      breaker: { strategy: { failures: 1 }, openDuration: 60_000 },
      upstreams: {
        primary: { ...faulty('--error-rate', '1'), failover: ['spare'] },
        spare: { example: 'math', backup: true },
      },
    })
    // A backup is not routed: only the primary's tools are listed.
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toContain('slow')
    expect(tools.map((tool) => tool.name)).not.toContain('add')
    // Not idempotent, and it reached the primary: the primary's error, and its circuit opens.
    await expect(client.callTool(echo('first'))).rejects.toMatchObject({ code: -32603 })
    // Open: the message provably never leaves the gateway, so the spare serves it.
    expect(text(await client.callTool(echo('second')))).toBe('second')
    expect(text(await client.callTool(echo('third')))).toBe('third')
    await client.close()
  })

  it('fails an idempotent tool over to the backup after a failure of the primary', async () => {
    const client = await start('failover-idempotent.json', {
      upstreams: {
        primary: { ...faulty('--error-rate', '1'), failover: ['spare'], idempotentTools: ['echo'] },
        spare: { example: 'math', backup: true },
      },
    })
    expect(text(await client.callTool(echo('served')))).toBe('served')
    await client.close()
  })

  it('retries idempotent tools up to the attempts, and other tools never', async () => {
    const client = await start('retry.json', {
      retry: { attempts: 3, backoff: { baseDelay: 1, maxDelay: 5 } },
      upstreams: { failing: { ...faulty('--error-rate', '1'), idempotentTools: ['echo'] } },
    })
    await expect(client.callTool(echo('x'))).rejects.toMatchObject({ code: -32603 })
    expect(await stats(client)).toMatchObject({ received: 3 })
    const slow = { name: 'slow', arguments: { delayMs: 0 } }
    await expect(client.callTool(slow)).rejects.toMatchObject({ code: -32603 })
    expect(await stats(client)).toMatchObject({ received: 4 })
    await client.close()
  })

  it('refuses a request over the concurrency limit with -32011, and serves the one in flight', async () => {
    const client = await start('concurrency.json', {
      concurrency: { limit: 1 },
      upstreams: { slow: faulty() },
    })
    const slow = { name: 'slow', arguments: { delayMs: 500 } }
    const [first, second] = await Promise.allSettled([client.callTool(slow), client.callTool(slow)])
    expect(first).toMatchObject({ status: 'fulfilled' })
    // 503 for the HTTP request that held only the refused message, the JSON-RPC error as its body.
    expect(second).toMatchObject({
      status: 'rejected',
      reason: {
        code: 503,
        message: expect.stringMatching(
          /"code":-32011.*Upstream \\"slow\\" has 1 requests in flight/,
        ),
      },
    })
    await client.close()
  })

  it('serves examples/gateway-breaker.yaml: replicas with a backup, every section set', async () => {
    const client = await connect(await startGateway(join(examples, 'gateway-breaker.yaml')).ready)
    expect(text(await client.callTool({ name: 'math_add', arguments: { a: 2, b: 3 } }))).toBe('5')
    const rows = await client.callTool({ name: 'db_query', arguments: { table: 'elements' } })
    expect(JSON.parse(text(rows))).toHaveLength(7)
    await client.close()
  })
})
