import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { faultyBinPath, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const faulty = { command: process.execPath, args: [faultyBinPath('stdio')], mode: 'shared' }
/** The fault-injecting fixture's tools, as it lists them. */
const TOOLS = [
  'client_info',
  'echo',
  'faults',
  'pid',
  'sample',
  'slow',
  'stateful_get',
  'stateful_set',
  'stats',
]
const HASH = /^sha256:[0-9a-f]{64}$/
const OTHER = `sha256:${'0'.repeat(64)}`
const running: StartedProcess[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-pins-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

interface Lock {
  version: 1
  tools: Record<string, Record<string, string>>
}

/** A config with the fixture pinned through `lock` (relative to the config), in a directory of its own. */
async function setUp(
  name: string,
  pinTools: Record<string, unknown> = { lockFile: `${name}.lock.json` },
) {
  const config = join(dir, `${name}.json`)
  await writeFile(config, JSON.stringify({ transformers: { pinTools }, upstreams: { faulty } }))
  return { config, lock: join(dir, `${name}.lock.json`) }
}

function pins(...args: string[]) {
  const run = spawnSync(process.execPath, [cli, 'pins', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  const lines = (text: string) => text.split('\n').filter((line) => line !== '')
  return { status: run.status, out: lines(run.stdout), err: lines(run.stderr) }
}

const readLock = async (path: string): Promise<Lock> => JSON.parse(await readFile(path, 'utf8'))

describe('mcpx-gateway pins', () => {
  it('approve --all writes the first lock when the lock file does not exist yet', async () => {
    const { config, lock } = await setUp('first')
    const run = pins('approve', '--config', config, '--all')
    expect(run.status).toBe(0)
    expect(run.out.map((line) => line.split('  ')[0]).sort()).toEqual(
      TOOLS.map((tool) => `approved faulty/${tool}`),
    )
    const written = await readLock(lock)
    expect(Object.keys(written.tools.faulty!).sort()).toEqual(TOOLS)
    for (const hash of Object.values(written.tools.faulty!)) expect(hash).toMatch(HASH)
  })

  it('list shows every tool pinned once the lock holds what the upstream lists, and nothing held', async () => {
    const { config, lock } = await setUp('listed')
    expect(pins('approve', '--config', config, '--all').status).toBe(0)
    const written = await readLock(lock)
    const run = pins('list', '--config', config)
    expect(run.status).toBe(0)
    expect(run.out.sort()).toEqual(
      TOOLS.map((tool) => `faulty/${tool}  pinned  ${written.tools.faulty![tool]}`),
    )
    expect(run.err.join('\n')).not.toContain('held back')
  })

  it('list names a tool whose definition differs from its pin, with both hashes', async () => {
    const { config, lock } = await setUp('changed')
    pins('approve', '--config', config, '--all')
    const real = await readLock(lock)
    await writeFile(
      lock,
      JSON.stringify({ version: 1, tools: { faulty: { ...real.tools.faulty, echo: OTHER } } }),
    )
    const run = pins('list', '--config', config)
    expect(run.status).toBe(0)
    expect(run.out).toContain(`faulty/echo  changed  ${real.tools.faulty!.echo}  (pinned ${OTHER})`)
    expect(run.out).not.toContain(`faulty/echo  pinned  ${OTHER}`)
    expect(run.err).toContain(
      '1 held back: mcpx-gateway pins approve --config <file> <upstream>/<tool>... or --all',
    )
  })

  it('approve of one tool pins its listed definition and keeps every other pin of the lock', async () => {
    const { config, lock } = await setUp('one')
    pins('approve', '--config', config, '--all')
    const real = await readLock(lock)
    await writeFile(
      lock,
      JSON.stringify({
        version: 1,
        tools: { faulty: { ...real.tools.faulty, echo: OTHER, slow: OTHER } },
      }),
    )
    const run = pins('approve', '--config', config, 'faulty/echo')
    expect(run.status).toBe(0)
    expect(run.out).toEqual([`approved faulty/echo  ${real.tools.faulty!.echo}`])
    // slow was not approved: its pin (the lock's) stays as it was.
    expect((await readLock(lock)).tools.faulty).toEqual({ ...real.tools.faulty, slow: OTHER })
  })

  it('refuses to approve a tool that is not held back, and writes nothing', async () => {
    const { config, lock } = await setUp('absent')
    pins('approve', '--config', config, '--all')
    const before = await readFile(lock, 'utf8')
    const run = pins('approve', '--config', config, 'faulty/echo', 'faulty/nope')
    expect(run.status).toBe(1)
    expect(run.err).toContain('mcpx-gateway pins: faulty/echo is not held back; nothing written')
    expect(run.err).toContain('mcpx-gateway pins: faulty/nope is not held back; nothing written')
    expect(await readFile(lock, 'utf8')).toBe(before)
  })

  it('a gateway started on the approved lock lists and calls the approved tools', async () => {
    const { config } = await setUp('served')
    pins('approve', '--config', config, '--all')
    const gateway = startProcess(process.execPath, [cli, '--port', '0', '--config', config], {
      name: 'mcpx-gateway',
    })
    running.push(gateway)
    const client = new Client({ name: 't', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(new URL(await gateway.ready)))
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(TOOLS)
    const echoed = await client.callTool({ name: 'echo', arguments: { text: 'approved' } })
    expect(echoed).toMatchObject({ content: [{ type: 'text', text: 'approved' }] })
    await client.close()
  })

  it.each([
    ['no action', [], /^mcpx-gateway pins: usage: /],
    ['an unknown action', ['remove', '--config', 'x.json'], /^mcpx-gateway pins: usage: /],
    ['no --config', ['list'], /^mcpx-gateway pins: --config <file> is required$/],
    [
      'approve with neither --all nor names',
      ['approve', '--config', 'x.json'],
      /not both or neither$/,
    ],
    [
      'approve with both',
      ['approve', '--config', 'x.json', '--all', 'a/b'],
      /not both or neither$/,
    ],
    [
      'a name without a slash',
      ['approve', '--config', 'x.json', 'echo'],
      /^mcpx-gateway pins: not <upstream>\/<tool>: echo$/,
    ],
    [
      'an unknown flag',
      ['list', '--config', 'x.json', '--force'],
      /^mcpx-gateway pins: Unknown option '--force'$/,
    ],
  ])('refuses %s with exit code 2 and no stack trace', (_, args, message) => {
    const run = pins(...args)
    expect(run.status).toBe(2)
    expect(run.err[0]).toMatch(message)
    expect(run.err.join('\n')).not.toMatch(/^\s+at /m)
  })

  it('refuses approve when the config names no lock file: there is nowhere to write the pins', async () => {
    const { config } = await setUp('nolock', {})
    const run = pins('approve', '--config', config, '--all')
    expect(run.status).toBe(2)
    expect(run.err.at(-1)).toBe(
      `mcpx-gateway pins: ${config}: approving needs transformers.pinTools.lockFile, where the approved pins are written`,
    )
  })

  it('refuses a config without a pinTools section', async () => {
    const config = join(dir, 'nopins.json')
    await writeFile(config, JSON.stringify({ upstreams: { faulty } }))
    const run = pins('list', '--config', config)
    expect(run.status).toBe(2)
    expect(run.err.at(-1)).toBe(
      `mcpx-gateway pins: ${config}: has no transformers.pinTools section`,
    )
  })
})
