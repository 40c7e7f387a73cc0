/**
 * concurrencyLimit() through a real proxy to an in-process fault-injecting
 * server whose `slow` tool holds its request: over the limit a request is
 * refused at once naming the upstream, or waits in the bounded queue.
 */
import {
  Context,
  createProxy,
  createStatsRegistry,
  ErrorCode,
  type McpProxy,
  targetKey,
} from '@mcpx/core'
import { createFaultyServer } from '@mcpx/test-utils'
import { forward, inProcess, upstream } from '@mcpx/transports'
import { afterEach, describe, expect, it } from 'vitest'
import { type ConcurrencyLimitOptions, concurrencyLimit } from '../src/concurrency-limit.js'
import { timeout } from '../src/timeout.js'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

function gateway(options: ConcurrencyLimitOptions) {
  const up = upstream('search', inProcess(createFaultyServer()), { mode: 'shared', log: () => {} })
  const proxy = createProxy({ terminal: forward(up) })
  const limit = concurrencyLimit({ upstream: 'search', ...options })
  proxy.use(limit)
  cleanup.push(() => proxy.close())
  return { proxy, limit }
}

let id = 0
const slow = (proxy: McpProxy, delayMs: number) =>
  proxy.handle({
    jsonrpc: '2.0',
    id: ++id,
    method: 'tools/call',
    params: { name: 'slow', arguments: { delayMs } },
  }) as Promise<Record<string, any>>

describe('concurrencyLimit() through a proxy', () => {
  it('refuses the request over the limit at once with -32011 naming the upstream, and counts it', async () => {
    const { proxy, limit } = gateway({ limit: 2 })
    const held = [slow(proxy, 300), slow(proxy, 300)]
    const started = performance.now()
    const refused = await slow(proxy, 0)
    expect(performance.now() - started).toBeLessThan(100)
    expect(refused.error).toMatchObject({
      code: ErrorCode.Overloaded,
      message: 'Upstream "search" has 2 requests in flight (its limit)',
    })
    for (const answer of await Promise.all(held)) expect(answer.result).toBeDefined()
    expect(limit.bulkhead('search')).toMatchObject({ active: 0, rejected: 1 })
  })

  it('lets a queued request wait for a slot and serves it when one frees', async () => {
    const { proxy } = gateway({ limit: 1, queue: 1, queueTimeout: 2_000 })
    const first = slow(proxy, 150)
    const second = slow(proxy, 0)
    expect((await first).result).toBeDefined()
    expect((await second).result).toBeDefined()
  })

  it('refuses the request beyond the queue at once', async () => {
    const { proxy } = gateway({ limit: 1, queue: 1, queueTimeout: 2_000 })
    const held = [slow(proxy, 200), slow(proxy, 0)]
    const refused = await slow(proxy, 0)
    expect(refused.error.code).toBe(ErrorCode.Overloaded)
    await Promise.all(held)
  })

  it('refuses a limit that is not an integer ≥ 1', () => {
    expect(() => concurrencyLimit({ limit: 0 })).toThrow('[@mcpx/breaker] limit must be')
  })
})

describe('concurrencyLimit() and a deadline set above', () => {
  it("ends a queued request's wait at the deadline with -32001, not at queueTimeout", async () => {
    const up = upstream('search', inProcess(createFaultyServer()), {
      mode: 'shared',
      log: () => {},
    })
    const proxy = createProxy({ terminal: forward(up) })
    const limit = concurrencyLimit({ upstream: 'search', limit: 1, queue: 1, queueTimeout: 5_000 })
    // The deadline is set above the limit, so the wait for a slot counts against it.
    proxy.use(timeout(200), limit)
    cleanup.push(() => proxy.close())
    expect((await slow(proxy, 0)).result).toBeDefined()
    // Something else holds the one slot for longer than the deadline.
    const bulkhead = limit.bulkhead('search')!
    expect(bulkhead.tryEnter()).toBe(true)
    const started = performance.now()
    const waiting = await slow(proxy, 0)
    const took = performance.now() - started
    bulkhead.leave()
    expect(waiting.error).toMatchObject({
      code: ErrorCode.RequestTimeout,
      message: 'Request to upstream "search" timed out waiting for a free slot',
    })
    expect(took).toBeGreaterThanOrEqual(180)
    expect(took).toBeLessThan(400)
  })
})

describe('concurrencyLimit() called directly', () => {
  const message = () =>
    new Context<string>({ kind: 'request', id: 1, method: 'tools/call', params: { name: 'x' } })

  it('gives the slot back when next() throws synchronously', async () => {
    const limit = concurrencyLimit({ limit: 1 })
    const boom = new Error('boom')
    await expect(
      limit(message(), () => {
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(limit.bulkhead('default')?.active).toBe(0)
    await expect(limit(message(), () => Promise.resolve())).resolves.toBeUndefined()
  })

  it('refuses with a rejected promise, never a synchronous throw, and frees nothing it did not take', async () => {
    const limit = concurrencyLimit({ limit: 1 })
    let release!: () => void
    const held = limit(message(), () => new Promise<void>((resolve) => (release = resolve)))
    let refused: Promise<void> | undefined
    expect(() => {
      refused = limit(message(), () => Promise.resolve())
    }).not.toThrow()
    await expect(refused).rejects.toMatchObject({ code: ErrorCode.Overloaded })
    expect(limit.bulkhead('default')?.active).toBe(1)
    release()
    await held
    expect(limit.bulkhead('default')?.active).toBe(0)
  })

  it('forgets an idle bulkhead before a busy one past maxUpstreams, and keeps counting what the forgotten refused', async () => {
    const stats = createStatsRegistry()
    const limit = concurrencyLimit({ limit: 1, maxUpstreams: 2, statsRegistry: stats })
    cleanup.push(async () => limit.close())
    const to = (upstream: string) => {
      const ctx = message()
      ctx.set(targetKey, { upstream, method: 'tools/call', params: { name: 'x' } })
      return ctx
    }
    let release!: () => void
    const held = limit(to('a'), () => new Promise<void>((resolve) => (release = resolve)))
    await expect(limit(to('a'), () => Promise.resolve())).rejects.toMatchObject({ code: -32011 })
    await limit(to('b'), () => Promise.resolve())
    await limit(to('a'), () => Promise.resolve()).catch(() => {}) // a used again, after b
    await limit(to('c'), () => Promise.resolve()) // one must go: b is idle, a is busy
    expect(limit.bulkhead('a')?.active).toBe(1)
    expect(limit.bulkhead('b')).toBeUndefined()
    release()
    await held
    const [source] = stats.sources()
    expect(source!.read()).toMatchObject({ rejected: 2 })
  })
})
