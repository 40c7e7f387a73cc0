import { createHealthRegistry, createProxy, type McpProxy } from '@mcpx/core'
import { eventually, faultyBinPath } from '@mcpx/test-utils'
import { forward } from '@mcpx/transports'
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
    const { proxy, pool: p } = start(['--latency', '300'], { min: 1, max: 2, maxInFlight: 1 })
    await eventually(() => p.stats().ready === 1)
    const pids = await Promise.all([pidOf(proxy), pidOf(proxy)])
    expect(new Set(pids).size).toBe(2)
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

  it('answers initialize from a ready child and watches the session-less client', async () => {
    const { proxy } = start([], { min: 1 })
    const response = (await proxy.handle({
      jsonrpc: '2.0',
      id: nextId++,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 't', version: '1' },
      },
    })) as Record<string, any>
    expect(response.result.capabilities.tools).toBeDefined()
  })

  it('leaves no child behind after close(), and no timer keeps it open', async () => {
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
})
