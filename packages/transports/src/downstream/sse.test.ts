import { createServer, type Server } from 'node:http'
import { createProxy, type McpProxy, type Middleware } from '@mcpx/core'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  cleanups,
  conformanceUpstream,
  connectSdkClient,
  echoProxy,
  errorCode,
  eventually,
  listen,
  runCleanups,
  samplingClient,
  statusWithHost,
} from '../../test/fixtures.js'
import { fixtureStdio, INIT } from '../../test/harness.js'
import { forward } from '../forward.js'
import { sessionKey } from '../protocol/session.js'
import { SseDecoder, type SseEvent } from '../protocol/sse-decoder.js'
import { type Upstream, upstream } from '../upstream/upstream.js'
import type { NodeHandler } from './node-io.js'
import { createSseHandler, type SseHandlerOptions } from './sse.js'

afterEach(runCleanups)

/** A `node:http` server on 127.0.0.1:0 serving `handler`; closed after the test. */
async function serve(
  proxy: McpProxy,
  options: SseHandlerOptions = {},
): Promise<{ base: string; handler: NodeHandler; server: Server }> {
  const handler = createSseHandler(proxy, { onError: () => {}, ...options })
  const server = createServer((req, res) => handler(req, res))
  const base = await listen(server)
  cleanups.push(() => handler.close())
  return { base, handler, server }
}

/** A raw GET of the SSE stream, decoded with our own decoder. */
async function openStream(base: string) {
  const controller = new AbortController()
  const response = await fetch(`${base}/sse`, {
    headers: { accept: 'text/event-stream' },
    signal: controller.signal,
  })
  const events: SseEvent[] = []
  const state = { text: '', ended: false }
  const decoder = new SseDecoder((event) => events.push(event))
  void (async () => {
    const text = new TextDecoder()
    for await (const chunk of response.body!) {
      const part = text.decode(chunk, { stream: true })
      state.text += part
      decoder.push(chunk)
    }
  })()
    .catch(() => {})
    .finally(() => {
      state.ended = true
    })
  cleanups.push(() => controller.abort())
  await eventually(() => events.length > 0)
  const endpoint = events[0]!.data
  return {
    response,
    events,
    state,
    endpoint,
    sessionId: new URLSearchParams(endpoint.slice(endpoint.indexOf('?'))).get('sessionId')!,
    close: () => controller.abort(),
    post: (body: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      }),
  }
}

/** An SDK client (by default a bare one) connected to the SSE endpoint at `base`. */
function connectClient(base: string, client?: Client): Promise<Client> {
  return connectSdkClient(new SSEClientTransport(new URL(`${base}/sse`)), client)
}

describe('createSseHandler end to end', () => {
  it('serves a real SDK client through the proxy to a stdio upstream', async () => {
    const { base } = await serve(createProxy({ terminal: forward(conformanceUpstream()) }))
    const client = await connectClient(base)
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toContain('test_simple_text')
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} })
    expect(result.content).toEqual([
      { type: 'text', text: 'This is a simple text response for testing.' },
    ])
  })

  it('carries a server request to the client on the stream and its answer back in a POST', async () => {
    const { base } = await serve(
      createProxy({ terminal: forward(conformanceUpstream('per-session')) }),
    )
    const client = await connectClient(base, samplingClient('sampled over SSE'))
    const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } })
    expect(result.content).toEqual([{ type: 'text', text: 'LLM response: sampled over SSE' }])
  })
})

describe('createSseHandler streams', () => {
  it('announces a POST URL whose session id carries at least 128 random bits', async () => {
    const { base } = await serve(echoProxy())
    const a = await openStream(base)
    const b = await openStream(base)
    expect(a.events[0]!.event).toBe('endpoint')
    expect(a.endpoint).toMatch(/^\/messages\?sessionId=[A-Za-z0-9_-]{22,}$/)
    expect(a.sessionId).not.toBe(b.sessionId)
  })

  it('sends every message for the client as a message event on the stream and answers the POST 202', async () => {
    const { base } = await serve(echoProxy())
    const stream = await openStream(base)
    const response = await stream.post(
      JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    )
    expect(response.status).toBe(202)
    await eventually(() => stream.events.length === 2)
    expect(stream.events[1]!.event).toBe('message')
    expect(JSON.parse(stream.events[1]!.data)).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: { method: 'tools/list' },
    })
  })

  it('gives each stream a session of transport sse named by its session id', async () => {
    const seen: { id: string | undefined; transport: string }[] = []
    const { base } = await serve(
      echoProxy(
        async (ctx) => void seen.push({ id: ctx.session?.id, transport: ctx.session!.transport }),
      ),
    )
    const stream = await openStream(base)
    await stream.post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }))
    await eventually(() => seen.length === 1)
    expect(seen[0]).toEqual({ id: stream.sessionId, transport: 'sse' })
  })

  it('ends the session when its stream closes, aborting the requests in flight', async () => {
    let signal: AbortSignal | undefined
    const { base, handler } = await serve(
      echoProxy(async (ctx) => {
        signal = ctx.signal
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
      }),
    )
    const stream = await openStream(base)
    await stream.post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow' } }),
    )
    await eventually(() => signal !== undefined)
    expect(handler.sessionCount).toBe(1)
    stream.close()
    await eventually(() => signal!.aborted && handler.sessionCount === 0)
    expect(
      (await stream.post('{"jsonrpc":"2.0","method":"notifications/initialized"}')).status,
    ).toBe(404)
  })

  it('writes keep-alive comments on open streams', async () => {
    const { base } = await serve(echoProxy(), { keepAliveInterval: 20 })
    const stream = await openStream(base)
    await eventually(() => stream.state.text.includes(': keep-alive\n\n'))
  })

  it('ends every stream and session on close()', async () => {
    const { base, handler } = await serve(echoProxy())
    const stream = await openStream(base)
    expect(handler.sessionCount).toBe(1)
    handler.close()
    expect(handler.sessionCount).toBe(0)
    await eventually(() => stream.state.ended)
  })

  it('answers 503 to a GET beyond maxSessions', async () => {
    const { base } = await serve(echoProxy(), { maxSessions: 1 })
    await openStream(base)
    const response = await fetch(`${base}/sse`)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('5')
  })
})

describe('createSseHandler refuses bad input', () => {
  it('answers 404 to a POST naming an unknown session', async () => {
    const { base } = await serve(echoProxy())
    const response = await fetch(`${base}/messages?sessionId=nope`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    })
    expect(response.status).toBe(404)
    expect(await errorCode(response)).toBe(-32600)
  })

  it('answers 400 to a POST without a sessionId', async () => {
    const { base } = await serve(echoProxy())
    const response = await fetch(`${base}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(response.status).toBe(400)
  })

  it('answers 413 to a body over maxMessageBytes, before parsing it', async () => {
    const { base } = await serve(echoProxy(), { maxMessageBytes: 64 })
    const stream = await openStream(base)
    const response = await stream.post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(100) } }),
    )
    expect(response.status).toBe(413)
    expect(stream.events).toHaveLength(1)
  })

  it('answers 400 with -32700 to a body that is not JSON', async () => {
    const { base } = await serve(echoProxy())
    const stream = await openStream(base)
    const response = await stream.post('{not json')
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: expect.any(String) },
    })
  })

  it('answers 400 with -32600 to JSON that is not a JSON-RPC message', async () => {
    const { base } = await serve(echoProxy())
    const stream = await openStream(base)
    const response = await stream.post(JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'ping' }))
    expect(response.status).toBe(400)
    expect(await errorCode(response)).toBe(-32600)
  })

  it('answers 415 to a POST that is not application/json', async () => {
    const { base } = await serve(echoProxy())
    const stream = await openStream(base)
    expect((await stream.post('{}', { 'content-type': 'text/plain' })).status).toBe(415)
  })

  it('answers 403 to a Host outside the allow-list', async () => {
    const { base } = await serve(echoProxy())
    expect(await statusWithHost(`${base}/sse`, 'evil.example:80')).toBe(403)
    expect(await statusWithHost(`${base}/sse`, 'localhost:80')).toBe(200)
  })

  it('answers 403 to a browser Origin that is not loopback', async () => {
    const { base } = await serve(echoProxy())
    const refused = await fetch(`${base}/sse`, { headers: { origin: 'https://evil.example' } })
    expect(refused.status).toBe(403)
    const allowed = await fetch(`${base}/sse`, { headers: { origin: 'http://localhost:5173' } })
    expect(allowed.status).toBe(200)
    await allowed.body?.cancel()
  })

  it('answers 405 to another method on its paths and leaves other paths to next()', async () => {
    const handler = createSseHandler(echoProxy())
    cleanups.push(() => handler.close())
    let passed = 0
    const server = createServer((req, res) =>
      handler(req, res, () => {
        passed++
        res.end('app')
      }),
    )
    const base = await listen(server)
    expect((await fetch(`${base}/sse`, { method: 'POST' })).status).toBe(405)
    expect(await (await fetch(`${base}/elsewhere`)).text()).toBe('app')
    expect(passed).toBe(1)
  })

  it('refuses paths with a query when created', () => {
    expect(() => createSseHandler(echoProxy(), { messagesPath: '/messages?x=1' })).toThrow(
      TypeError,
    )
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

describe('createSseHandler sessions ended from below', () => {
  it('ends the stream of a session whose upstream ended it, and answers its next POST 404', async () => {
    const up = upstream('fixture', fixtureStdio(), { mode: 'per-session', log: () => {} })
    cleanups.push(() => up.close())
    const proxy = createProxy({ terminal: forward(up) })
    proxy.use(endSessionWithConnection(up))
    const { base, handler } = await serve(proxy)
    const stream = await openStream(base)
    expect((await stream.post(INIT)).status).toBe(202)
    await eventually(() => stream.events.length === 2)
    expect(JSON.parse(stream.events[1]!.data)).toMatchObject({ id: 1, result: {} })

    // The fixture exits while answering `die`: the session's one connection is gone.
    const die = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'die' } }
    expect((await stream.post(JSON.stringify(die))).status).toBe(202)
    await eventually(() => stream.state.ended)
    // The request in flight was answered (with an error) before the stream ended.
    expect(JSON.parse(stream.events.at(-1)!.data)).toMatchObject({ id: 2, error: {} })
    expect(handler.sessionCount).toBe(0)
    const after = await stream.post(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }))
    expect(after.status).toBe(404)
    expect(await errorCode(after)).toBe(-32600)
  })
})
