// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${REDIS_URL}` in a plain string is what the config file holds
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type StartedProcess, startProcess } from '@mcpx/test-utils'
import { startRedis } from '@mcpx/test-utils/redis'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const examples = fileURLToPath(new URL('../examples/', import.meta.url))
const running: StartedProcess[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-ratelimit-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

/** Both bundled examples, namespaced (`math_add`, `data_query`), as in the default config. */
const upstreams = {
  math: { example: 'math', namespace: true },
  data: { example: 'data', namespace: true },
}
/** 3 calls of math tools per client per hour: the 4th in a test is refused whatever the clock. */
const perClient = {
  name: 'per-client',
  by: 'client',
  tools: ['math_*'],
  algorithm: { slidingWindow: { limit: 3, windowMs: 3_600_000 } },
}

async function configFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(content))
  return path
}

function start(args: string[], env: NodeJS.ProcessEnv = process.env): StartedProcess {
  const gateway = startProcess(process.execPath, [cli, '--port', '0', ...args], {
    name: 'mcpx-gateway',
    env,
  })
  running.push(gateway)
  return gateway
}

async function connect(url: string): Promise<{ client: Client; sessionId: string }> {
  const client = new Client({ name: 't', version: '1' })
  const transport = new StreamableHTTPClientTransport(new URL(url))
  await client.connect(transport)
  return { client, sessionId: transport.sessionId! }
}

const add = { name: 'math_add', arguments: { a: 2, b: 3 } }
const text = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text

/** One `tools/call` of `math_add` in session `sessionId`, posted by hand to see the HTTP answer. */
function post(url: string, sessionId: string) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: add }),
  })
}

describe('mcpx-gateway with rateLimits', () => {
  it('refuses the 4th math_add of a client with 429 and -32029, and not another client', async () => {
    // A global budget of one tools/list: the start-up check lists tools too, and must not spend it.
    const lists = {
      name: 'lists',
      by: 'global',
      methods: ['tools/list'],
      algorithm: { tokenBucket: { capacity: 1, refillPerSecond: 0.001 } },
    }
    const config = { rateLimits: { limits: [perClient, lists] }, upstreams }
    const url = await start(['--config', await configFile('limits.json', config)]).ready
    const first = await connect(url)
    for (let i = 0; i < 3; i++) expect(text(await first.client.callTool(add))).toBe('5')
    await expect(first.client.callTool(add)).rejects.toThrow(/-32029/)

    const refused = await post(url, first.sessionId)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(refused.headers.get('ratelimit-policy')).toBe('"per-client";q=3;w=3600')
    const body = await refused.json()
    expect(body).toMatchObject({
      jsonrpc: '2.0',
      id: 99,
      error: { code: -32029, data: { policy: 'per-client', limit: 3, remaining: 0 } },
    })

    const second = await connect(url)
    expect(text(await second.client.callTool(add))).toBe('5')
    // Other tools are not counted by this limit.
    const rows = await first.client.callTool({
      name: 'data_query',
      arguments: { table: 'planets' },
    })
    expect(JSON.parse(text(rows))).toHaveLength(8)

    // The start-up check listed tools before any client: the one tools/list is still there.
    expect((await second.client.listTools()).tools.map((tool) => tool.name)).toContain('math_add')
    await expect(first.client.listTools()).rejects.toThrow(/-32029/)
    await Promise.all([first.client.close(), second.client.close()])
  })

  it('serves examples/gateway-ratelimit.yaml', async () => {
    const url = await start(['--config', join(examples, 'gateway-ratelimit.yaml')]).ready
    const { client } = await connect(url)
    expect(text(await client.callTool(add))).toBe('5')
    await client.close()
  })

  it('refuses a bad rateLimits section with exit code 2, naming the path', async () => {
    const limit = { ...perClient, algorithm: { leakyBucket: { limit: 3 } } }
    const path = await configFile('bad.json', { rateLimits: { limits: [limit] }, upstreams })
    const result = spawnSync(process.execPath, [cli, '--port', '0', '--config', path], {
      encoding: 'utf8',
      timeout: 15_000,
    })
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(
      'rateLimits.limits[0].algorithm: needs one of tokenBucket, slidingWindow, fixedWindow',
    )
  })

  it('shares a budget between two gateways on Redis, and closes its connection on SIGTERM', async () => {
    const redis = await startRedis()
    const admin = new Redis(redis.url)
    try {
      const everyone = { ...perClient, name: 'everyone', by: 'global' }
      const store = { redis: { url: '${REDIS_URL}', timeoutMs: 500 } }
      const path = await configFile('redis.json', {
        rateLimits: { limits: [everyone], store },
        upstreams,
      })
      const env = { ...process.env, REDIS_URL: redis.url }
      const [one, two] = [start(['--config', path], env), start(['--config', path], env)]
      const a = await connect(await one.ready)
      const b = await connect(await two.ready)
      expect(text(await a.client.callTool(add))).toBe('5')
      expect(text(await b.client.callTool(add))).toBe('5')
      expect(text(await a.client.callTool(add))).toBe('5')
      await expect(b.client.callTool(add)).rejects.toThrow(/-32029/)
      await Promise.all([a.client.close(), b.client.close()])

      const clients = async () =>
        String(await admin.client('LIST'))
          .trim()
          .split('\n').length
      expect(await clients()).toBe(3)
      await one.stop()
      expect((await one.exited).code).toBe(0)
      expect(await clients()).toBe(2)
    } finally {
      admin.disconnect()
      await redis.stop()
    }
  })
})
