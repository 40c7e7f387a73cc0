import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { eventually } from './fixtures.js'
import {
  childPids,
  connectClient,
  fixtureStdio,
  type Gateway,
  startGateway,
  textOf,
} from './harness.js'

/** The client sees the error's JSON inside the SDK's own message, so quotes may be escaped. */
const NAMES_UPSTREAM = /[Uu]pstream \\?"fixture\\?"/

/**
 * Every test here runs well inside this, while the gateway's request
 * timeout is far longer: a request that fails in time failed because the
 * gateway noticed the fault, not because a clock ran out.
 */
const TEST_TIMEOUT = 15_000
/** An in-flight call that would answer only long after the test gave up. */
const NEVER_MS = 120_000

/** The error `promise` rejects with, or a failure if it resolves. */
async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the request to fail')
}

const FAULTS = ['garbage', 'die'] as const

/**
 * Two sessions on their own children; the victim's child faults (`tool`)
 * while the victim has another request in flight and the bystander has a
 * slow one.
 */
async function faultOneChild(gateway: Gateway, tool: (typeof FAULTS)[number]) {
  const [victim, bystander] = await Promise.all([
    connectClient(gateway.url),
    connectClient(gateway.url),
  ])
  const slow = bystander.callTool({ name: 'echo', arguments: { text: 'still here', delayMs: 300 } })
  slow.catch(() => {}) // awaited only by the test about it
  const inFlight = errorOf(
    victim.callTool({ name: 'echo', arguments: { text: 'in flight', delayMs: NEVER_MS } }),
  )
  const faulted = await errorOf(victim.callTool({ name: tool, arguments: {} }))
  return { victim, bystander, slow, inFlight, faulted }
}

describe('a per-session stdio child that fails', () => {
  let gateway: Gateway | undefined
  let clients: Client[] = []
  beforeEach(async () => {
    gateway = await startGateway(fixtureStdio(), 'per-session')
    expect(gateway.upstream.timeout).toBeGreaterThan(TEST_TIMEOUT)
  })
  afterEach(async () => {
    await Promise.all(clients.map((client) => client.close()))
    clients = []
    await gateway?.close()
    gateway = undefined
  })

  async function fault(tool: (typeof FAULTS)[number]) {
    const result = await faultOneChild(gateway!, tool)
    clients = [result.victim, result.bystander]
    return result
  }

  it.each(FAULTS)(
    'fails the request during which the child %s with an error naming the upstream',
    async (tool) => {
      const { faulted } = await fault(tool)
      expect(String(faulted)).toMatch(NAMES_UPSTREAM)
    },
    TEST_TIMEOUT,
  )

  it(
    'never shows the client what the child wrote to stdout',
    async () => {
      const { faulted } = await fault('garbage')
      expect(String(faulted)).not.toContain('this is not JSON-RPC')
    },
    TEST_TIMEOUT,
  )

  it.each(FAULTS)(
    "fails the session's other in-flight request at once when its child %s, naming the upstream",
    async (tool) => {
      const { inFlight } = await fault(tool)
      expect(String(await inFlight)).toMatch(NAMES_UPSTREAM)
    },
    TEST_TIMEOUT,
  )

  it.each(FAULTS)(
    "answers another session's in-flight request while one child %s",
    async (tool) => {
      const { slow } = await fault(tool)
      expect(textOf(await slow)).toBe('still here')
    },
    TEST_TIMEOUT,
  )

  it.each(FAULTS)(
    'serves another session after one child %s',
    async (tool) => {
      const { bystander } = await fault(tool)
      const after = await bystander.callTool({ name: 'echo', arguments: { text: 'after' } })
      expect(textOf(after)).toBe('after')
    },
    TEST_TIMEOUT,
  )
})

describe('a shared stdio child that dies', () => {
  let gateway: Gateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it('fails the request during which it died with an error naming the upstream', async () => {
    gateway = await startGateway(fixtureStdio(), 'shared')
    const client = await connectClient(gateway.url)
    expect(String(await errorOf(client.callTool({ name: 'die', arguments: {} })))).toMatch(
      NAMES_UPSTREAM,
    )
    await client.close()
  })

  it('serves the next request on a new connection', async () => {
    gateway = await startGateway(fixtureStdio(), 'shared')
    const client = await connectClient(gateway.url)
    await errorOf(client.callTool({ name: 'die', arguments: {} }))
    const back = await client.callTool({ name: 'echo', arguments: { text: 'back' } })
    expect(textOf(back)).toBe('back')
    await client.close()
  })
})

describe('a stdio upstream that cannot start', () => {
  it('fails initialize with an error naming the upstream', async () => {
    const { stdio } = await import('../src/stdio.js')
    const gateway = await startGateway(stdio({ command: '/nonexistent/mcp-server' }), 'per-session')
    expect(String(await errorOf(connectClient(gateway.url)))).toMatch(NAMES_UPSTREAM)
    await gateway.close()
  })
})

describe('closing the gateway', () => {
  it('leaves no per-session child behind', async () => {
    const before = childPids().length
    const gateway = await startGateway(fixtureStdio(), 'per-session')
    const clients = await Promise.all([connectClient(gateway.url), connectClient(gateway.url)])
    expect(childPids().length).toBe(before + 2)
    await Promise.all(clients.map((c) => c.close()))
    await gateway.close()
    await eventually(() => childPids().length === before)
  })
})
