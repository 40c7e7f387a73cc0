/**
 * Issue 12's breaker acceptance, end to end: real proxies, `forward()` and
 * in-process fault-injecting SDK servers (`@mcpx/test-utils`) whose faults
 * the test changes while they run. An upstream that starts failing is cut
 * off after the threshold (later calls answered at once, never reaching it),
 * probed after the open duration and closed when it recovers; with a router
 * and the health registry, traffic goes to the healthy replica meanwhile.
 */
import {
  Context,
  createHealthRegistry,
  createProxy,
  createStatsRegistry,
  ErrorCode,
  type McpProxy,
  McpxError,
} from '@mcpx/core'
import { router } from '@mcpx/router'
import { createFaultController, createFaultyServer, eventually } from '@mcpx/test-utils'
import { forward, inProcess, upstream } from '@mcpx/transports'
import { afterEach, describe, expect, it } from 'vitest'
import { breaker } from '../src/breaker.js'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

function faulty(name: string) {
  const faults = createFaultController()
  const up = upstream(name, inProcess(createFaultyServer(faults)), {
    mode: 'shared',
    log: () => {},
  })
  return { up, faults }
}

let id = 0
const call = (proxy: McpProxy, name = 'echo') =>
  proxy.handle({
    jsonrpc: '2.0',
    id: ++id,
    method: 'tools/call',
    params: { name, arguments: { text: 'x' } },
  }) as Promise<Record<string, any>>

/**
 * Two replicas of `math` behind a router reading the breaker's health, and
 * replica a failing until its circuit opened (for `openDuration` ms).
 */
async function replicasWithAOpen(openDuration: number) {
  const a = faulty('math-a')
  const b = faulty('math-b')
  const health = createHealthRegistry()
  const proxy = createProxy({ terminal: forward([a.up, b.up]) })
  proxy.use(
    router({ upstreams: { math: { replicas: ['math-a', 'math-b'] } }, default: 'math', health }),
  )
  const guard = breaker({
    healthRegistry: health,
    strategy: { kind: 'consecutive', failures: 2 },
    openDuration,
  })
  proxy.use(guard)
  cleanup.push(async () => {
    guard.close()
    await proxy.close()
  })
  a.faults.set({ errorRate: 1 })
  // Round robin: a's share fails until its circuit opens.
  for (let i = 0; i < 6 && guard.circuit('math-a')?.state.kind !== 'open'; i++) await call(proxy)
  expect(guard.circuit('math-a')?.state.kind).toBe('open')
  return { a, b, health, proxy, guard }
}

describe('breaker() through a proxy', () => {
  it('cuts off a failing upstream after the threshold, probes it after the open duration, and closes when it recovers', async () => {
    const { up, faults } = faulty('math')
    const proxy = createProxy({ terminal: forward(up) })
    const guard = breaker({
      upstream: 'math',
      strategy: { kind: 'consecutive', failures: 3 },
      openDuration: 300,
    })
    proxy.use(guard)
    cleanup.push(async () => {
      guard.close()
      await proxy.close()
    })
    expect((await call(proxy)).result).toBeDefined()

    faults.set({ errorRate: 1 })
    for (let i = 0; i < 3; i++) expect((await call(proxy)).error.code).toBe(ErrorCode.InternalError)
    expect(guard.circuit('math')?.state.kind).toBe('open')

    // Open: answered at once, and the upstream sees none of them.
    const received = faults.stats().received
    const started = performance.now()
    for (let i = 0; i < 5; i++) {
      const { error } = await call(proxy)
      expect(error).toMatchObject({
        code: ErrorCode.UpstreamUnavailable,
        message: 'Upstream "math" is failing: circuit open',
      })
    }
    expect(performance.now() - started).toBeLessThan(100)
    expect(faults.stats().received).toBe(received)

    // After the open duration one trial call goes through; the upstream has recovered.
    faults.set({})
    await eventually(() => guard.circuit('math')?.state.kind === 'half-open', 2_000)
    expect((await call(proxy)).result).toBeDefined()
    expect(guard.circuit('math')?.state.kind).toBe('closed')
    expect(faults.stats().received).toBe(received + 1)
  })

  it('opens again, for longer, when the trial call fails', async () => {
    const { up, faults } = faulty('math')
    const proxy = createProxy({ terminal: forward(up) })
    const guard = breaker({
      upstream: 'math',
      strategy: { kind: 'consecutive', failures: 1 },
      openDuration: { baseDelay: 100, maxDelay: 1_000, factor: 4 },
    })
    proxy.use(guard)
    cleanup.push(async () => {
      guard.close()
      await proxy.close()
    })
    faults.set({ errorRate: 1 })
    await call(proxy)
    const first = guard.circuit('math')!.state as { until: number; since: number }
    expect(first.until - first.since).toBe(100)
    await eventually(() => guard.circuit('math')?.state.kind === 'half-open', 2_000)
    expect((await call(proxy)).error.code).toBe(ErrorCode.InternalError)
    const second = guard.circuit('math')!.state as { kind: string; until: number; since: number }
    expect(second.kind).toBe('open')
    expect(second.until - second.since).toBe(400)
  })

  it("does not count a client's own invalid params against the upstream", async () => {
    const { up } = faulty('math')
    const proxy = createProxy({ terminal: forward(up) })
    const guard = breaker({ upstream: 'math', strategy: { kind: 'consecutive', failures: 1 } })
    proxy.use(guard)
    cleanup.push(async () => {
      guard.close()
      await proxy.close()
    })
    const bad = (await proxy.handle({
      jsonrpc: '2.0',
      id: ++id,
      method: 'tools/call',
      params: { name: 'no-such-tool', arguments: {} },
    })) as Record<string, any>
    expect(bad.error.code).toBe(ErrorCode.InvalidParams)
    expect(guard.circuit('math')?.state.kind).toBe('closed')
  })

  it("sends traffic to the healthy replica while a replica's circuit is open (the router reads the health registry)", async () => {
    const { a, b, health, proxy } = await replicasWithAOpen(60_000)
    expect(health.isAvailable('math-a')).toBe(false)
    const before = { a: a.faults.stats().received, b: b.faults.stats().received }
    const answers = await Promise.all(Array.from({ length: 10 }, () => call(proxy)))
    for (const answer of answers) expect(answer.result).toBeDefined()
    expect(a.faults.stats().received).toBe(before.a)
    expect(b.faults.stats().received).toBe(before.b + 10)
  })
})

describe('breaker() and the router while a replica is half-open', () => {
  it('sends the half-open replica only its trial call; the rest of its share goes to the sibling, with no client error', async () => {
    const { a, b, health, proxy, guard } = await replicasWithAOpen(200)
    // Recovered, but slow: its trial call is still running while the others arrive.
    a.faults.set({ errorRate: 0, latencyMs: 300 })
    await eventually(() => health.statusOf('math-a').breaker === 'half-open', 2_000)
    const before = { a: a.faults.stats().received, b: b.faults.stats().received }
    const answers = await Promise.all(Array.from({ length: 10 }, () => call(proxy)))
    for (const answer of answers) expect(answer.result).toBeDefined()
    expect(a.faults.stats().received - before.a).toBe(1)
    expect(b.faults.stats().received - before.b).toBe(9)
    expect(guard.circuit('math-a')?.state.kind).toBe('closed')
    expect(health.statusOf('math-a').breaker).toBe('ready')
  })
})

describe('breaker() and server-to-client requests', () => {
  it('lets sampling, elicitation and roots requests through untouched: a client error there is no upstream failure', async () => {
    const guard = breaker({ upstream: 'math', strategy: { kind: 'consecutive', failures: 1 } })
    const { Context } = await import('@mcpx/core')
    const ctx = Context.from(
      { jsonrpc: '2.0', id: 1, method: 'sampling/createMessage', params: {} },
      { direction: 'toClient' },
    ) as unknown as Parameters<typeof guard>[0]
    await expect(
      guard(ctx, async () => {
        throw new Error('the client failed')
      }),
    ).rejects.toThrow('the client failed')
    expect(guard.circuit('math')).toBeUndefined()
    guard.close()
  })
})

describe('breaker() called directly', () => {
  const message = () =>
    new Context<string>({ kind: 'request', id: 1, method: 'tools/call', params: { name: 'echo' } })

  it('counts a failure when next() throws synchronously, and rethrows it as a rejection', async () => {
    const guard = breaker({ strategy: { kind: 'consecutive', failures: 1 } })
    cleanup.push(async () => guard.close())
    const boom = new McpxError(ErrorCode.InternalError, 'boom')
    const done = guard(message(), () => {
      throw boom
    })
    await expect(done).rejects.toBe(boom)
    expect(guard.circuit('default')?.state.kind).toBe('open')
  })

  it('counts a failure a layer below answered with ctx.error instead of throwing', async () => {
    const guard = breaker({ strategy: { kind: 'consecutive', failures: 1 } })
    cleanup.push(async () => guard.close())
    const ctx = message()
    await guard(ctx, async () => {
      ctx.error = new McpxError(ErrorCode.InternalError, 'boom')
    })
    expect(guard.circuit('default')?.state.kind).toBe('open')
  })

  it("with per: 'tool', junk tool names neither evict an upstream's open circuit nor an open tool circuit while closed ones remain", async () => {
    const health = createHealthRegistry()
    const guard = breaker({
      per: 'tool',
      maxCircuits: 3,
      healthRegistry: health,
      strategy: { kind: 'consecutive', failures: 1 },
      openDuration: 60_000,
    })
    cleanup.push(async () => guard.close())
    const fails = () => Promise.reject(new McpxError(ErrorCode.InternalError, 'boom'))
    const call = (params: Record<string, unknown>, method = 'tools/call') =>
      guard(new Context<string>({ kind: 'request', id: 1, method, params }), fails).catch(() => {})
    await call({}, 'tools/list') // the upstream's own circuit
    await call({ name: 'echo' }) // a tool's
    expect(guard.circuit('default')?.state.kind).toBe('open')
    expect(guard.circuit('default', 'echo')?.state.kind).toBe('open')
    expect(health.isAvailable('default')).toBe(false)
    for (let i = 0; i < 10; i++) {
      await guard(
        new Context<string>({
          kind: 'request',
          id: 1,
          method: 'tools/call',
          params: { name: `junk${i}` },
        }),
        () => Promise.resolve(),
      )
    }
    expect(guard.circuit('default')?.state.kind).toBe('open')
    expect(guard.circuit('default', 'echo')?.state.kind).toBe('open')
    expect(health.isAvailable('default')).toBe(false)
  })

  it('keeps counting the times circuits opened after they are forgotten (stats counters never go back)', async () => {
    const stats = createStatsRegistry()
    const guard = breaker({
      per: 'tool',
      maxCircuits: 1,
      statsRegistry: stats,
      strategy: { kind: 'consecutive', failures: 1 },
    })
    cleanup.push(async () => guard.close())
    const fails = () => Promise.reject(new McpxError(ErrorCode.InternalError, 'boom'))
    for (const name of ['a', 'b', 'c']) {
      await guard(
        new Context<string>({ kind: 'request', id: 1, method: 'tools/call', params: { name } }),
        fails,
      ).catch(() => {})
    }
    const [source] = stats.sources()
    expect(source!.read()).toMatchObject({ circuits: 1, opened: 3 })
  })

  it('answers an open circuit with a rejected promise, never a synchronous throw', async () => {
    const guard = breaker({ strategy: { kind: 'consecutive', failures: 1 }, openDuration: 60_000 })
    cleanup.push(async () => guard.close())
    await expect(
      guard(message(), () => Promise.reject(new McpxError(ErrorCode.InternalError, 'boom'))),
    ).rejects.toThrow('boom')
    let done: Promise<void> | undefined
    expect(() => {
      done = guard(message(), () => Promise.resolve())
    }).not.toThrow()
    await expect(done).rejects.toMatchObject({ name: 'CircuitOpenError' })
  })
})
