import { afterEach, describe, expect, it } from 'vitest'
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

async function timed<T>(promise: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now()
  try {
    await promise
    return { ms: performance.now() - started, error: undefined }
  } catch (error) {
    return { ms: performance.now() - started, error }
  }
}

describe('a failing stdio upstream', () => {
  let gateway: Gateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it.each(['garbage', 'die'])(
    'fails the requests on a per-session child that %s within 1 s, naming the upstream, while other sessions are served',
    async (tool) => {
      gateway = await startGateway(fixtureStdio(), 'per-session')
      const [victim, bystander] = await Promise.all([
        connectClient(gateway.url),
        connectClient(gateway.url),
      ])
      const slow = bystander.callTool({
        name: 'echo',
        arguments: { text: 'still here', delayMs: 300 },
      })
      const pending = timed(
        victim.callTool({ name: 'echo', arguments: { text: 'in flight', delayMs: 2000 } }),
      )
      const { ms, error } = await timed(victim.callTool({ name: tool, arguments: {} }))
      expect(ms).toBeLessThan(1000)
      expect(String(error)).toMatch(NAMES_UPSTREAM)
      // What the child wrote may hold anything: it goes to the log, never to a client.
      expect(String(error)).not.toContain('this is not JSON-RPC')
      const other = await pending
      expect(other.ms).toBeLessThan(1000)
      expect(String(other.error)).toMatch(NAMES_UPSTREAM)
      expect(textOf(await slow)).toBe('still here')
      expect(textOf(await bystander.callTool({ name: 'echo', arguments: { text: 'after' } }))).toBe(
        'after',
      )
      await Promise.all([victim.close(), bystander.close()])
    },
  )

  it('reconnects a shared connection after its child died, and serves the next request', async () => {
    gateway = await startGateway(fixtureStdio(), 'shared')
    const client = await connectClient(gateway.url)
    const { error } = await timed(client.callTool({ name: 'die', arguments: {} }))
    expect(String(error)).toMatch(NAMES_UPSTREAM)
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'back' } }))).toBe(
      'back',
    )
    await client.close()
  })

  it('fails initialize with an error naming the upstream when the command does not exist', async () => {
    const { stdio } = await import('../src/stdio.js')
    gateway = await startGateway(stdio({ command: '/nonexistent/mcp-server' }), 'per-session')
    const { error } = await timed(connectClient(gateway.url))
    expect(String(error)).toContain('Could not start /nonexistent/mcp-server')
  })

  it('leaves no child behind when the gateway closes', async () => {
    const before = childPids().length
    gateway = await startGateway(fixtureStdio(), 'per-session')
    const clients = await Promise.all([connectClient(gateway.url), connectClient(gateway.url)])
    expect(childPids().length).toBe(before + 2)
    await Promise.all(clients.map((c) => c.close()))
    await gateway.close()
    gateway = undefined
    await eventually(() => childPids().length === before)
  })
})
