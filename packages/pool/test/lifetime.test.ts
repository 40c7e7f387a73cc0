/**
 * `idleTimeout` and `maxLifetime` of shared slots (docs/pool-design.md §3.1)
 * with real faulty stdio children and short real timers, each wait bounded.
 */
import { createProxy, type McpProxy } from '@mcpx/core'
import { eventually, faultyBinPath } from '@mcpx/test-utils'
import { forward } from '@mcpx/transports'
import { stdio } from '@mcpx/transports/stdio'
import { afterEach, describe, expect, it } from 'vitest'
import { type PoolFactoryOptions, pool } from '../src/index.js'

const bin = faultyBinPath('stdio')
const open: McpProxy[] = []

function start(flags: string[], options: PoolFactoryOptions) {
  const p = pool('faulty', stdio({ command: process.execPath, args: [bin, ...flags] }), {
    log: () => {},
    ...options,
  })
  const proxy = createProxy({ terminal: forward([p]) })
  open.push(proxy)
  return { proxy, pool: p }
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((proxy) => proxy.close()))
})

let nextId = 1
const call = (proxy: McpProxy, name: string, args: Record<string, unknown> = {}) =>
  proxy.handle({
    jsonrpc: '2.0',
    id: nextId++,
    method: 'tools/call',
    params: { name, arguments: args },
  }) as Promise<Record<string, any>>

const pidOf = async (proxy: McpProxy) => Number((await call(proxy, 'pid')).result.content[0].text)

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('idleTimeout', () => {
  it('closes connections above min once idle for idleTimeout, keeps min, and counts evictions', async () => {
    const { proxy, pool: p } = start([], {
      min: 1,
      max: 2,
      maxInFlight: 1,
      // Longer than the check below may take under load after both calls end.
      idleTimeout: 1_500,
    })
    await eventually(() => p.stats().ready === 1)
    const first = await pidOf(proxy)
    // Hold the first child until the second has answered: the pool must grow, whatever the
    // second child's start costs on a loaded machine.
    const hold = new AbortController()
    const held = proxy.handle(
      {
        jsonrpc: '2.0',
        id: nextId++,
        method: 'tools/call',
        params: { name: 'slow', arguments: { delayMs: 30_000 } },
      },
      { signal: hold.signal },
    )
    const second = await pidOf(proxy)
    hold.abort()
    await held.catch(() => {})
    await eventually(() => p.stats().inFlight === 0)
    const pids = [first, second]
    expect(new Set(pids).size).toBe(2)
    // Just idle: not yet closed.
    expect(p.stats()).toMatchObject({ connections: 2, evictions: 0 })
    await eventually(() => p.stats().connections === 1, 5_000)
    expect(p.stats()).toMatchObject({ ready: 1, evictions: 1, restarts: 0 })
    await eventually(() => pids.filter(alive).length === 1, 3_000)
    // min stays, however long it idles.
    await sleep(900)
    expect(p.stats()).toMatchObject({ connections: 1, ready: 1, evictions: 1 })
    expect(pids).toContain(await pidOf(proxy))
  })

  it('keeps a connection above min that serves requests more often than idleTimeout', async () => {
    const { proxy, pool: p } = start([], { min: 0, max: 1, idleTimeout: 400 })
    const first = await pidOf(proxy)
    for (let i = 0; i < 8; i++) {
      await sleep(100)
      expect(await pidOf(proxy)).toBe(first)
    }
    expect(p.stats().evictions).toBe(0)
    await eventually(() => p.stats().connections === 0, 3_000)
    expect(p.stats().evictions).toBe(1)
  })
})

describe('maxLifetime', () => {
  it('replaces a connection older than maxLifetime only after its in-flight request ends', async () => {
    const { proxy, pool: p } = start([], {
      min: 1,
      max: 1,
      maxLifetime: 400,
      acquireTimeout: 5_000,
    })
    await eventually(() => p.stats().ready === 1)
    const first = await pidOf(proxy)
    const slow = call(proxy, 'slow', { delayMs: 1_200 })
    await sleep(800)
    // Past its lifetime but busy: still open, taking no new lease.
    expect(alive(first)).toBe(true)
    expect(p.stats()).toMatchObject({ connections: 1, ready: 0, inFlight: 1, evictions: 0 })
    const answer = await slow
    expect(answer.error).toBeUndefined()
    expect(answer.result).toBeDefined()
    await eventually(() => p.stats().evictions >= 1 && p.stats().ready === 1, 3_000)
    const second = await pidOf(proxy)
    expect(second).not.toBe(first)
    await eventually(() => !alive(first), 3_000)
    // An eviction is no crash.
    expect(p.stats().restarts).toBe(0)
  })

  it('keeps min ready connections while replacing them as they age', async () => {
    const { proxy, pool: p } = start([], { min: 2, max: 3, maxLifetime: 300 })
    await eventually(() => p.stats().ready === 2)
    const seen = new Set<number>()
    const deadline = Date.now() + 1_500
    while (Date.now() < deadline) {
      const response = await call(proxy, 'pid')
      expect(response.error).toBeUndefined()
      seen.add(Number(response.result.content[0].text))
      await sleep(20)
    }
    expect(seen.size).toBeGreaterThan(2)
    expect(p.stats().evictions).toBeGreaterThanOrEqual(2)
    expect(p.stats().connections).toBeLessThanOrEqual(3)
  })
})
