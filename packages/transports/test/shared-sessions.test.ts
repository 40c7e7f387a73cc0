/**
 * What a shared upstream connection does for the sessions on it: resource
 * subscriptions per session, list_changed coalesced per session, and only
 * the client capabilities it can deliver declared upstream. Real parts: the
 * e2e fixture as a stdio child, the gateway's Streamable HTTP front end,
 * the SDK's `Client`.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import {
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { eventually } from './fixtures.js'
import {
  connectClient,
  fixtureHttp,
  fixtureStdio,
  type Gateway,
  startGateway,
  stopFixtures,
  textOf,
} from './harness.js'

afterAll(stopFixtures)

/** The URIs of the `resources/updated` a client receives, in order. */
function updatesOf(client: Client): string[] {
  const uris: string[] = []
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => {
    uris.push(n.params.uri)
  })
  return uris
}

/** The subscribe and unsubscribe requests the fixture received, as `method uri`. */
async function upstreamLog(client: Client): Promise<string[]> {
  const log = JSON.parse(textOf(await client.callTool({ name: 'subscriptions', arguments: {} })))
  return (log as { method: string; uri: string }[]).map((e) => `${e.method} ${e.uri}`)
}

const update = (client: Client, uri: string) =>
  client.callTool({ name: 'update_resource', arguments: { uri } })

/** End the client's session the way a client does it: DELETE (Streamable HTTP §Session Management). */
async function leave(client: Client): Promise<void> {
  await (client.transport as StreamableHTTPClientTransport).terminateSession()
  await client.close()
}

describe('resource subscriptions on a shared stdio connection', () => {
  let gateway: Gateway
  afterEach(async () => {
    await gateway.close()
  })

  it('delivers each resources/updated only to the sessions subscribed to its URI', async () => {
    gateway = await startGateway(fixtureStdio(), 'shared')
    const [a, b] = await Promise.all([connectClient(gateway.url), connectClient(gateway.url)])
    const [toA, toB] = [updatesOf(a), updatesOf(b)]
    await a.subscribeResource({ uri: 'fixture://a' })
    await b.subscribeResource({ uri: 'fixture://b' })
    // Each session's stream is ordered: had a update for b reached a, it would precede a's own.
    for (const uri of ['fixture://b', 'fixture://a', 'fixture://b']) await update(a, uri)
    await eventually(() => toA.length >= 1 && toB.length >= 2)
    expect(toA).toEqual(['fixture://a'])
    expect(toB).toEqual(['fixture://b', 'fixture://b'])
    await Promise.all([a.close(), b.close()])
  })

  it('sends the upstream one subscribe per URI however many sessions subscribe', async () => {
    gateway = await startGateway(fixtureStdio(), 'shared')
    const [a, b] = await Promise.all([connectClient(gateway.url), connectClient(gateway.url)])
    await a.subscribeResource({ uri: 'fixture://x' })
    await a.subscribeResource({ uri: 'fixture://x' })
    await b.subscribeResource({ uri: 'fixture://x' })
    await b.subscribeResource({ uri: 'fixture://y' })
    expect(await upstreamLog(a)).toEqual([
      'resources/subscribe fixture://x',
      'resources/subscribe fixture://y',
    ])
    await Promise.all([a.close(), b.close()])
  })

  it('unsubscribes upstream once the last session holding a URI has left, not before', async () => {
    gateway = await startGateway(fixtureStdio(), 'shared')
    const [a, b, observer] = await Promise.all([
      connectClient(gateway.url),
      connectClient(gateway.url),
      connectClient(gateway.url),
    ])
    await a.subscribeResource({ uri: 'fixture://shared' })
    await b.subscribeResource({ uri: 'fixture://shared' })
    await leave(a)
    await eventually(() => gateway.upstream.stats.subscribedSessions === 1)
    expect(await upstreamLog(observer)).toEqual(['resources/subscribe fixture://shared'])
    await leave(b)
    await eventually(async () => (await upstreamLog(observer)).length === 2)
    expect(await upstreamLog(observer)).toEqual([
      'resources/subscribe fixture://shared',
      'resources/unsubscribe fixture://shared',
    ])
    await observer.close()
  })

  it("keeps one session's subscription when another session unsubscribes the same URI", async () => {
    gateway = await startGateway(fixtureStdio(), 'shared')
    const [a, b] = await Promise.all([connectClient(gateway.url), connectClient(gateway.url)])
    const toB = updatesOf(b)
    await a.subscribeResource({ uri: 'fixture://both' })
    await b.subscribeResource({ uri: 'fixture://both' })
    await a.unsubscribeResource({ uri: 'fixture://both' })
    await update(a, 'fixture://both')
    await eventually(() => toB.length === 1)
    expect(await upstreamLog(a)).toEqual(['resources/subscribe fixture://both'])
    await Promise.all([a.close(), b.close()])
  })
})

describe('resource subscriptions when the shared child dies', () => {
  let gateway: Gateway
  afterEach(async () => {
    await gateway.close()
  })

  /** A subscribed client whose shared child died and was replaced by the next request. */
  async function subscribedThroughRestart() {
    gateway = await startGateway(fixtureStdio(), 'shared')
    const client = await connectClient(gateway.url)
    const updates = updatesOf(client)
    await client.subscribeResource({ uri: 'fixture://kept' })
    await client.callTool({ name: 'die', arguments: {} }).catch(() => {})
    await client.callTool({ name: 'echo', arguments: { text: 'new child' } })
    return { client, updates }
  }

  it('subscribes again on the replacement connection', async () => {
    const { client } = await subscribedThroughRestart()
    expect(await upstreamLog(client)).toEqual(['resources/subscribe fixture://kept'])
    await client.close()
  })

  it('delivers the new child’s updates to the subscribed session', async () => {
    const { client, updates } = await subscribedThroughRestart()
    await update(client, 'fixture://kept')
    await eventually(() => updates.length === 1)
    expect(updates).toEqual(['fixture://kept'])
    await client.close()
  })
})

describe('list_changed on a shared stdio connection', () => {
  let gateway: Gateway
  afterEach(async () => {
    await gateway.close()
  })

  it('delivers ten tools/list_changed sent in a burst to a client as one', async () => {
    gateway = await startGateway(fixtureStdio(), 'shared')
    const client = await connectClient(gateway.url)
    let changes = 0
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      changes++
    })
    const updates = updatesOf(client)
    await client.subscribeResource({ uri: 'fixture://sentinel' })
    await client.callTool({ name: 'notify_tools_changed', arguments: { count: 10 } })
    await eventually(() => changes >= 1)
    // The sentinel travels the same ordered stream: undebounced changes would all be ahead of it.
    await update(client, 'fixture://sentinel')
    await eventually(() => updates.length === 1)
    expect(changes).toBe(1)
    await client.close()
  })
})

describe('client capabilities a shared connection declares upstream', () => {
  let gateway: Gateway
  afterEach(async () => {
    await gateway.close()
  })

  /** Streamable HTTP relates server requests to client requests (`Connector.relatesRequests`). */
  const sharedHttp = () => Object.assign(fixtureHttp(), { relatesRequests: true })

  /** What the fixture was told in `initialize` by the connection serving `client`. */
  async function declared(client: Client): Promise<Record<string, unknown>> {
    return JSON.parse(textOf(await client.callTool({ name: 'client_capabilities', arguments: {} })))
  }

  it('declares no sampling, elicitation or roots on a shared stdio connection', async () => {
    gateway = await startGateway(fixtureStdio(), 'shared')
    const client = await connectClient(gateway.url)
    const capabilities = await declared(client)
    expect(capabilities).not.toHaveProperty('sampling')
    expect(capabilities).not.toHaveProperty('elicitation')
    expect(capabilities).not.toHaveProperty('roots')
    await client.close()
  })

  it('declares sampling, elicitation and roots on a shared Streamable HTTP connection', async () => {
    gateway = await startGateway(sharedHttp(), 'shared')
    const client = await connectClient(gateway.url)
    expect(Object.keys(await declared(client)).sort()).toEqual(['elicitation', 'roots', 'sampling'])
    await client.close()
  })

  it('never declares roots.listChanged on a shared connection: roots changes are one client’s', async () => {
    gateway = await startGateway(sharedHttp(), 'shared')
    const client = await connectClient(gateway.url)
    expect(await declared(client)).toHaveProperty('roots', {})
    await client.close()
  })

  it("passes the client's own capabilities on a per-session stdio connection", async () => {
    gateway = await startGateway(fixtureStdio(), 'per-session')
    const client = await connectClient(gateway.url)
    expect(Object.keys(await declared(client)).sort()).toEqual(['elicitation', 'roots', 'sampling'])
    await client.close()
  })
})
