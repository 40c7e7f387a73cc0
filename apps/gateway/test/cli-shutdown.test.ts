import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually, readStat, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const slowServer = fileURLToPath(new URL('./fixtures/slow-server.mjs', import.meta.url))
const running: StartedProcess[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-gateway-shutdown-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
})

const CLIENTS = 20
const CALLS_PER_CLIENT = 10
const DEADLINE = 1_000
const FAST = 500

/** Whether `pid` still runs: signal 0 reaches it and it is not a zombie (exited, not yet reaped). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  return readStat(pid)?.zombie === false
}

/** The gateway on a config whose one upstream is the slow fixture, one child per session. */
async function startGateway(name: string, pidDir: string) {
  const path = join(dir, `${name}.json`)
  const slow = { command: process.execPath, args: [slowServer], env: { PID_DIR: pidDir } }
  await writeFile(
    path,
    JSON.stringify({ serve: { port: 0, shutdownTimeout: DEADLINE }, upstreams: { slow } }),
  )
  const gateway = startProcess(process.execPath, [cli, '--config', path], {
    name: 'mcpx-gateway',
    tailLines: 200,
  })
  running.push(gateway)
  return { gateway, url: new URL(await gateway.ready) }
}

async function connect(url: URL): Promise<Client> {
  const client = new Client({ name: 'shutdown-test', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(url))
  return client
}

type Outcome = { ok: true; text: string } | { ok: false; message: string }

describe('mcpx-gateway on SIGTERM', () => {
  it('settles 200 in-flight calls, exits 0 within the deadline and leaves no child', async () => {
    const pidDir = await mkdtemp(join(dir, 'pids-'))
    const { gateway, url } = await startGateway('drain', pidDir)
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(url)))
    // Per session, one child: every client has its own upstream process by now.
    const pids = (await readdir(pidDir)).map(Number)
    expect(pids.every(Number.isInteger)).toBe(true)
    expect(pids.length).toBeGreaterThanOrEqual(CLIENTS)
    const outcomes: Promise<Outcome>[] = []
    for (const client of clients) {
      for (let i = 0; i < CALLS_PER_CLIENT; i++) {
        // Half finish during the drain, well before the deadline; half would take ten times longer.
        const ms = i % 2 === 0 ? FAST : 10 * DEADLINE
        outcomes.push(
          client
            .callTool({ name: 'sleep', arguments: { ms } }, undefined, { timeout: 30_000 })
            .then(
              (result) => ({
                ok: true as const,
                text: (result.content as { text: string }[])[0]?.text ?? '',
              }),
              (error: Error) => ({ ok: false as const, message: error.message }),
            ),
        )
      }
    }
    // Every call is in flight at the upstream: none is still waiting to be accepted by the gateway.
    const started = async () =>
      (await readdir(pidDir)).filter((file) => file.startsWith('call-')).length
    await eventually(async () => (await started()) === CLIENTS * CALLS_PER_CLIENT, 15_000)
    const signalled = performance.now()
    gateway.child.kill('SIGTERM')
    const exit = await gateway.exited
    const took = performance.now() - signalled
    const settled = await Promise.race([
      Promise.all(outcomes),
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000)),
    ])
    await Promise.all(clients.map((client) => client.close().catch(() => {})))
    expect(exit).toEqual({ code: 0, signal: null })
    expect(took).toBeLessThan(DEADLINE + 5_000)
    expect(settled).not.toBe('hung')
    const all = settled as Outcome[]
    expect(all).toHaveLength(CLIENTS * CALLS_PER_CLIENT)
    const failed = all.filter((outcome) => !outcome.ok)
    const wrong = failed.filter((outcome) => !/shutting down/.test(outcome.message))
    expect(wrong).toEqual([])
    // The short calls were answered; the long ones were ended at the deadline.
    expect(all.filter((outcome) => outcome.ok && outcome.text === `slept ${FAST}`)).toHaveLength(
      100,
    )
    expect(failed).toHaveLength(100)
    // Each call ended at the deadline was cancelled at the upstream too, and none that was answered.
    const files = await readdir(pidDir)
    const cancelled = files.filter((file) => file.startsWith('cancelled-')).map((f) => f.slice(10))
    expect(cancelled).toHaveLength(100)
    const calls = new Set(files.filter((file) => file.startsWith('call-')).map((f) => f.slice(5)))
    expect(cancelled.filter((call) => !calls.has(call))).toEqual([])
    await eventually(() => !pids.some(alive), 5_000).catch(() => {})
    expect(pids.filter(alive).map((pid) => readStat(pid))).toEqual([])
  }, 60_000)
})
