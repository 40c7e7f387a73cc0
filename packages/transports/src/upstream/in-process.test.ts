import { createProxy, type Message, type RequestId } from '@mcpx/core'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  cleanups,
  connectSdkClient,
  eventually,
  runCleanups,
  samplingClient,
} from '../../test/fixtures.js'
import { childPids, textOf } from '../../test/harness.js'
import { forward } from '../forward.js'
// From the entry: the front end's own file is being split (issue 7, item 1).
import { serveHttp } from '../node.js'
import type { Connector } from '../protocol/channel.js'
import { inProcess } from './in-process.js'
import { type UpstreamMode, upstream } from './upstream.js'

afterEach(runCleanups)

const INIT_PARAMS = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'original', version: '1' },
}
const initialize = (id: number): Message => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: structuredClone(INIT_PARAMS),
})

/** A server whose `sample` tool asks the client that called it, and whose `count` tool counts its calls. */
function testServer(onSample?: () => Promise<void> | void): McpServer {
  const server = new McpServer({ name: 'mine', version: '1.0.0' })
  let calls = 0
  server.registerTool('count', {}, async () => ({
    content: [{ type: 'text', text: String(++calls) }],
  }))
  server.registerTool('sample', {}, async (extra) => {
    await onSample?.()
    const answer = await server.server.createMessage(
      { messages: [{ role: 'user', content: { type: 'text', text: 'hello' } }], maxTokens: 10 },
      { relatedRequestId: extra.requestId },
    )
    const text = answer.content.type === 'text' ? answer.content.text : ''
    return { content: [{ type: 'text', text: `the client said: ${text}` }] }
  })
  return server
}

/** `inProcess()` behind `upstream()`, `forward()` and the Streamable HTTP front end on 127.0.0.1:0. */
async function gateway(connector: Connector, mode: UpstreamMode = 'shared') {
  const up = upstream('mine', connector, { mode, log: () => {} })
  const http = await serveHttp(createProxy({ terminal: forward(up) }), { port: 0 })
  cleanups.push(
    () => up.close(),
    () => http.close(),
  )
  return { url: http.url, up }
}

function connect(url: string, client = new Client({ name: 'test', version: '1.0.0' })) {
  return connectSdkClient(new StreamableHTTPClientTransport(new URL(url)), client)
}

/** A started channel and what arrived on it, with the `related` id of each message. */
async function open(connector: Connector) {
  const got: { message: Record<string, unknown>; related: RequestId | undefined }[] = []
  const logs: string[] = []
  const state: { closed: string | undefined } = { closed: undefined }
  const channel = connector.open()
  cleanups.push(() => channel.close())
  await channel.start({
    message: (message, related) =>
      got.push({ message: message as Record<string, unknown>, related }),
    close: (reason) => {
      state.closed ??= reason
    },
    log: (line) => logs.push(line),
  })
  /** Send a request and wait for its answer. */
  const request = async (message: Message) => {
    channel.send(message)
    const id = (message as { id: RequestId }).id
    const isAnswer = (m: Record<string, unknown>) => m.id === id && !('method' in m)
    await eventually(() => got.some((g) => isAnswer(g.message)))
    return got.find((g) => isAnswer(g.message))!.message
  }
  return { channel, got, logs, state, request }
}

const listeners = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'PipeServerWrap')

describe('inProcess()', () => {
  it('serves a sampling tool of an in-process McpServer to an SDK client over Streamable HTTP, with no child process and no upstream port', async () => {
    const before = { children: childPids(), listeners: listeners().length }
    let during: typeof before | undefined
    const server = testServer(() => {
      during = { children: childPids(), listeners: listeners().length }
    })
    const { url } = await gateway(inProcess(server))
    const client = await connect(url, samplingClient('sampled by the client'))
    const result = await client.callTool({ name: 'sample' })
    expect(textOf(result)).toBe('the client said: sampled by the client')
    // While the tool ran: the only new listening socket is the gateway's own.
    expect(during).toEqual({ children: before.children, listeners: before.listeners + 1 })
  })

  it('serves every session over one connection to a single instance in shared mode', async () => {
    const { url, up } = await gateway(inProcess(testServer()))
    const [a, b] = await Promise.all([connect(url), connect(url)])
    expect(textOf(await a.callTool({ name: 'count' }))).toBe('1')
    expect(textOf(await b.callTool({ name: 'count' }))).toBe('2')
    expect(up.connectionCount).toBe(1)
  })

  it('sends each sampling request to the client whose tool call made it, on a shared connection', async () => {
    let arrived = 0
    let bothArrived = () => {}
    const barrier = new Promise<void>((resolve) => {
      bothArrived = resolve
    })
    const server = testServer(async () => {
      if (++arrived === 2) bothArrived()
      await barrier // both calls are in flight on the one connection before either samples
    })
    const { url } = await gateway(inProcess(server))
    const a = await connect(url, samplingClient('a'))
    const b = await connect(url, samplingClient('b'))
    const [ra, rb] = await Promise.all([
      a.callTool({ name: 'sample' }),
      b.callTool({ name: 'sample' }),
    ])
    expect([textOf(ra), textOf(rb)]).toEqual(['the client said: a', 'the client said: b'])
  })

  it('answers a server’s ping itself, even one tied to no client request on a shared connection', async () => {
    const server = new McpServer({ name: 'mine', version: '1.0.0' })
    server.registerTool('ping-back', {}, async () => {
      // No relatedRequestId: on a shared connection no client could be asked.
      const answer = await server.server.ping()
      return { content: [{ type: 'text', text: JSON.stringify(answer) }] }
    })
    const { url, up } = await gateway(inProcess(server))
    const client = await connect(url)
    const result = await client.callTool({ name: 'ping-back' })
    expect(result.isError).toBeFalsy()
    expect(textOf(result)).toBe('{}')
    expect(up.stats.serverRequests).toBe(0)
  })

  it('gives each session its own server when given a factory (per-session mode)', async () => {
    const made: McpServer[] = []
    const factory = () => {
      made.push(testServer())
      return made.at(-1)!
    }
    const { url, up } = await gateway(inProcess(factory), 'per-session')
    const [a, b] = await Promise.all([connect(url), connect(url)])
    expect(textOf(await a.callTool({ name: 'count' }))).toBe('1')
    expect(textOf(await b.callTool({ name: 'count' }))).toBe('1')
    expect(made).toHaveLength(2)
    expect(up.connectionCount).toBe(2)
  })

  it('refuses a second connection to a single instance, saying to pass a factory, and keeps the first', async () => {
    const connector = inProcess(testServer())
    const first = await open(connector)
    const second = connector.open()
    cleanups.push(() => second.close())
    await expect(second.start({ message: () => {}, close: () => {} })).rejects.toThrow(
      /already serves a connection.*give inProcess\(\) a function that creates a server/,
    )
    expect(await first.request(initialize(1))).toHaveProperty('result.serverInfo.name', 'mine')
  })

  it('fails the second session clearly in per-session mode with a single instance', async () => {
    const { url } = await gateway(inProcess(testServer()), 'per-session')
    await connect(url)
    await expect(connect(url)).rejects.toThrow(
      // The SDK client quotes the JSON-RPC error, escaping its quotes.
      /Upstream \\"mine\\" cannot connect: its in-process server already serves a connection/,
    )
  })

  it('refuses a single instance that is connected to another transport', async () => {
    const server = testServer()
    await server.connect(InMemoryTransport.createLinkedPair()[1])
    const channel = inProcess(server).open()
    await expect(channel.start({ message: () => {}, close: () => {} })).rejects.toThrow(
      /its in-process server is connected to another transport: close that first/,
    )
    await server.close()
  })

  it('refuses a server from the factory that is already connected', async () => {
    const server = testServer()
    const connector = inProcess(() => server)
    await open(connector)
    await expect(connector.open().start({ message: () => {}, close: () => {} })).rejects.toThrow(
      /factory returned a server that is already connected: return a new one each time/,
    )
  })

  it('lets go of a single instance on close, so that it serves the next connection', async () => {
    const server = testServer()
    let closes = 0
    server.server.onclose = () => closes++
    const connector = inProcess(server)
    const first = await open(connector)
    await first.request(initialize(1))
    await first.channel.close()
    expect({ connected: server.isConnected(), closes }).toEqual({ connected: false, closes: 1 })
    const next = await open(connector)
    expect(await next.request(initialize(1))).toHaveProperty('result.serverInfo.name', 'mine')
  })

  it('closes the per-session server when its session ends', async () => {
    const made: McpServer[] = []
    const { url, up } = await gateway(
      inProcess(() => made[made.push(testServer()) - 1]!),
      'per-session',
    )
    const client = await connect(url)
    expect(made[0]!.isConnected()).toBe(true)
    await (client.transport as StreamableHTTPClientTransport).terminateSession()
    await eventually(() => up.connectionCount === 0)
    expect(made[0]!.isConnected()).toBe(false)
  })

  it('ends the connection when the server closes itself, after what it sent before', async () => {
    const server = testServer()
    const { got, state, request } = await open(inProcess(server))
    await request(initialize(1))
    await server.server.notification({ method: 'notifications/tools/list_changed' })
    await server.close()
    await eventually(() => state.closed !== undefined)
    expect(state.closed).toBe('closed the connection')
    expect(got.at(-1)?.message.method).toBe('notifications/tools/list_changed')
  })

  it('delivers what a handler sends with the id of the request it serves', async () => {
    const server = testServer()
    const { channel, got, request } = await open(inProcess(server))
    await request(initialize(1))
    channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' })
    channel.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'sample' } })
    await eventually(() => got.some((g) => g.message.method === 'sampling/createMessage'))
    expect(got.find((g) => g.message.method === 'sampling/createMessage')?.related).toBe(7)
  })

  it('hands the server a copy of what the gateway sends', async () => {
    const server = testServer()
    const { channel, got } = await open(inProcess(server))
    const params = structuredClone(INIT_PARAMS)
    channel.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params })
    params.clientInfo.name = 'changed after send'
    await eventually(() => got.length === 1)
    expect(server.server.getClientVersion()?.name).toBe('original')
  })

  it('hands the gateway a copy of what the server sends', async () => {
    const server = new Server({ name: 'low', version: '1' }, { capabilities: { logging: {} } })
    const { got, request } = await open(inProcess(server))
    await request(initialize(1))
    const params = { level: 'info' as const, data: { n: 1 } }
    await server.notification({ method: 'notifications/message', params })
    await eventually(() => got.length === 2)
    const received = got[1]!.message.params as typeof params
    expect(received).toEqual(params)
    received.data.n = 2
    expect(params.data.n).toBe(1)
  })

  it('answers a request that cannot be copied with an internal error, not silence', async () => {
    const { logs, request } = await open(inProcess(testServer()))
    const answer = await request({ jsonrpc: '2.0', id: 3, method: 'ping', params: { n: 1n } })
    expect(answer).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32603, message: 'Internal error' },
    })
    expect(logs).toEqual([expect.stringContaining('could not copy a ping message')])
  })

  it('rejects something that is neither an SDK server nor a function', () => {
    expect(() => inProcess({} as McpServer)).toThrow(TypeError)
  })
})
