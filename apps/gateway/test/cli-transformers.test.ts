// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${REDIS_URL}` in a plain string is what the config file holds
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { faultyBinPath, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { startRedis } from '@mcpx/test-utils/redis'
import { hashTool } from '@mcpx/transformers'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const examples = fileURLToPath(new URL('../examples/', import.meta.url))
const running: StartedProcess[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-transformers-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

/** The fault-injecting fixture over stdio, one child for every session (so its stats see them all). */
const faulty = { command: process.execPath, args: [faultyBinPath('stdio')], mode: 'shared' }
const upstreams = { faulty }

async function configFile(name: string, config: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(config))
  return path
}

function startGateway(path: string, env: NodeJS.ProcessEnv = process.env): StartedProcess {
  const gateway = startProcess(process.execPath, [cli, '--port', '0', '--config', path], {
    name: 'mcpx-gateway',
    env,
  })
  running.push(gateway)
  return gateway
}

async function start(name: string, config: unknown): Promise<Client> {
  return connect(await startGateway(await configFile(name, config)).ready)
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 't', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  return client
}

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text
const echo = (value: unknown) => ({ name: 'echo', arguments: { text: value } })
/** The fixture's counters (its `stats` tool is never faulted, and not counted). */
const stats = async (client: Client) => JSON.parse(text(await client.callTool({ name: 'stats' })))
const names = async (client: Client) => (await client.listTools()).tools.map((tool) => tool.name)

/** The fixture's tools exactly as it lists them (the JSON on the wire), asked over stdio directly. */
async function upstreamTools(): Promise<Record<string, unknown>[]> {
  const transport = new StdioClientTransport({ command: faulty.command, args: faulty.args })
  const answers = new Map<number, (message: JSONRPCMessage) => void>()
  transport.onmessage = (message) => {
    if ('id' in message && typeof message.id === 'number') answers.get(message.id)?.(message)
  }
  const ask = (id: number, method: string, params: Record<string, unknown>) =>
    new Promise<JSONRPCMessage>((resolve) => {
      answers.set(id, resolve)
      void transport.send({ jsonrpc: '2.0', id, method, params })
    })
  await transport.start()
  try {
    await ask(1, 'initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 't', version: '1' },
    })
    await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' })
    const answer = (await ask(2, 'tools/list', {})) as unknown as {
      result: { tools: Record<string, unknown>[] }
    }
    return answer.result.tools
  } finally {
    await transport.close()
  }
}

describe('mcpx-gateway with transformers', () => {
  it('answers a repeated call from the cache: the upstream sees it once', async () => {
    // Tools are included by the name clients call: after the namespace.
    const client = await start('cache.json', {
      transformers: { cache: { tools: { include: ['f_echo'] } } },
      upstreams: { faulty: { ...faulty, namespace: 'f' } },
    })
    const call = (value: string) => client.callTool({ name: 'f_echo', arguments: { text: value } })
    const counted = async () => JSON.parse(text(await client.callTool({ name: 'f_stats' })))
    expect(text(await call('once'))).toBe('once')
    expect(text(await call('once'))).toBe('once')
    expect(await counted()).toMatchObject({ received: 1 })
    // Other arguments are another entry; a tool not included is never cached.
    expect(text(await call('twice'))).toBe('twice')
    await client.callTool({ name: 'f_slow', arguments: { delayMs: 0 } })
    await client.callTool({ name: 'f_slow', arguments: { delayMs: 0 } })
    expect(await counted()).toMatchObject({ received: 4 })
    await client.close()
  })

  it('redacts a secret on its way to the client', async () => {
    const token = `ghp_${'a1B2'.repeat(9)}`
    // toServer off: the upstream gets the token and echoes it; the answer is redacted on its way back.
    const client = await start('redact.json', {
      transformers: { redact: { toServer: false } },
      upstreams,
    })
    const answer = text(await client.callTool(echo(`the token is ${token}`)))
    expect(answer).toBe('the token is [REDACTED]')
    expect(answer).not.toContain(token)
    await client.close()
  })

  it('never lists or calls a tool the pin lock does not name, nor one whose definition changed', async () => {
    const tools = await upstreamTools()
    const hashOf = async (name: string) =>
      (await hashTool(tools.find((tool) => tool.name === name)!)).hash
    const lock = {
      version: 1,
      tools: {
        faulty: {
          echo: await hashOf('echo'),
          stats: await hashOf('stats'),
          // Pinned to another definition: the listed one differs.
          slow: await hashOf('echo'),
        },
      },
    }
    await writeFile(join(dir, 'mcpx.lock.json'), JSON.stringify(lock))
    // A path relative to the config file's directory.
    const client = await start('pins.json', {
      transformers: { pinTools: { lockFile: 'mcpx.lock.json' } },
      upstreams,
    })
    expect((await names(client)).sort()).toEqual(['echo', 'stats'])
    expect(text(await client.callTool(echo('pinned')))).toBe('pinned')
    for (const name of ['pid', 'slow']) {
      await expect(client.callTool({ name, arguments: { delayMs: 0 } })).rejects.toMatchObject({
        code: -32602,
      })
    }
    expect(await stats(client)).toMatchObject({ received: 1 })
    await client.close()
  })

  it('answers -32602 for an argument of the wrong type, and the upstream never sees the call', async () => {
    const client = await start('validate.json', {
      transformers: { validateArguments: {} },
      upstreams,
    })
    await expect(client.callTool(echo(5))).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('Invalid arguments for tool "echo": /text must be string'),
      data: { tool: 'echo', errors: [{ path: '/text', keyword: 'type' }] },
    })
    expect(await stats(client)).toMatchObject({ received: 0 })
    expect(text(await client.callTool(echo('fine')))).toBe('fine')
    await client.close()
  })

  it('renames and hides tools, fixes a hidden argument, and stamps every answer with its request id', async () => {
    const client = await start('rewrite.json', {
      transformers: {
        metadata: { prefix: 'com.example/', gateway: 'edge-1' },
        validateArguments: {},
        rewriteTools: {
          upstreams: {
            faulty: {
              deny: ['faults', 'stateful_*'],
              rename: { echo: 'say' },
              inject: { echo: { text: 'fixed' } },
            },
          },
        },
      },
      upstreams,
    })
    const { tools } = await client.listTools()
    const listed = tools.map((tool) => tool.name)
    expect(listed).toContain('say')
    for (const hidden of ['echo', 'faults', 'stateful_get']) expect(listed).not.toContain(hidden)
    // The argument the gateway fixes is not shown, so the call is checked without it, then given it.
    const say = tools.find((tool) => tool.name === 'say')!
    expect(say.inputSchema.properties ?? {}).not.toHaveProperty('text')
    const answer = await client.callTool({ name: 'say', arguments: {} })
    expect(text(answer)).toBe('fixed')
    expect(answer._meta).toMatchObject({
      'com.example/request-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'com.example/gateway': 'edge-1',
    })
    await expect(client.callTool(echo('x'))).rejects.toMatchObject({ code: -32602 })
    await client.close()
  })

  it('shares cache entries between two gateways on Redis, and closes its connection on SIGTERM', async () => {
    const redis = await startRedis()
    const admin = new Redis(redis.url)
    try {
      const store = { redis: { url: '${REDIS_URL}', timeoutMs: 500 } }
      const path = await configFile('redis.json', {
        transformers: { cache: { tools: { include: ['echo'] }, store } },
        upstreams,
      })
      const env = { ...process.env, REDIS_URL: redis.url }
      const [one, two] = [startGateway(path, env), startGateway(path, env)]
      const a = await connect(await one.ready)
      const b = await connect(await two.ready)
      expect(text(await a.callTool(echo('shared')))).toBe('shared')
      // Each gateway has its own child: b's never sees the call a's answered.
      expect(text(await b.callTool(echo('shared')))).toBe('shared')
      expect(await stats(a)).toMatchObject({ received: 1 })
      expect(await stats(b)).toMatchObject({ received: 0 })
      await Promise.all([a.close(), b.close()])

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

  it.each([
    [
      'a lock file that is missing',
      { pinTools: { lockFile: 'nowhere.lock.json' } },
      (path: string) =>
        `transformers.pinTools.lockFile: ${join(path, 'nowhere.lock.json')}: no such file`,
    ],
    [
      'a rule for an unknown upstream',
      { rewriteTools: { upstreams: { faulti: { deny: ['x'] } } } },
      () =>
        'transformers.rewriteTools.upstreams.faulti: names no upstream: "faulti" (did you mean faulty?)',
    ],
  ])('refuses %s with exit code 2, naming the path', async (_, transformers, expected) => {
    const path = await configFile('bad.json', { transformers, upstreams })
    const result = spawnSync(process.execPath, [cli, '--port', '0', '--config', path], {
      encoding: 'utf8',
      timeout: 15_000,
    })
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(`${path}: 1 problem`)
    expect(result.stderr).toContain(expected(dir))
  })

  it('serves examples/gateway-transformers.yaml', async () => {
    const client = await connect(
      await startGateway(join(examples, 'gateway-transformers.yaml')).ready,
    )
    expect(text(await client.callTool({ name: 'math_add', arguments: { a: 2, b: 3 } }))).toBe('5')
    await expect(
      client.callTool({ name: 'math_add', arguments: { a: 'two', b: 3 } }),
    ).rejects.toMatchObject({ code: -32602 })
    const { tools } = await client.listTools()
    expect(tools.find((tool) => tool.name === 'math_add')).toMatchObject({
      description: 'Adds a and b',
      annotations: { readOnlyHint: true },
    })
    expect(tools.map((tool) => tool.name)).not.toContain('math_count')
    const ticket = await client.callTool({
      name: 'math_echo',
      arguments: { text: 'see TCK-123456' },
    })
    expect(text(ticket)).toBe('see [REDACTED]')
    // A cached read is stamped with its own request id.
    const first = await client.readResource({ uri: 'example://readme' })
    const again = await client.readResource({ uri: 'example://readme' })
    expect(again.contents).toEqual(first.contents)
    expect(again._meta?.['com.example/request-id']).not.toBe(
      first._meta?.['com.example/request-id'],
    )
    await client.close()
  })
})
