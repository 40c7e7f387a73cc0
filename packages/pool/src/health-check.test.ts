import { eventually } from '@mcpx/test-utils'
import { inProcess } from '@mcpx/transports'
import {
  defaultInitialize,
  openConnection,
  type ServerMessageHandlers,
  type UpstreamConnection,
} from '@mcpx/transports/protocol'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { ErrorCode, McpError, PingRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { createPingSweeper, type PingSweeperOptions, type PingTarget } from './health-check.js'

type PingMode = 'answer' | 'hang' | 'refuse'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  vi.restoreAllMocks()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const handlers: ServerMessageHandlers = {
  request: async () => ({}),
  notification: () => {},
}

interface Target extends PingTarget {
  inFlight: number
}

/**
 * A real SDK server behind a real connection, counting the pings it gets.
 * `mode`: answer `{}`, never answer (until cancelled), or refuse with -32601
 * as a server that does not implement ping does. `onPing(n)` runs as ping n arrives.
 */
async function upstream(
  mode: PingMode = 'answer',
  onPing: (n: number) => PingMode | void = () => {},
) {
  const seen = { pings: 0 }
  const server = new McpServer({ name: 'pinged', version: '1.0.0' })
  server.registerTool('work', { inputSchema: { ms: z.number() } }, async ({ ms }) => {
    await sleep(ms)
    return { content: [{ type: 'text', text: 'done' }] }
  })
  server.server.setRequestHandler(PingRequestSchema, (_request, extra) => {
    const now = onPing(++seen.pings) ?? mode
    if (now === 'refuse') throw new McpError(ErrorCode.MethodNotFound, 'Method not found')
    if (now === 'answer') return {}
    // Hung: no answer; the SDK sends none after the gateway's notifications/cancelled either.
    return new Promise((resolve) =>
      extra.signal.addEventListener('abort', () => resolve({}), { once: true }),
    )
  })
  const connector = inProcess(server)
  const connection: UpstreamConnection = await openConnection('pinged', connector, handlers, {
    initialize: defaultInitialize('shared', connector, undefined),
    connectTimeout: 5_000,
    log: () => {},
  })
  cleanups.push(() => connection.close())
  const target: Target = { connection, inFlight: 0 }
  /** A real call through the connection, counted as the pool's lease would count it. */
  const call = async (ms: number) => {
    target.inFlight++
    try {
      await connection.request('tools/call', { name: 'work', arguments: { ms } })
    } finally {
      target.inFlight--
    }
  }
  return { target, seen, call }
}

function sweep(options: Partial<PingSweeperOptions>, targets: Target[]) {
  const deaths: { target: Target; reason: string }[] = []
  let ticks = 0
  const sweeper = createPingSweeper(
    { pingInterval: 20, pingTimeout: 1_000, pingFailures: 2, keepAlive: 0, ...options },
    () => {
      ticks++
      return targets // as a pool that has not evicted the dead yet
    },
    (target, reason) => deaths.push({ target, reason }),
  )
  cleanups.push(() => sweeper.close())
  return { sweeper, deaths, ticks: () => ticks }
}

describe('createPingSweeper', () => {
  it('reports a hung server dead after exactly pingFailures missed pings, not before, and only once', async () => {
    const deadAtPing: number[] = []
    let deaths: { reason: string }[] = []
    const hung = await upstream('hang', () => void deadAtPing.push(deaths.length))
    const s = sweep({ pingInterval: 20, pingTimeout: 30, pingFailures: 3 }, [hung.target])
    deaths = s.deaths
    await eventually(() => s.deaths.length === 1)
    expect(s.deaths[0]).toEqual({ target: hung.target, reason: 'missed 3 pings' })
    // Each ping arrived while nobody had been reported yet: 2 misses were not enough.
    expect(deadAtPing).toEqual([0, 0, 0])
    // Forgotten: though still listed, it gets no more pings or reports.
    await sleep(120)
    expect(hung.seen.pings).toBe(3)
    expect(s.deaths).toHaveLength(1)
  })

  it('forgets misses once a ping is answered: failures must be in a row', async () => {
    const flaky = await upstream('answer', (n) => (n % 2 === 1 ? 'hang' : 'answer'))
    const s = sweep({ pingInterval: 15, pingTimeout: 25, pingFailures: 2 }, [flaky.target])
    await eventually(() => flaky.seen.pings >= 8)
    expect(s.deaths).toEqual([])
  })

  it('forgives misses when traffic shows the connection alive', async () => {
    const hung = await upstream('hang', (n) => {
      // After the first ping, before the next tick: a call the server answered meanwhile.
      if (n === 1) setTimeout(() => void hung.call(0), 30)
    })
    const s = sweep({ pingInterval: 100, pingTimeout: 20, pingFailures: 2 }, [hung.target])
    await eventually(() => s.deaths.length === 1)
    // Without the answered call, ping 2 would have been the second miss in a row. (A dead target gets no more pings.)
    expect(hung.seen.pings).toBe(3)
  })

  it('keeps a server alive that answers ping with -32601 (it answered)', async () => {
    const refusing = await upstream('refuse')
    await expect(refusing.target.connection.request('ping', undefined)).rejects.toMatchObject({
      code: -32601,
    })
    const s = sweep({ pingInterval: 15, pingTimeout: 200, pingFailures: 1 }, [refusing.target])
    await eventually(() => refusing.seen.pings >= 6)
    expect(s.deaths).toEqual([])
  })

  it('never pings a busy target whose server keeps answering, while an idle one is pinged', async () => {
    const busy = await upstream()
    const idle = await upstream()
    let working = true
    const loops = Array.from({ length: 3 }, async () => {
      while (working) await busy.call(2)
    })
    cleanups.push(async () => {
      working = false
      await Promise.all(loops)
    })
    sweep({ pingInterval: 30 }, [busy.target, idle.target])
    await eventually(() => idle.seen.pings >= 4)
    expect(busy.target.connection.responses).toBeGreaterThan(20)
    expect(busy.seen.pings).toBe(0)
  })

  it('pings a target whose only request is in flight: a request in flight is no proof of life (a hung server has them too)', async () => {
    const busy = await upstream()
    busy.call(2_000).catch(() => {}) // in flight, no response yet; the connection's close ends it
    await eventually(() => busy.target.inFlight === 1)
    const s = sweep({ pingInterval: 20 }, [busy.target])
    await eventually(() => busy.seen.pings >= 3)
    // It answered each one: alive.
    expect(s.deaths).toEqual([])
  })

  it.each([0, 60_000])(
    'pings an idle target every keepAlive ms (pingInterval %i), not one with a request in flight',
    async (pingInterval) => {
      const idle = await upstream()
      const busy = await upstream()
      busy.call(2_000).catch(() => {})
      await eventually(() => busy.target.inFlight === 1)
      sweep({ pingInterval, keepAlive: 25 }, [idle.target, busy.target])
      await eventually(() => idle.seen.pings >= 3)
      expect(busy.seen.pings).toBe(0)
    },
  )

  it('counts missed keepalive pings as health failures', async () => {
    const hung = await upstream('hang')
    const s = sweep({ pingInterval: 0, keepAlive: 20, pingTimeout: 25, pingFailures: 2 }, [
      hung.target,
    ])
    await eventually(() => s.deaths.length === 1)
    expect(s.deaths[0]?.reason).toBe('missed 2 pings')
    expect(hung.seen.pings).toBe(2)
  })

  it("reports nothing for a connection that closed by itself: its close is the pool's to handle", async () => {
    const gone = await upstream()
    await gone.target.connection.close()
    const s = sweep({ pingInterval: 15, pingFailures: 1 }, [gone.target])
    await eventually(() => s.ticks() >= 6)
    expect(s.deaths).toEqual([])
  })

  it('has no timer at all when pingInterval and keepAlive are both 0', async () => {
    const spy = vi.spyOn(globalThis, 'setInterval')
    const target = (await upstream()).target
    const s = sweep({ pingInterval: 0, keepAlive: 0 }, [target])
    await sleep(60)
    expect(spy).not.toHaveBeenCalled()
    expect(s.ticks()).toBe(0)
    s.sweeper.close()
  })

  it("unref's its one timer; close() stops it and ignores a ping that answers later", async () => {
    const spy = vi.spyOn(globalThis, 'setInterval')
    const hung = await upstream('hang')
    const s = sweep({ pingInterval: 15, pingTimeout: 60, pingFailures: 1 }, [hung.target])
    expect(spy).toHaveBeenCalledTimes(1)
    const timer = spy.mock.results[0]?.value as ReturnType<typeof setInterval>
    expect(timer.hasRef()).toBe(false)
    await eventually(() => hung.seen.pings === 1)
    s.sweeper.close()
    s.sweeper.close()
    const ticks = s.ticks()
    await sleep(150) // the ping times out meanwhile; 10 intervals pass
    expect(s.ticks()).toBe(ticks)
    expect(hung.seen.pings).toBe(1)
    expect(s.deaths).toEqual([])
  })
})
