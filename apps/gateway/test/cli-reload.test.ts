import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  eventually,
  faultyBinPath,
  readStat,
  type StartedProcess,
  startProcess,
} from '@mcpx/test-utils'
import { startRedis } from '@mcpx/test-utils/redis'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const faulty = faultyBinPath('stdio')
const running: StartedProcess[] = []
const clients: Client[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-reload-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => {})))
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

/** Whether `pid` still runs: signal 0 reaches it and it is not a zombie. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  return readStat(pid)?.zombie === false
}

/** A YAML config of the fault fixture under each name, namespaced by it, one child per session. */
function yaml(names: readonly string[], extra = ''): string {
  const upstreams = names.map(
    (name) =>
      `  ${name}:\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(faulty)}]\n    namespace: ${name}\n    mode: per-session\n`,
  )
  return `serve:\n  port: 0\n  shutdownTimeout: 2000\nupstreams:\n${upstreams.join('')}${extra}`
}

async function startGateway(name: string, text: string) {
  const file = join(dir, `${name}.yaml`)
  await writeFile(file, text)
  const gateway = startProcess(process.execPath, [cli, '--config', file], {
    name: 'mcpx-gateway',
    tailLines: 400,
  })
  running.push(gateway)
  return { gateway, file, url: new URL(await gateway.ready) }
}

/** A connected client, and how many `tools/list_changed` it has received. */
async function connect(url: URL) {
  const client = new Client({ name: 'reload-test', version: '1' })
  clients.push(client)
  const transport = new StreamableHTTPClientTransport(url)
  await client.connect(transport)
  const changes = { tools: 0 }
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    changes.tools++
  })
  return { client, transport, changes }
}

const toolNames = async (client: Client) =>
  (await client.listTools()).tools.map((tool) => tool.name).sort()

const textOf = (result: unknown) =>
  ((result as { content: { text: string }[] }).content[0]?.text ?? '') as string

/** The number of log lines (stdout and stderr) that contain `part`. */
const count = (gateway: StartedProcess, part: string) =>
  gateway
    .tail()
    .split('\n')
    .filter((line) => line.includes(part)).length

describe('mcpx-gateway reload', () => {
  it('shows an added upstream to a connected client after list_changed, its session and leases kept', async () => {
    const { gateway, file, url } = await startGateway('add', yaml(['first']))
    const { client, transport, changes } = await connect(url)
    expect(await toolNames(client)).toContain('first_echo')
    const sessionId = transport.sessionId
    const pid = textOf(await client.callTool({ name: 'first_pid' }))

    await writeFile(file, yaml(['first', 'second']))
    await eventually(() => changes.tools > 0, 15_000)

    const names = await toolNames(client)
    expect(names).toContain('second_echo')
    expect(names).toContain('first_echo')
    const echoed = await client.callTool({ name: 'second_echo', arguments: { text: 'new' } })
    expect(textOf(echoed)).toBe('new')
    expect(transport.sessionId).toBe(sessionId)
    // The same child: the unchanged upstream's per-session connection was carried over.
    expect(textOf(await client.callTool({ name: 'first_pid' }))).toBe(pid)
    expect(count(gateway, 'reloaded')).toBe(1)
  })

  it('reloads a file mounted as a Kubernetes ConfigMap when its ..data link is swapped', async () => {
    // The kubelet's layout: the file is a link through `..data` to a timestamped directory, and an
    // update writes a new directory and renames a new `..data` over the old one.
    const mount = await mkdtemp(join(dir, 'configmap-'))
    const version = async (stamp: string, text: string) => {
      await mkdir(join(mount, stamp))
      await writeFile(join(mount, stamp, 'gateway.yaml'), text)
      await symlink(stamp, join(mount, '..data_tmp'))
      await rename(join(mount, '..data_tmp'), join(mount, '..data'))
    }
    await version('..2026_12_02_a', yaml(['first']))
    const file = join(mount, 'gateway.yaml')
    await symlink(join('..data', 'gateway.yaml'), file)
    const gateway = startProcess(process.execPath, [cli, '--config', file], {
      name: 'mcpx-gateway',
      tailLines: 400,
    })
    running.push(gateway)
    const { client, changes } = await connect(new URL(await gateway.ready))
    expect(await toolNames(client)).not.toContain('second_echo')

    await version('..2026_12_02_b', yaml(['first', 'second']))
    await eventually(() => changes.tools > 0, 15_000)
    expect(await toolNames(client)).toContain('second_echo')
    expect(count(gateway, 'reloaded')).toBe(1)
  })

  it('lets a call in flight during a reload complete', async () => {
    const { gateway, file, url } = await startGateway('inflight', yaml(['first']))
    const { client } = await connect(url)
    const call = client.callTool({ name: 'first_slow', arguments: { delayMs: 2_000 } })
    // Sent before the edit: the gateway has it (the fixture answers after 2 s).
    await new Promise((resolve) => setTimeout(resolve, 300))
    await writeFile(file, yaml(['first', 'second']))
    await eventually(() => count(gateway, 'reloaded') === 1, 15_000)
    expect(textOf(await call)).toBe('slow:2000')
  })

  it('refuses a broken edit with its problem and line, the old config still serving', async () => {
    const { gateway, file, url } = await startGateway('broken', yaml(['first']))
    const { client } = await connect(url)

    await writeFile(file, `${yaml(['first'])}  second:\n    args: [x\n`)
    await eventually(() => count(gateway, 'refused') === 1, 15_000)
    expect(gateway.tail()).toMatch(/not valid YAML: .*broken\.yaml:\d+\)/)

    await writeFile(file, yaml(['first', 'second'], 'routes:\n  - tools: "x_*"\n    to: nope\n'))
    await eventually(() => count(gateway, 'refused') === 2, 15_000)
    expect(gateway.tail()).toMatch(/routes\[0\]\.to: names no upstream: "nope".*broken\.yaml:\d+\)/)

    // A section only a restart applies refuses the whole file, its upstreams too.
    await writeFile(file, yaml(['first', 'second']).replace('port: 0', 'port: 1'))
    await eventually(() => count(gateway, 'refused') === 3, 15_000)
    expect(gateway.tail()).toContain('serve: changed; only a restart applies it')

    // The log's format and level were set at start.
    await writeFile(file, yaml(['first', 'second'], 'logging:\n  level: warn\n'))
    await eventually(() => count(gateway, 'refused') === 4, 15_000)
    expect(gateway.tail()).toContain('logging: changed; only a restart applies it')

    expect(count(gateway, 'reloaded')).toBe(0)
    expect(await toolNames(client)).not.toContain('second_echo')
    const echoed = await client.callTool({ name: 'first_echo', arguments: { text: 'old' } })
    expect(textOf(echoed)).toBe('old')
  })

  it('reloads with pins in Redis, refuses pins in memory and a changed redis section', async () => {
    const redis = await startRedis()
    try {
      const pins = (store: string) =>
        `redis:\n  url: ${redis.url}\ntransformers:\n  pinTools:\n    store: ${store}\n`
      const { gateway, file, url } = await startGateway('pins', yaml(['first'], pins('redis')))
      const { client, changes } = await connect(url)
      expect(await toolNames(client)).toContain('first_echo')
      // Pins in Redis outlive the stack: the reload applies, the pins still vouch for the tools.
      await writeFile(file, yaml(['first', 'second'], pins('redis')))
      await eventually(() => count(gateway, 'reloaded') === 1, 15_000)
      await eventually(() => changes.tools > 0, 15_000)
      expect(await toolNames(client)).toContain('second_echo')

      await writeFile(file, yaml(['first', 'second'], pins('memory')))
      await eventually(() => count(gateway, 'refused') === 1, 15_000)
      expect(gateway.tail()).toContain('transformers.pinTools: pins first seen are kept in memory')

      const moved = pins('redis').replace(redis.url, `${redis.url}/1`)
      await writeFile(file, yaml(['first', 'second'], moved))
      await eventually(() => count(gateway, 'refused') === 2, 15_000)
      expect(gateway.tail()).toContain('redis: changed; only a restart applies it')
    } finally {
      await redis.stop()
    }
  })

  it('reloads on SIGHUP', async () => {
    const { gateway, url } = await startGateway('hangup', yaml(['first']))
    const { client, changes } = await connect(url)
    await toolNames(client)
    // The file is unchanged: only the signal can have triggered this reload.
    gateway.child.kill('SIGHUP')
    await eventually(() => changes.tools > 0, 15_000)
    expect(gateway.tail()).toMatch(/reloaded .*hangup\.yaml \(SIGHUP\)/)
    expect(textOf(await client.callTool({ name: 'first_echo', arguments: { text: 'x' } }))).toBe(
      'x',
    )
  })

  it('hides a removed upstream after list_changed and ends its child', async () => {
    const { gateway, file, url } = await startGateway('remove', yaml(['first', 'second']))
    const { client, changes } = await connect(url)
    expect(await toolNames(client)).toContain('second_echo')
    const pid = Number(textOf(await client.callTool({ name: 'second_pid' })))
    expect(alive(pid)).toBe(true)

    await writeFile(file, yaml(['first']))
    await eventually(() => changes.tools > 0, 15_000)
    const names = await toolNames(client)
    expect(names.some((name) => name.startsWith('second_'))).toBe(false)
    expect(names).toContain('first_echo')
    await eventually(() => !alive(pid), 10_000)
    expect(count(gateway, 'removed second')).toBe(1)
  })
})
