import { type AbortSource, addHeaders, createProxy, upstreamHeadersKey } from '@mcpx/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanups, runCleanups } from '../../test/fixtures.js'
import { forward } from '../forward.js'
import { Session } from '../protocol/session.js'
import { streamableHttp } from './streamable-http.js'
import {
  callTool,
  connect,
  methodNotAllowed,
  sendJson,
  startRawServer,
  startSdkServer,
  toolResult,
} from './streamable-http-fixtures.js'
import { upstream } from './upstream.js'

afterEach(runCleanups)

const neverAborted: AbortSource = { aborted: false, reason: undefined, onAbort: () => () => {} }

describe('streamableHttp() with the SDK server', () => {
  it('initializes and calls a tool answered on an SSE stream, with the negotiated protocol version', async () => {
    const fixture = await startSdkServer()
    const { connection } = await connect(fixture.url)
    expect(connection.initializeResult.serverInfo).toEqual({ name: 'fixture', version: '1.0.0' })
    await expect(callTool(connection, 'hello')).resolves.toEqual(toolResult('hello'))
    const [call] = fixture.rpc('tools/call')
    expect(call!.headers['mcp-protocol-version']).toBe('2025-11-25')
    expect(call!.headers['mcp-session-id']).toBe([...fixture.sessions.keys()][0])
  })

  it('calls a tool answered with an application/json body', async () => {
    const fixture = await startSdkServer({ json: true })
    const { connection } = await connect(fixture.url)
    await expect(callTool(connection, 'hello')).resolves.toEqual(toolResult('hello'))
  })

  it('relates a server request on a POST stream to the request it serves, and returns the answer', async () => {
    const fixture = await startSdkServer()
    const { connection, received } = await connect(fixture.url)
    const [asked, other] = await Promise.all([
      connection.request('tools/call', { name: 'ask', arguments: {} }, { related: 'client-A' }),
      connection.request('tools/call', { name: 'hello', arguments: {} }, { related: 'client-B' }),
    ])
    expect(received.requests).toEqual([{ method: 'sampling/createMessage', related: 'client-A' }])
    expect(asked).toEqual(toolResult('sampled {"type":"text","text":"blue"}'))
    expect(other).toEqual(toolResult('hello'))
  })

  it('relays progress notifications of a request', async () => {
    const fixture = await startSdkServer()
    const { connection } = await connect(fixture.url)
    const progress: unknown[] = []
    const result = await connection.request(
      'tools/call',
      { name: 'slow', arguments: {}, _meta: { progressToken: 'client-token' } },
      { onProgress: (params) => progress.push(params.progress) },
    )
    expect(result).toEqual(toolResult('done'))
    expect(progress).toEqual([1, 2])
  })

  it('delivers messages from the standalone GET stream with no related request', async () => {
    const fixture = await startSdkServer()
    const { received } = await connect(fixture.url)
    await vi.waitFor(() => expect(fixture.openStreams()).toHaveLength(1))
    for (const { mcp } of fixture.sessions.values()) mcp.sendToolListChanged()
    await vi.waitFor(() =>
      expect(received.notifications).toEqual([
        { method: 'notifications/tools/list_changed', params: undefined, related: undefined },
      ]),
    )
  })

  it('re-initializes an expired session once and retries the requests that got 404', async () => {
    const fixture = await startSdkServer()
    const { connection } = await connect(fixture.url)
    const [first] = fixture.sessions.keys()
    await vi.waitFor(() => expect(fixture.openStreams()).toHaveLength(1)) // the handshake is over
    fixture.expire()
    const results = await Promise.all([
      callTool(connection, 'hello'),
      callTool(connection, 'hello'),
    ])
    expect(results).toEqual([toolResult('hello'), toolResult('hello')])
    expect(fixture.rpc('initialize')).toHaveLength(2)
    expect(fixture.rpc('notifications/initialized')).toHaveLength(2)
    const calls = fixture.rpc('tools/call').map((s) => s.headers['mcp-session-id'])
    const [second] = fixture.sessions.keys()
    expect(second).not.toBe(first)
    expect(calls.sort()).toEqual([first, first, second, second].sort())
    expect(connection.initializeResult.serverInfo).toEqual({ name: 'fixture', version: '1.0.0' })
  })

  it('tells onReset listeners when it re-initialized an expired session, and only then', async () => {
    const fixture = await startSdkServer()
    const { connection } = await connect(fixture.url)
    let resets = 0
    connection.onReset(() => resets++)
    await callTool(connection, 'hello')
    expect(resets).toBe(0)
    fixture.expire()
    await callTool(connection, 'hello')
    expect(resets).toBe(1)
  })

  it('subscribes again on a shared upstream() whose server forgot its session (404)', async () => {
    const fixture = await startSdkServer()
    const up = upstream('fixture', streamableHttp({ url: fixture.url }), { mode: 'shared' })
    cleanups.push(() => up.close())
    const session = new Session({
      proxy: createProxy({ terminal: async () => {} }),
      info: { id: 's', transport: 'test' },
      send: () => {},
    })
    await up.handshake(session, {}, neverAborted)
    await up.subscription(session, 'resources/subscribe', { uri: 'fixture://kept' })
    const [first] = fixture.sessions.keys()
    fixture.expire()
    const lease = await up.lease({ session, id: 1 }, neverAborted)
    await lease.connection.request('tools/call', { name: 'hello', arguments: {} })
    await vi.waitFor(() => expect(fixture.rpc('resources/subscribe')).toHaveLength(2))
    const [second] = fixture.sessions.keys()
    expect(fixture.rpc('resources/subscribe').map((s) => s.headers['mcp-session-id'])).toEqual([
      first,
      second,
    ])
  })

  it('close() aborts the GET stream, DELETEs the session and leaves nothing running', async () => {
    const fixture = await startSdkServer()
    const { connection } = await connect(fixture.url)
    const [sessionId] = fixture.sessions.keys()
    await vi.waitFor(() => expect(fixture.openStreams()).toHaveLength(1))
    await connection.close()
    expect(
      fixture.seen.filter((s) => s.method === 'DELETE').map((s) => s.headers['mcp-session-id']),
    ).toEqual([sessionId])
    await vi.waitFor(() => expect(fixture.openStreams()).toHaveLength(0))
    const count = fixture.seen.length
    await new Promise((resolve) => setTimeout(resolve, 150)) // several reconnect delays
    expect(fixture.seen).toHaveLength(count)
    // server.close() closes idle keep-alive sockets and waits for any other: none may be left.
    await new Promise<void>((resolve, reject) =>
      fixture.server.close((error) => (error ? reject(error) : resolve())),
    )
  }, 3000)
})

describe('streamableHttp() options', () => {
  it('sends configured headers and URL credentials but never lets them replace protocol headers', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: toolResult('ok') })
    })
    const url = raw.url.replace('http://', 'http://gateway:s%C3%A9cret@')
    let calls = 0
    const { connection } = await connect(`${url}?tenant=a`, {
      headers: () => ({
        'X-Api-Key': `key-${++calls}`,
        Accept: 'text/html',
        'Mcp-Session-Id': 'forged',
      }),
    })
    await callTool(connection, 'ok')
    const call = raw.seen.find((s) => s.body?.method === 'tools/call')!
    expect(call.headers['x-api-key']).toMatch(/^key-\d+$/)
    expect(call.headers.authorization).toBe(
      `Basic ${Buffer.from('gateway:sécret').toString('base64')}`,
    )
    expect(call.headers.accept).toBe('application/json, text/event-stream')
    expect(call.headers['mcp-session-id']).toBe('raw-session')
    expect(calls).toBeGreaterThanOrEqual(3) // once per HTTP request
  })

  it("sends a message's own headers (core's upstreamHeadersKey) on its POST, under the configured and protocol ones", async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: toolResult('ok') })
    })
    const up = upstream(
      'raw',
      streamableHttp({ url: raw.url, headers: { 'x-api-key': 'configured' } }),
      {
        mode: 'shared',
        log: () => {},
      },
    )
    const proxy = createProxy({ terminal: forward(up) })
    cleanups.push(() => proxy.close())
    proxy.use(async function tag(ctx, next) {
      addHeaders(ctx, upstreamHeadersKey, {
        'x-request-id': 'r-1',
        'x-api-key': 'from-the-message',
        'mcp-session-id': 'forged',
      })
      await next()
    })
    const response = (await proxy.handle({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'ok', arguments: {} },
    })) as Record<string, any>
    expect(response.result).toBeDefined()
    const call = raw.seen.find((s) => s.body?.method === 'tools/call')!
    expect(call.headers['x-request-id']).toBe('r-1')
    expect(call.headers['x-api-key']).toBe('configured')
    expect(call.headers['mcp-session-id']).toBe('raw-session')
    // Only the message it was set on carries it.
    const initialize = raw.seen.find((s) => s.body?.method === 'initialize')!
    expect(initialize.headers['x-request-id']).toBeUndefined()
  })

  it('lets an Authorization header given in headers win over URL credentials', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: toolResult('ok') })
    })
    const url = raw.url.replace('http://', 'http://gateway:secret@')
    const { connection } = await connect(url, { headers: { Authorization: 'Bearer t0k' } })
    await callTool(connection, 'ok')
    const authorizations = new Set(raw.seen.map((s) => s.headers.authorization))
    expect([...authorizations]).toEqual(['Bearer t0k'])
  })

  it('declares that it relates server requests to the client request they serve', () => {
    expect(streamableHttp({ url: 'http://127.0.0.1:1/mcp' }).relatesRequests).toBe(true)
  })

  it.each([0, -1, 1.5])('rejects maxMessageBytes %s', (maxMessageBytes) => {
    expect(() => streamableHttp({ url: 'http://127.0.0.1:1/mcp', maxMessageBytes })).toThrow(
      /maxMessageBytes must be a positive integer/,
    )
  })

  it('describes the upstream without userinfo or query', () => {
    const connector = streamableHttp({
      url: 'https://user:pw@mcp.example.com:8443/v1/mcp?token=abc#x',
    })
    expect(connector.transport).toBe('streamable-http')
    expect(connector.describe).toBe('https://mcp.example.com:8443/v1/mcp')
  })

  it('rejects a URL that is not http or https', () => {
    expect(() => streamableHttp({ url: 'ftp://example.com/mcp' })).toThrow(TypeError)
    expect(() => streamableHttp({ url: 'not a url' })).toThrow(TypeError)
  })
})
