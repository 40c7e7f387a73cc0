import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { ErrorCode, type McpError } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createFaultController,
  type FaultController,
  type FaultOptions,
} from './fault-controller.js'
import { createFaultyServer } from './faulty-server.js'

const clients: Client[] = []
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

/** The SDK's real Client, connected in memory to a faulty server. */
async function connect(faults: FaultOptions | FaultController = {}): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  const client = new Client({ name: 'faulty-test', version: '1.0.0' })
  clients.push(client)
  await createFaultyServer(faults).connect(serverSide)
  await client.connect(clientSide)
  return client
}

const textOf = (result: unknown) =>
  (result as { content: { type: string; text?: string }[] }).content.map((c) => c.text).join('')

const echo = (client: Client, value = 'x', timeout?: number) =>
  client.callTool({ name: 'echo', arguments: { text: value } }, undefined, { timeout })

/** 'ok', 'result' (an isError result) or the JSON-RPC error code of each of `n` echo calls. */
async function outcomes(client: Client, n: number): Promise<(string | number)[]> {
  const seen: (string | number)[] = []
  for (let i = 0; i < n; i++) {
    try {
      seen.push((await echo(client)).isError ? 'result' : 'ok')
    } catch (error) {
      seen.push((error as McpError).code)
    }
  }
  return seen
}

describe('createFaultyServer in process', () => {
  it('serves its tools and answers echo with the text', async () => {
    const client = await connect()
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'client_info',
        'echo',
        'faults',
        'pid',
        'sample',
        'slow',
        'stateful_get',
        'stateful_set',
        'stats',
      ].sort(),
    )
    expect(textOf(await echo(client, 'hello'))).toBe('hello')
    expect(textOf(await client.callTool({ name: 'pid' }))).toBe(String(process.pid))
  })

  it('fails every call at errorRate 1 with -32603, and none at errorRate 0', async () => {
    expect(await outcomes(await connect({ errorRate: 1 }), 5)).toEqual(
      Array(5).fill(ErrorCode.InternalError),
    )
    expect(await outcomes(await connect({ errorRate: 0 }), 5)).toEqual(Array(5).fill('ok'))
  })

  it("answers injected failures as isError results with errorAs 'result'", async () => {
    const client = await connect({ errorRate: 1, errorAs: 'result' })
    const result = await echo(client)
    expect(result.isError).toBe(true)
    expect(textOf(result)).toBe('Internal error (injected fault)')
  })

  it('draws the same failures from the same seed, and others from another', async () => {
    const run = async (seed: number) => outcomes(await connect({ errorRate: 0.5, seed }), 24)
    const first = await run(7)
    expect(await run(7)).toEqual(first)
    expect(first).toContain('ok')
    expect(first).toContain(ErrorCode.InternalError)
    expect(await run(8)).not.toEqual(first)
  })

  it('delays each call by latencyMs, within [min, max]', async () => {
    vi.useFakeTimers()
    const client = await connect({ latencyMs: [40, 60] })
    for (let i = 0; i < 5; i++) {
      let done = false
      const call = echo(client).then(() => {
        done = true
      })
      await vi.advanceTimersByTimeAsync(39)
      expect(done).toBe(false)
      await vi.advanceTimersByTimeAsync(21)
      expect(done).toBe(true)
      await call
    }
  })

  it('answers the first hangAfter calls and never the later ones, counting the hung call the client cancelled', async () => {
    const client = await connect({ hangAfter: 2 })
    expect(await outcomes(client, 2)).toEqual(['ok', 'ok'])
    // The SDK client cancels a request it timed out (notifications/cancelled).
    await expect(echo(client, 'x', 200)).rejects.toMatchObject({ code: ErrorCode.RequestTimeout })
    const stats = JSON.parse(textOf(await client.callTool({ name: 'stats' })))
    expect(stats).toMatchObject({ received: 3, answered: 2, hung: 1, cancelled: 1, errors: 0 })
  })

  it('changes its faults at runtime through the faults tool, restarting the counts', async () => {
    const client = await connect()
    expect(await outcomes(client, 3)).toEqual(['ok', 'ok', 'ok'])
    const set = await client.callTool({ name: 'faults', arguments: { set: { errorRate: 1 } } })
    expect(JSON.parse(textOf(set))).toEqual({ errorRate: 1 })
    expect(await outcomes(client, 2)).toEqual([ErrorCode.InternalError, ErrorCode.InternalError])
    await client.callTool({ name: 'faults', arguments: { set: { hangAfter: 1 } } })
    expect(await outcomes(client, 1)).toEqual(['ok'])
    await expect(echo(client, 'x', 200)).rejects.toMatchObject({ code: ErrorCode.RequestTimeout })
    const cleared = await client.callTool({ name: 'faults', arguments: { clear: true } })
    expect(JSON.parse(textOf(cleared))).toEqual({})
    expect(await outcomes(client, 2)).toEqual(['ok', 'ok'])
  })

  it('shares one controller between servers, and a set() from the test reaches them all', async () => {
    const faults = createFaultController()
    const [a, b] = [await connect(faults), await connect(faults)]
    await echo(a)
    await echo(b)
    faults.set({ errorRate: 1 })
    expect(await outcomes(b, 1)).toEqual([ErrorCode.InternalError])
    expect(faults.stats()).toMatchObject({ received: 3, answered: 2, errors: 1 })
  })

  it('keeps stateful_set values in the server that stored them', async () => {
    const faults = createFaultController()
    const [a, b] = [await connect(faults), await connect(faults)]
    await a.callTool({ name: 'stateful_set', arguments: { key: 'k', value: 'from a' } })
    const get = (c: Client) => c.callTool({ name: 'stateful_get', arguments: { key: 'k' } })
    expect(textOf(await get(a))).toBe('from a')
    expect(textOf(await get(b))).toBe('')
  })

  it('rejects invalid faults: a TypeError at creation, an isError result from the faults tool', async () => {
    expect(() => createFaultyServer({ errorRate: 2 })).toThrow(TypeError)
    expect(() => createFaultController({ latencyMs: [20, 10] })).toThrow(/latencyMs/)
    expect(() => createFaultController({ crashAfter: 0 })).toThrow(/crashAfter/)
    const client = await connect()
    const bad = await client.callTool({ name: 'faults', arguments: { set: { hangAfter: -1 } } })
    expect(bad.isError).toBe(true)
    expect(textOf(bad)).toMatch(/hangAfter/)
    expect(await outcomes(client, 1)).toEqual(['ok'])
  })
})
