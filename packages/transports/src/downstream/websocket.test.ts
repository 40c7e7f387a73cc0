import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { createProxy, type McpProxy, type Middleware } from '@mcpx/core'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type ClientOptions, WebSocket } from 'ws'
import {
  cleanups,
  conformanceUpstream,
  connectSdkClient,
  echoProxy,
  eventually,
  installWebSocketGlobal,
  listen,
  removeWebSocketGlobal,
  runCleanups,
  samplingClient,
} from '../../test/fixtures.js'
import { fixtureStdio, INIT } from '../../test/harness.js'
import { forward } from '../forward.js'
import { sessionKey } from '../protocol/session.js'
import { type Upstream, upstream } from '../upstream/upstream.js'
import type { NodeHandler } from './node-io.js'
import { createWebSocketHandler, type WebSocketHandlerOptions } from './websocket.js'

beforeAll(installWebSocketGlobal)
afterAll(removeWebSocketGlobal)
afterEach(runCleanups)

/**
 * A `node:http` server on 127.0.0.1:0 with the handler attached on `/mcp`,
 * or (`manual`) called from our own `upgrade` listener.
 */
async function serve(
  proxy: McpProxy,
  options: WebSocketHandlerOptions & { manual?: boolean } = {},
): Promise<{ url: string; handler: NodeHandler; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(404).end())
  const { manual, ...rest } = options
  const handler = createWebSocketHandler(proxy, { onError: () => {}, path: '/mcp', ...rest })
  if (manual) server.on('upgrade', (req, socket, head) => handler.upgrade(req, socket, head))
  else server.on('upgrade', handler.upgrade)
  const base = await listen(server, 'ws')
  cleanups.push(() => handler.close())
  return { url: `${base}/mcp`, handler, server }
}

/** A raw `ws` client; resolves once open. */
async function connect(
  url: string,
  options: ClientOptions = {},
  protocol: string | string[] = 'mcp',
) {
  const ws = new WebSocket(url, protocol, options)
  const messages: unknown[] = []
  const state: { closeCode: number | undefined; closeReason: string | undefined } = {
    closeCode: undefined,
    closeReason: undefined,
  }
  ws.on('message', (data) => messages.push(JSON.parse(String(data))))
  ws.on('close', (code, reason) => {
    state.closeCode = code
    state.closeReason = String(reason)
  })
  cleanups.push(() => ws.terminate())
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return { ws, messages, state }
}

/** The HTTP status an upgrade attempt is refused with. */
function refusedWith(
  url: string,
  options: ClientOptions = {},
  protocol: string | string[] = 'mcp',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol, options)
    ws.on('open', () => reject(new Error('the upgrade was accepted')))
    ws.on('error', () => {})
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
  })
}

/** An SDK client (by default a bare one) connected to `url`. */
function connectClient(url: string, client?: Client): Promise<Client> {
  return connectSdkClient(new WebSocketClientTransport(new URL(url)), client)
}

describe('createWebSocketHandler end to end', () => {
  it('serves a real SDK client through the proxy to a stdio upstream', async () => {
    const { url } = await serve(createProxy({ terminal: forward(conformanceUpstream()) }))
    const client = await connectClient(url)
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toContain('test_simple_text')
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} })
    expect(result.content).toEqual([
      { type: 'text', text: 'This is a simple text response for testing.' },
    ])
  })

  it('carries a server request to the client and its answer back', async () => {
    const { url } = await serve(
      createProxy({ terminal: forward(conformanceUpstream('per-session')) }),
      { manual: true },
    )
    const client = await connectClient(url, samplingClient('sampled over WebSocket'))
    const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } })
    expect(result.content).toEqual([{ type: 'text', text: 'LLM response: sampled over WebSocket' }])
  })
})

describe('createWebSocketHandler sessions', () => {
  it('gives each socket a session of transport websocket carrying the upgrade request headers', async () => {
    const seen: {
      transport: string
      id: string | undefined
      headers: IncomingHttpHeaders | undefined
    }[] = []
    const { url } = await serve(
      echoProxy(async (ctx) => {
        seen.push({
          transport: ctx.session!.transport,
          id: ctx.session?.id,
          headers: ctx.session?.headers as IncomingHttpHeaders,
        })
      }),
    )
    const a = await connect(url, { headers: { authorization: 'Bearer a' } })
    const b = await connect(url)
    a.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }))
    b.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }))
    await eventually(() => a.messages.length === 1 && b.messages.length === 1)
    expect(a.messages[0]).toEqual({ jsonrpc: '2.0', id: 1, result: { method: 'ping' } })
    expect(seen.map((s) => s.transport)).toEqual(['websocket', 'websocket'])
    expect(seen[0]!.id).not.toBe(seen[1]!.id)
    expect(seen.map((s) => s.headers?.authorization).sort()).toEqual(['Bearer a', undefined])
  })

  it('ends the session when its socket closes, aborting the requests in flight', async () => {
    let signal: AbortSignal | undefined
    const { url, handler } = await serve(
      echoProxy(async (ctx) => {
        signal = ctx.signal
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
      }),
    )
    const { ws } = await connect(url)
    ws.send(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow' } }),
    )
    await eventually(() => signal !== undefined)
    expect(handler.sessionCount).toBe(1)
    ws.close()
    await eventually(() => signal!.aborted && handler.sessionCount === 0)
  })

  it('pings open sockets', async () => {
    const { url } = await serve(echoProxy(), { keepAliveInterval: 20 })
    const { ws } = await connect(url)
    let pings = 0
    ws.on('ping', () => pings++)
    await eventually(() => pings >= 2)
  })

  it('closes every socket with 1001 on close()', async () => {
    const { url, handler } = await serve(echoProxy())
    const { state } = await connect(url)
    handler.close()
    expect(handler.sessionCount).toBe(0)
    await eventually(() => state.closeCode !== undefined)
    expect(state.closeCode).toBe(1001)
  })

  it('closes with 1001 the socket of a session whose upstream ended it', async () => {
    const up = upstream('fixture', fixtureStdio(), { mode: 'per-session', log: () => {} })
    cleanups.push(() => up.close())
    const proxy = createProxy({ terminal: forward(up) })
    proxy.use(endSessionWithConnection(up))
    const { url, handler } = await serve(proxy)
    const { ws, messages, state } = await connect(url)
    ws.send(INIT)
    await eventually(() => messages.length === 1)
    expect(messages[0]).toMatchObject({ id: 1, result: {} })

    // The fixture exits while answering `die`: the session's one connection is gone.
    ws.send(
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'die' } }),
    )
    await eventually(() => state.closeCode !== undefined)
    expect(state).toEqual({ closeCode: 1001, closeReason: 'Session ended' })
    // The request in flight was answered (with an error) before the socket closed.
    expect(messages.at(-1)).toMatchObject({ id: 2, error: {} })
    expect(handler.sessionCount).toBe(0)
  })

  it('refuses an upgrade beyond maxSessions with 503', async () => {
    const { url } = await serve(echoProxy(), { maxSessions: 1 })
    await connect(url)
    expect((await refusedWith(url)).status).toBe(503)
  })
})

describe('createWebSocketHandler refuses bad input', () => {
  it('answers a frame that is not JSON with -32700 and id null, and keeps the socket open', async () => {
    const { url } = await serve(echoProxy())
    const { ws, messages } = await connect(url)
    ws.send('{not json')
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }))
    await eventually(() => messages.length === 2)
    expect(messages[0]).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: expect.any(String) },
    })
    expect(messages[1]).toMatchObject({ id: 2, result: {} })
  })

  it('answers JSON that is not a JSON-RPC message with -32600 and id null', async () => {
    const { url } = await serve(echoProxy())
    const { ws, messages } = await connect(url)
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1 }))
    await eventually(() => messages.length === 1)
    expect(messages[0]).toMatchObject({ id: null, error: { code: -32600 } })
  })

  it('answers a binary frame with -32600', async () => {
    const { url } = await serve(echoProxy())
    const { ws, messages } = await connect(url)
    ws.send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })), {
      binary: true,
    })
    await eventually(() => messages.length === 1)
    expect(messages[0]).toMatchObject({ id: null, error: { code: -32600 } })
  })

  it('closes the socket with 1009 when a message exceeds maxPayload', async () => {
    const { url, handler } = await serve(echoProxy(), { maxMessageBytes: 64 })
    const { ws, state } = await connect(url)
    ws.send(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(100) } }),
    )
    await eventually(() => state.closeCode !== undefined)
    expect(state.closeCode).toBe(1009)
    await eventually(() => handler.sessionCount === 0)
  })

  it('refuses an upgrade whose Host is outside the allow-list with 403', async () => {
    const { url } = await serve(echoProxy())
    const { status, body } = await refusedWith(url, { headers: { host: 'evil.example' } })
    expect(status).toBe(403)
    expect(JSON.parse(body)).toMatchObject({
      id: null,
      error: { code: -32600, message: 'Forbidden: Host not allowed' },
    })
  })

  it('refuses an upgrade from a browser Origin that is not loopback with 403', async () => {
    const { url } = await serve(echoProxy())
    expect((await refusedWith(url, { origin: 'https://evil.example' })).status).toBe(403)
    await connect(url, { origin: 'http://localhost:5173' })
  })

  it('refuses an upgrade that does not offer the mcp subprotocol with 400', async () => {
    const { url } = await serve(echoProxy())
    expect((await refusedWith(url, {}, 'graphql-ws')).status).toBe(400)
  })

  it('answers 404 to an upgrade on another path when nothing else listens for upgrades', async () => {
    const { url } = await serve(echoProxy())
    expect((await refusedWith(url.replace('/mcp', '/other'))).status).toBe(404)
  })

  it('leaves upgrades on other paths to the other upgrade listeners', async () => {
    const { url, server } = await serve(echoProxy())
    server.on('upgrade', (req, socket) => {
      if (req.url === '/other') {
        socket.end('HTTP/1.1 418 I am a teapot\r\ncontent-length: 0\r\n\r\n')
      }
    })
    expect((await refusedWith(url.replace('/mcp', '/other'))).status).toBe(418)
  })
})

/**
 * What a pool does under onConnectionLost 'end-session': the session ends with its connection,
 * one timer tick after it closed, so the request in flight is answered first.
 */
function endSessionWithConnection(up: Upstream): Middleware {
  return async function endSessionWithConnection(ctx, next) {
    await next()
    const session = ctx.get(sessionKey)
    if (ctx.method !== 'initialize' || !session) return
    const lease = await up.lease({ session, id: ctx.id }, ctx)
    lease.connection.onClose(() => setTimeout(() => session.close()))
  }
}
