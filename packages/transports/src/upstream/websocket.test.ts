import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProxy, ErrorCode, type McpxError } from '@mcpx/core'
import { createConformanceServer } from '@mcpx/test-utils'
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type ServerOptions, type WebSocket, WebSocketServer } from 'ws'
import {
  channelOpener,
  cleanups,
  connectSdkClient,
  eventually,
  installWebSocketGlobal,
  listen,
  ping,
  recorder,
  removeWebSocketGlobal,
  runCleanups,
  stopServer,
} from '../../test/fixtures.js'
import { createWebSocketHandler } from '../downstream/websocket.js'
import { forward } from '../forward.js'
import { upstream } from '../upstream/upstream.js'
import { UpstreamConnection } from './connection.js'
import { websocket } from './websocket.js'

beforeAll(installWebSocketGlobal)
afterAll(removeWebSocketGlobal)
afterEach(runCleanups)

/** The SDK server side of one socket: the SDK has no WebSocket server transport, so this is it. */
class WsServerTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void
  onclose?: () => void
  onerror?: (error: Error) => void
  readonly #ws: WebSocket

  constructor(ws: WebSocket) {
    this.#ws = ws
  }

  async start(): Promise<void> {
    this.#ws.on('message', (data) => this.onmessage?.(JSON.parse(String(data)) as JSONRPCMessage))
    this.#ws.on('close', () => this.onclose?.())
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.#ws.send(JSON.stringify(message))
  }

  async close(): Promise<void> {
    this.#ws.close()
  }
}

/** A small `ws` server on 127.0.0.1:0; `onSocket` gets each socket (default: the SDK conformance server). */
async function wsServer(
  onSocket: (ws: WebSocket) => void = (ws) =>
    void createConformanceServer().connect(new WsServerTransport(ws)),
  options: ServerOptions = {},
): Promise<{ url: string; upgrades: IncomingHttpHeaders[] }> {
  const upgrades: IncomingHttpHeaders[] = []
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options })
  wss.on('connection', (ws, req) => {
    upgrades.push(req.headers)
    onSocket(ws)
  })
  await new Promise((resolve) => wss.once('listening', resolve))
  cleanups.push(() => {
    for (const client of wss.clients) client.terminate()
    return new Promise((resolve) => wss.close(resolve))
  })
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/mcp`, upgrades }
}

const openChannel = channelOpener(websocket)

describe('websocket() end to end', () => {
  it('carries a real SDK client through the proxy to an SDK server over WebSocket', async () => {
    const { url } = await wsServer()
    const up = upstream('remote', websocket({ url }), { log: () => {} })
    cleanups.push(() => up.close())
    const front = createServer()
    const handler = createWebSocketHandler(createProxy({ terminal: forward(up) }), { path: '/mcp' })
    front.on('upgrade', handler.upgrade)
    const base = await listen(front, 'ws')
    cleanups.push(() => handler.close())
    const client = await connectSdkClient(new WebSocketClientTransport(new URL(`${base}/mcp`)))
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toContain('test_simple_text')
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} })
    expect(result.content).toEqual([
      { type: 'text', text: 'This is a simple text response for testing.' },
    ])
  })

  it('asks for subprotocol mcp and sends its static headers with the handshake', async () => {
    const server = await wsServer()
    const channel = openChannel(server.url, { headers: { authorization: 'Bearer t0k' } })
    await channel.start(recorder().events)
    expect(server.upgrades[0]).toMatchObject({
      'sec-websocket-protocol': 'mcp',
      authorization: 'Bearer t0k',
    })
  })
})

describe('websocket() channel', () => {
  it('fails to start when the handshake is refused', async () => {
    const server = createServer()
    server.on('upgrade', (_req, socket) =>
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n'),
    )
    const url = `${await listen(server, 'ws')}/mcp`
    const { state, events } = recorder()
    await expect(openChannel(url).start(events)).rejects.toThrow(/HTTP 401/)
    expect(state.closed).toMatch(/HTTP 401/)
  })

  it('fails to start when the server does not accept subprotocol mcp', async () => {
    const { url } = await wsServer(() => {}, { handleProtocols: () => false })
    await expect(openChannel(url).start(recorder().events)).rejects.toThrow(/subprotocol/)
  })

  it('delivers each text frame as one message', async () => {
    const { url } = await wsServer((ws) => {
      ws.send('{"jsonrpc":"2.0","method":"notifications/a"}')
      ws.send('{"jsonrpc":"2.0","method":"notifications/b"}')
    })
    const { messages, events } = recorder()
    await openChannel(url).start(events)
    await eventually(() => messages.length === 2)
    expect(messages).toEqual([
      { jsonrpc: '2.0', method: 'notifications/a' },
      { jsonrpc: '2.0', method: 'notifications/b' },
    ])
  })

  it('sends each message as one text frame', async () => {
    const frames: { text: string; binary: boolean }[] = []
    const { url } = await wsServer((ws) =>
      ws.on('message', (data, binary) => frames.push({ text: String(data), binary })),
    )
    const channel = openChannel(url)
    await channel.start(recorder().events)
    channel.send(ping(1))
    channel.send(ping(2))
    await eventually(() => frames.length === 2)
    expect(frames).toEqual([
      { text: JSON.stringify(ping(1)), binary: false },
      { text: JSON.stringify(ping(2)), binary: false },
    ])
  })

  it('drops a frame that is not JSON and keeps the socket open', async () => {
    const { url } = await wsServer((ws) => {
      ws.send('nope')
      ws.send('{"jsonrpc":"2.0","method":"notifications/a"}')
    })
    const { messages, logs, state, events } = recorder()
    await openChannel(url).start(events)
    await eventually(() => messages.length === 1)
    expect(logs.some((line) => line.includes('not JSON'))).toBe(true)
    expect(state.closed).toBeUndefined()
  })

  it('reports the server closing the socket through close', async () => {
    const { url } = await wsServer((ws) => setTimeout(() => ws.close(1011), 20))
    const { state, events } = recorder()
    await openChannel(url).start(events)
    await eventually(() => state.closed !== undefined)
    expect(state.closed).toBe('closed the WebSocket (code 1011)')
  })

  it('ends the connection when a message exceeds maxMessageBytes', async () => {
    const { url } = await wsServer((ws) =>
      ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'x', params: { pad: 'x'.repeat(2000) } })),
    )
    const { state, events } = recorder()
    await openChannel(url, { maxMessageBytes: 1000 }).start(events)
    await eventually(() => state.closed !== undefined)
    expect(state.closed).toMatch(/over 1000 bytes/)
  })

  it('closes the socket on close()', async () => {
    const closes: number[] = []
    const { url } = await wsServer((ws) => ws.on('close', (code) => closes.push(code)))
    const channel = openChannel(url)
    await channel.start(recorder().events)
    await channel.close()
    await eventually(() => closes.length === 1)
    expect(closes).toEqual([1000])
  })
})

describe('websocket() errors a client sees', () => {
  it('fails to connect to a closed port naming the upstream by name, never its URL', async () => {
    const server = createServer()
    const url = `${await listen(server, 'ws')}/mcp`
    await stopServer(server)
    const connection = new UpstreamConnection('remote', websocket({ url }), {
      request: async () => ({}),
      notification() {},
    })
    const error = await connection
      .open({
        initialize: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        },
        connectTimeout: 5000,
        log() {},
      })
      .then(
        () => undefined,
        (e: unknown) => e as McpxError,
      )
    expect(error?.toJSON()).toEqual({
      code: ErrorCode.UpstreamUnavailable,
      message: 'Upstream "remote" could not open a WebSocket (ECONNREFUSED)',
      data: { upstream: 'remote' },
    })
  })
})

describe('websocket() options', () => {
  it('sends URL credentials as Basic authorization with the handshake', async () => {
    const server = await wsServer()
    const url = server.url.replace('ws://', 'ws://gateway:s%C3%A9cret@')
    await openChannel(url).start(recorder().events)
    expect(server.upgrades[0]?.authorization).toBe(
      `Basic ${Buffer.from('gateway:sécret').toString('base64')}`,
    )
  })

  it('lets an Authorization header given in headers win over URL credentials', async () => {
    const server = await wsServer()
    const url = server.url.replace('ws://', 'ws://gateway:secret@')
    await openChannel(url, { headers: { Authorization: 'Bearer t0k' } }).start(recorder().events)
    expect(server.upgrades[0]?.authorization).toBe('Bearer t0k')
  })

  it('does not claim to relate server requests to client requests', () => {
    expect(websocket({ url: 'ws://127.0.0.1/mcp' }).relatesRequests).toBeUndefined()
  })

  it.each([0, -1, 1.5])('rejects maxMessageBytes %s', (maxMessageBytes) => {
    expect(() => websocket({ url: 'ws://127.0.0.1/mcp', maxMessageBytes })).toThrow(
      /maxMessageBytes must be a positive integer/,
    )
  })

  it('refuses a URL that is not ws or wss', () => {
    expect(() => websocket({ url: 'http://127.0.0.1/mcp' })).toThrow(TypeError)
  })

  it('describes itself by origin and path, without userinfo or query', () => {
    expect(websocket({ url: 'wss://user:pw@example.test/mcp?key=secret' }).describe).toBe(
      'wss://example.test/mcp',
    )
  })
})
