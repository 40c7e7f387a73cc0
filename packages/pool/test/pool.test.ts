import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createHealthRegistry, createProxy, deadlineKey, type McpProxy } from '@mcpx/core'
import { eventually, faultyBinPath } from '@mcpx/test-utils'
import { forward } from '@mcpx/transports'
import { Session } from '@mcpx/transports/protocol'
import { stdio } from '@mcpx/transports/stdio'
import { afterEach, describe, expect, it } from 'vitest'
import { type Pool, type PoolFactoryOptions, pool } from '../src/index.js'

const bin = faultyBinPath('stdio')
const open: { proxy: McpProxy; pool: Pool }[] = []

function start(flags: string[], options: PoolFactoryOptions = {}) {
  const p = pool('faulty', stdio({ command: process.execPath, args: [bin, ...flags] }), {
    log: () => {},
    ...options,
  })
  const proxy = createProxy({ terminal: forward([p]) })
  open.push({ proxy, pool: p })
  return { proxy, pool: p }
}

afterEach(async () => {
  await Promise.all(open.splice(0).map(({ proxy }) => proxy.close()))
})

let nextId = 1
async function call(proxy: McpProxy, name: string, args: Record<string, unknown> = {}) {
  return proxy.handle({
    jsonrpc: '2.0',
    id: nextId++,
    method: 'tools/call',
    params: { name, arguments: args },
  }) as Promise<Record<string, any>>
}

const INITIALIZE_PARAMS = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 't', version: '1' },
}

const textOf = (response: Record<string, any>): string => response.result.content[0].text
const pidOf = async (proxy: McpProxy) => Number(textOf(await call(proxy, 'pid')))

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('pool() in shared mode behind forward()', () => {
  it('spreads calls over 4 children, least in flight first', async () => {
    const { proxy, pool: p } = start(['--latency', '50'], { min: 4, max: 4 })
    await eventually(() => p.stats().ready === 4)
    const pids = await Promise.all(Array.from({ length: 8 }, () => pidOf(proxy)))
    expect(new Set(pids).size).toBe(4)
    expect(p.stats()).toMatchObject({ inFlight: 0, inUse: 0, idle: 4, pending: 0, connections: 4 })
  })

  it('opens another child up to max when every ready one has maxInFlight in flight', async () => {
    const { proxy, pool: p } = start(['--latency', '800'], { min: 1, max: 2, maxInFlight: 1 })
    await eventually(() => p.stats().ready === 1)
    const calls = Promise.all([pidOf(proxy), pidOf(proxy)])
    // The second call found the one child at maxInFlight: a second was opened for it. (Which
    // child serves it depends on whether the second is up before the first call ends.)
    await eventually(() => p.stats().opened === 2)
    await calls
    expect(p.stats()).toMatchObject({ connections: 2, ready: 2, opened: 2, pending: 0 })
  })

  it('restarts a child killed with SIGKILL, serves on, and counts the restart', async () => {
    const { proxy, pool: p } = start([], {
      min: 2,
      max: 2,
      restart: { baseDelay: 20, maxDelay: 50 },
    })
    await eventually(() => p.stats().ready === 2)
    const victim = await pidOf(proxy)
    process.kill(victim, 'SIGKILL')
    await eventually(() => p.stats().ready === 2 && p.stats().restarts === 1)
    const pids = new Set(await Promise.all(Array.from({ length: 6 }, () => pidOf(proxy))))
    expect(pids.has(victim)).toBe(false)
    expect(pids.size).toBe(2)
  })

  it('fails the next request at once when max connections are busy and the queue is full', async () => {
    const { proxy, pool: p } = start(['--hang-after', '0'], {
      min: 1,
      max: 1,
      maxInFlight: 1,
      maxWaiting: 1,
      acquireTimeout: 5_000,
      drainTimeout: 100,
    })
    await eventually(() => p.stats().ready === 1)
    void call(proxy, 'echo', { text: 'hangs' })
    void call(proxy, 'echo', { text: 'queued' })
    await eventually(() => p.stats().inFlight === 1 && p.stats().pending === 1)
    const started = performance.now()
    const response = await call(proxy, 'echo', { text: 'refused' })
    expect(performance.now() - started).toBeLessThan(200)
    expect(response.error).toMatchObject({
      code: -32011,
      message: expect.stringContaining('"faulty"'),
    })
    expect(p.stats().rejected).toBe(1)
  })

  it('lets a request wait at most acquireTimeout when the queue is not full', async () => {
    const { proxy, pool: p } = start(['--hang-after', '0'], {
      min: 1,
      max: 1,
      maxInFlight: 1,
      maxWaiting: 4,
      acquireTimeout: 300,
      drainTimeout: 100,
    })
    await eventually(() => p.stats().ready === 1)
    void call(proxy, 'echo', { text: 'hangs' })
    await eventually(() => p.stats().inFlight === 1)
    const started = performance.now()
    const response = await call(proxy, 'echo', { text: 'waits' })
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(290)
    expect(waited).toBeLessThan(1_000)
    expect(response.error).toMatchObject({
      code: -32011,
      message: 'Upstream "faulty" timed out waiting for a connection',
    })
    expect(p.stats()).toMatchObject({ acquireTimeouts: 1, pending: 0 })
  })

  it("ends a wait for a connection at the request's deadline with -32001, not at acquireTimeout", async () => {
    const { proxy, pool: p } = start(['--hang-after', '0'], {
      min: 1,
      max: 1,
      maxInFlight: 1,
      maxWaiting: 4,
      acquireTimeout: 10_000,
      drainTimeout: 100,
    })
    // A deadline as a timeout policy above forward() sets it, on the waiting call only.
    proxy.use(async function deadline(ctx, next) {
      const args = (ctx.params as { arguments?: { text?: string } } | undefined)?.arguments
      if (args?.text === 'waits') ctx.set(deadlineKey, Date.now() + 300)
      await next()
    })
    await eventually(() => p.stats().ready === 1)
    void call(proxy, 'echo', { text: 'hangs' })
    await eventually(() => p.stats().inFlight === 1)
    const started = performance.now()
    const response = await call(proxy, 'echo', { text: 'waits' })
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(270)
    expect(waited).toBeLessThan(500)
    expect(response.error).toMatchObject({
      code: -32001,
      message: 'Request to upstream "faulty" timed out waiting for a connection',
      data: { upstream: 'faulty' },
    })
    // The deadline is the caller's, not the pool's: no acquire timeout counted, nobody left waiting.
    expect(p.stats()).toMatchObject({ acquireTimeouts: 0, pending: 0 })
  })

  it('reaches failed after the crash-loop limit with --exit-at-startup, and the client’s error says so', async () => {
    const health = createHealthRegistry()
    const { proxy, pool: p } = start(['--exit-at-startup'], {
      min: 1,
      max: 1,
      acquireTimeout: 10_000,
      restart: { baseDelay: 10, maxDelay: 40, crashLoop: { failures: 3, windowMs: 60_000 } },
      healthRegistry: health,
    })
    const response = await call(proxy, 'pid')
    expect(response.error).toMatchObject({
      code: -32010,
      message: expect.stringMatching(/^Upstream "faulty" keeps crashing.*restarts stopped$/),
      data: { upstream: 'faulty', state: 'failed' },
    })
    expect(p.stats()).toMatchObject({ state: 'failed', failed: 1, restarts: 2, pending: 0 })
    expect(health.statusOf('faulty')).toMatchObject({ pool: 'unhealthy' })
    // Once failed, a request fails at once rather than waiting.
    expect((await call(proxy, 'pid')).error).toMatchObject({ code: -32010 })
  })

  it('answers a session-less initialize from a ready child and tracks no session for it', async () => {
    // min 0: no child until the handshake needs one, so the answer comes from one it opened.
    const { proxy, pool: p } = start([], { min: 0, max: 1 })
    expect(p.stats().connections).toBe(0)
    const response = (await proxy.handle({
      jsonrpc: '2.0',
      id: nextId++,
      method: 'initialize',
      params: INITIALIZE_PARAMS,
    })) as Record<string, any>
    expect(response.result.capabilities.tools).toBeDefined()
    expect(p.stats()).toMatchObject({ opened: 1, ready: 1, sessions: 0 })
  })

  it('watches a session that initializes through it until the session closes', async () => {
    const { proxy, pool: p } = start([], { min: 0, max: 1 })
    const sent: Record<string, any>[] = []
    const session = new Session({
      proxy,
      info: { id: 'watched', transport: 'test' },
      send: (message) => sent.push(message as Record<string, any>),
    })
    session.receive({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INITIALIZE_PARAMS })
    await eventually(() => sent.some((m) => m.id === 1))
    expect(sent.find((m) => m.id === 1)?.result.capabilities.tools).toBeDefined()
    expect(p.stats()).toMatchObject({ opened: 1, ready: 1, sessions: 1 })
    session.close()
    expect(p.stats().sessions).toBe(0)
  })

  it('leaves no child behind after close(), and refuses requests after it', async () => {
    const { proxy, pool: p } = start([], { min: 3, max: 3 })
    await eventually(() => p.stats().ready === 3)
    const pids = new Set(await Promise.all(Array.from({ length: 9 }, () => pidOf(proxy))))
    expect(pids.size).toBe(3)
    await proxy.close()
    await eventually(() => ![...pids].some(alive))
    expect(p.stats()).toMatchObject({ state: 'closed', connections: 0, inFlight: 0 })
    expect((await call(proxy, 'pid')).error).toMatchObject({
      code: -32010,
      message: 'Upstream "faulty" is shutting down',
    })
  })
  it('lets a process exit on its own after close(): no timer or handle keeps it open', async () => {
    // A fresh process, because this worker's own timers and pipes would hide a leak. Built entry (as runtime-neutral.test.ts).
    const script = `
      import { createProxy } from '@mcpx/core'
      import { forward } from '@mcpx/transports'
      import { stdio } from '@mcpx/transports/stdio'
      import { pool } from '@mcpx/pool'
      const p = pool('faulty', stdio({ command: process.execPath, args: [${JSON.stringify(bin)}] }), {
        min: 3, max: 3, log: () => {},
      })
      const proxy = createProxy({ terminal: forward([p]) })
      const calls = Array.from({ length: 9 }, (_, i) =>
        proxy.handle({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'pid', arguments: {} } }))
      const answers = await Promise.all(calls)
      if (answers.some((a) => !a.result)) throw new Error('a call failed')
      await proxy.close()
      console.log('closed')
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    let timer: ReturnType<typeof setTimeout> | undefined
    const code = await Promise.race([
      exited,
      new Promise<'alive'>((resolve) => {
        timer = setTimeout(resolve, 10_000, 'alive')
      }),
    ])
    clearTimeout(timer)
    if (code === 'alive') child.kill('SIGKILL')
    expect(out.trim()).toBe('closed')
    expect(code).toBe(0)
  })
})
