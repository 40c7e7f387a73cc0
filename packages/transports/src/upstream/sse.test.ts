import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import { createProxy, ErrorCode, type McpxError } from '@mcpx/core'
import { createConformanceServer } from '@mcpx/test-utils'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  channelOpener,
  cleanups,
  connectSdkClient,
  eventually,
  listen,
  ping,
  recorder,
  runCleanups,
  serveRequests,
  stopServer,
} from '../../test/fixtures.js'
import { createSseHandler } from '../downstream/sse.js'
import { forward } from '../forward.js'
import { upstream } from '../upstream/upstream.js'
import { type ServerMessageHandlers, UpstreamConnection } from './connection.js'
import { sse } from './sse.js'

afterEach(runCleanups)

/** The SDK's own HTTP+SSE server (`SSEServerTransport`) with the conformance fixture; records request headers. */
async function sdkSseServer(): Promise<{
  url: string
  headers: { method: string; headers: IncomingHttpHeaders }[]
}> {
  const transports = new Map<string, SSEServerTransport>()
  const headers: { method: string; headers: IncomingHttpHeaders }[] = []
  const base = await serveRequests((req, res) => {
    headers.push({ method: req.method!, headers: req.headers })
    const url = new URL(req.url!, 'http://127.0.0.1')
    if (req.method === 'GET' && url.pathname === '/sse') {
      const transport = new SSEServerTransport('/messages', res)
      transports.set(transport.sessionId, transport)
      res.on('close', () => transports.delete(transport.sessionId))
      void createConformanceServer().connect(transport)
      return
    }
    const transport = transports.get(url.searchParams.get('sessionId') ?? '')
    if (req.method === 'POST' && transport) void transport.handlePostMessage(req, res)
    else res.writeHead(404).end()
  })
  return { url: `${base}/sse`, headers }
}

/** A hand-written SSE server: `onGet` writes the stream, `onPost` answers each POST. */
async function fakeServer(
  onGet: (res: ServerResponse) => void,
  onPost: (body: string, res: ServerResponse) => void = (_body, res) => res.writeHead(202).end(),
): Promise<string> {
  const base = await serveRequests((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      onGet(res)
      return
    }
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => onPost(body, res))
  })
  return `${base}/sse`
}

const openChannel = channelOpener(sse)
const noHandlers: ServerMessageHandlers = { request: async () => ({}), notification() {} }
const OPEN = {
  initialize: {
    protocolVersion: '2024-11-05',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  },
  connectTimeout: 5000,
  log() {},
}

const ENDPOINT = 'event: endpoint\ndata: /messages?sessionId=s1\n\n'

describe('sse() end to end', () => {
  it('carries a real SDK client through the proxy to the SDK SSEServerTransport', async () => {
    const { url } = await sdkSseServer()
    const up = upstream('legacy', sse({ url }), { log: () => {} })
    cleanups.push(() => up.close())
    const handler = createSseHandler(createProxy({ terminal: forward(up) }))
    cleanups.push(() => handler.close())
    const front = await serveRequests((req, res) => handler(req, res))
    const client = await connectSdkClient(new SSEClientTransport(new URL(`${front}/sse`)))
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toContain('test_simple_text')
    const progress: number[] = []
    const result = await client.callTool(
      { name: 'test_tool_with_progress', arguments: {} },
      undefined,
      {
        onprogress: (p) => progress.push(p.progress),
      },
    )
    expect(result.content).toEqual([
      { type: 'text', text: expect.stringContaining('Progress reported for token') },
    ])
    // The SDK client handles notifications a microtask late and responses at once, so the last
    // progress can lose the race with the result that follows it in the same chunk.
    expect(progress.slice(0, 2)).toEqual([0, 50])
  })

  it('sends its static headers with the GET and with every POST', async () => {
    const server = await sdkSseServer()
    const { messages, events } = recorder()
    const channel = openChannel(server.url, { headers: { authorization: 'Bearer t0k' } })
    await channel.start(events)
    channel.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2024-11-05',
        capabilities: {},
        clientInfo: { name: 't', version: '1' },
      },
    })
    await eventually(() => messages.length === 1)
    expect(server.headers.map((h) => [h.method, h.headers.authorization])).toEqual([
      ['GET', 'Bearer t0k'],
      ['POST', 'Bearer t0k'],
    ])
  })
  it("sends a message's own headers on its POST, under the configured ones (names compared without case)", async () => {
    const server = await sdkSseServer()
    const { messages, events } = recorder()
    const channel = openChannel(server.url, { headers: { Authorization: 'Bearer t0k' } })
    await channel.start(events)
    channel.send(
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2024-11-05',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        },
      },
      {
        'x-request-id': 'r-1',
        authorization: 'Bearer forged',
        host: 'evil.example',
        Connection: 'x',
      },
    )
    await eventually(() => messages.length === 1)
    const post = server.headers.find((h) => h.method === 'POST')!
    expect(post.headers['x-request-id']).toBe('r-1')
    expect(post.headers.authorization).toBe('Bearer t0k')
    // What the HTTP client sets itself is never taken from a message.
    expect(post.headers.host).not.toBe('evil.example')
  })
})

describe('sse() channel', () => {
  it('refuses an endpoint on another origin', async () => {
    const url = await fakeServer((res) =>
      res.write('event: endpoint\ndata: http://127.0.0.2:9/messages\n\n'),
    )
    const { events, state } = recorder()
    await expect(openChannel(url).start(events)).rejects.toThrow(/another origin/)
    expect(state.closed).toMatch(/another origin/)
  })

  it('fails to start when the GET is answered with an HTTP error', async () => {
    const base = await serveRequests((_req, res) => res.writeHead(500).end())
    await expect(openChannel(`${base}/sse`).start(recorder().events)).rejects.toThrow(/HTTP 500/)
  })

  it("fails to start when the GET is answered 401, saying the gateway's credentials were refused and nothing of the challenge", async () => {
    const base = await serveRequests((_req, res) =>
      res
        .writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token", realm="key-k42"' })
        .end('key-k42 revoked'),
    )
    const { state, events } = recorder()
    await expect(openChannel(`${base}/sse`).start(events)).rejects.toThrow(
      "Upstream refused the gateway's credentials (HTTP 401)",
    )
    expect(state.closed).not.toMatch(/k42|invalid_token/)
  })

  it('fails a request whose POST is answered 403 as refused credentials, keeping the connection', async () => {
    const url = await fakeServer(
      (res) => res.write(ENDPOINT),
      (_body, res) =>
        res.writeHead(403, { 'www-authenticate': 'Bearer error="insufficient_scope"' }).end(),
    )
    const { state, events } = recorder()
    const failed: [unknown, string][] = []
    const channel = openChannel(url)
    await channel.start({ ...events, fail: (id, reason) => failed.push([id, reason]) })
    channel.send(ping(1))
    await eventually(() => failed.length === 1)
    expect(failed).toEqual([[1, "refused the gateway's credentials (HTTP 403)"]])
    expect(state.closed).toBeUndefined()
  })

  it.each([
    [401, "calls the headers function's invalidate() once", 1],
    [403, "does not call the headers function's invalidate()", 0],
  ])(
    'on a POST answered %s, %s and still fails the request, keeping the connection',
    async (status, _what, calls) => {
      const url = await fakeServer(
        (res) => res.write(ENDPOINT),
        (_body, res) => res.writeHead(status).end(),
      )
      let invalidated = 0
      const headers = Object.assign(async () => ({ authorization: 'Bearer revoked' }), {
        invalidate: () => {
          invalidated++
        },
      })
      const { state, events } = recorder()
      const failed: [unknown, string][] = []
      const channel = openChannel(url, { headers })
      await channel.start({ ...events, fail: (id, reason) => failed.push([id, reason]) })
      channel.send(ping(1))
      await eventually(() => failed.length === 1)
      expect(failed).toEqual([[1, `refused the gateway's credentials (HTTP ${status})`]])
      expect(invalidated).toBe(calls)
      expect(state.closed).toBeUndefined()
    },
  )

  it('calls invalidate() once when the GET is answered 401, and fails to start as before when it throws or is absent', async () => {
    const base = await serveRequests((_req, res) => res.writeHead(401).end())
    let invalidated = 0
    const counting = Object.assign(async () => ({}), {
      invalidate: () => {
        invalidated++
      },
    })
    const throwing = Object.assign(async () => ({}), {
      invalidate: () => {
        throw new Error('invalidate broke')
      },
    })
    for (const headers of [counting, throwing, async () => ({})]) {
      await expect(
        openChannel(`${base}/sse`, { headers }).start(recorder().events),
      ).rejects.toThrow("Upstream refused the gateway's credentials (HTTP 401)")
    }
    expect(invalidated).toBe(1)
  })

  it('delivers message events once the endpoint is known', async () => {
    const url = await fakeServer((res) =>
      res.write(
        `${ENDPOINT}event: message\ndata: {"jsonrpc":"2.0","method":"notifications/x"}\n\n`,
      ),
    )
    const { messages, events } = recorder()
    await openChannel(url).start(events)
    await eventually(() => messages.length === 1)
    expect(messages[0]).toEqual({ jsonrpc: '2.0', method: 'notifications/x' })
  })

  it('drops a message event that is not JSON and keeps reading', async () => {
    const url = await fakeServer((res) =>
      res.write(`${ENDPOINT}data: nope\n\ndata: {"jsonrpc":"2.0","method":"a"}\n\n`),
    )
    const { messages, logs, state, events } = recorder()
    await openChannel(url).start(events)
    await eventually(() => messages.length === 1)
    expect(logs.some((line) => line.includes('not JSON'))).toBe(true)
    expect(state.closed).toBeUndefined()
  })

  it('reports the end of the stream through close', async () => {
    const url = await fakeServer((res) => {
      res.write(ENDPOINT)
      setTimeout(() => res.end(), 20)
    })
    const { state, events } = recorder()
    await openChannel(url).start(events)
    await eventually(() => state.closed !== undefined)
    expect(state.closed).toBe('closed the SSE stream')
  })

  it('ends the connection when an event exceeds maxMessageBytes', async () => {
    const url = await fakeServer((res) => res.write(`${ENDPOINT}data: ${'x'.repeat(2000)}\n\n`))
    const { state, events } = recorder()
    await openChannel(url, { maxMessageBytes: 1000 }).start(events)
    await eventually(() => state.closed !== undefined)
    expect(state.closed).toMatch(/larger than 1000 bytes/)
  })

  it('fails a request whose POST the server refuses through events.fail, keeping the connection', async () => {
    const url = await fakeServer(
      (res) => res.write(ENDPOINT),
      (_body, res) => res.writeHead(500).end(),
    )
    const { messages, state, events } = recorder()
    const failed: [unknown, string][] = []
    const channel = openChannel(url)
    await channel.start({ ...events, fail: (id, reason) => failed.push([id, reason]) })
    channel.send(ping(1))
    await eventually(() => failed.length === 1)
    expect(failed).toEqual([[1, 'refused the message (HTTP 500)']])
    expect(messages).toEqual([])
    expect(state.closed).toBeUndefined()
  })

  it('ends the connection when the server no longer knows the session', async () => {
    const url = await fakeServer(
      (res) => res.write(ENDPOINT),
      (_body, res) => res.writeHead(404).end(),
    )
    const { state, events } = recorder()
    const channel = openChannel(url)
    await channel.start(events)
    channel.send(ping(1))
    await eventually(() => state.closed !== undefined)
    expect(state.closed).toMatch(/HTTP 404/)
  })

  it('POSTs one message at a time, in the order sent', async () => {
    const bodies: number[] = []
    let seenWhileFirstPending = -1
    const url = await fakeServer(
      (res) => res.write(ENDPOINT),
      (body, res) => {
        bodies.push(JSON.parse(body).id)
        if (bodies.length === 1) {
          setTimeout(() => {
            seenWhileFirstPending = bodies.length
            res.writeHead(202).end()
          }, 50)
        } else res.writeHead(202).end()
      },
    )
    const channel = openChannel(url)
    await channel.start(recorder().events)
    channel.send(ping(1))
    channel.send(ping(2))
    channel.send(ping(3))
    await eventually(() => bodies.length === 3)
    expect(bodies).toEqual([1, 2, 3])
    expect(seenWhileFirstPending).toBe(1)
  })
})

describe('sse() errors a client sees', () => {
  it('fails to connect to a closed port naming the upstream by name, never its URL', async () => {
    const server = createServer()
    const url = `${await listen(server)}/sse`
    await stopServer(server)
    const connection = new UpstreamConnection('legacy', sse({ url }), noHandlers)
    const error = await connection.open(OPEN).then(
      () => undefined,
      (e: unknown) => e as McpxError,
    )
    expect(error?.toJSON()).toEqual({
      code: ErrorCode.UpstreamUnavailable,
      message: 'Upstream "legacy" could not be reached (ECONNREFUSED)',
      data: { upstream: 'legacy' },
    })
  })
})

describe('sse() options', () => {
  it('sends URL credentials as Basic authorization with the GET and every POST', async () => {
    const server = await sdkSseServer()
    const url = server.url.replace('http://', 'http://gateway:s%C3%A9cret@')
    const channel = openChannel(url)
    const { messages, events } = recorder()
    await channel.start(events)
    channel.send(ping(1))
    await eventually(() => messages.length === 1)
    const basic = `Basic ${Buffer.from('gateway:sécret').toString('base64')}`
    expect(server.headers.map((h) => [h.method, h.headers.authorization])).toEqual([
      ['GET', basic],
      ['POST', basic],
    ])
  })

  it('calls a headers function before the GET and before every POST', async () => {
    const server = await sdkSseServer()
    let n = 0
    const channel = openChannel(server.url, {
      headers: async () => ({ authorization: `Bearer t${++n}` }),
    })
    const { messages, events } = recorder()
    await channel.start(events)
    channel.send(ping(1))
    await eventually(() => messages.length === 1)
    expect(server.headers.map((h) => [h.method, h.headers.authorization])).toEqual([
      ['GET', 'Bearer t1'],
      ['POST', 'Bearer t2'],
    ])
  })

  it('fails a request with "could not get its credentials" when the headers function rejects, POSTing nothing', async () => {
    const server = await sdkSseServer()
    let calls = 0
    const channel = openChannel(server.url, {
      headers: () => {
        if (++calls > 1) return Promise.reject(new Error('token endpoint down'))
        return {}
      },
    })
    const { events, state, logs } = recorder()
    const failed: [unknown, string][] = []
    await channel.start({ ...events, fail: (id, reason) => failed.push([id, reason]) })
    channel.send(ping(1))
    await eventually(() => failed.length === 1)
    expect(failed).toEqual([[1, 'could not get its credentials']])
    expect(logs).toEqual(['could not get its credentials: token endpoint down'])
    expect(server.headers.map((h) => h.method)).toEqual(['GET'])
    expect(state.closed).toBeUndefined()
  })

  it('fails to start with "could not get its credentials" when the headers function throws', async () => {
    const server = await sdkSseServer()
    const channel = openChannel(server.url, {
      headers: () => {
        throw new Error('no secret configured')
      },
    })
    await expect(channel.start(recorder().events)).rejects.toThrow(
      'Upstream could not get its credentials',
    )
    expect(server.headers).toEqual([])
  })

  it('lets an Authorization header given in headers win over URL credentials', async () => {
    const server = await sdkSseServer()
    const url = server.url.replace('http://', 'http://gateway:secret@')
    await openChannel(url, { headers: { Authorization: 'Bearer t0k' } }).start(recorder().events)
    expect(server.headers.map((h) => h.headers.authorization)).toEqual(['Bearer t0k'])
  })

  it('describes itself without userinfo or query', () => {
    expect(sse({ url: 'http://user:secret@127.0.0.1:3001/sse?key=secret' }).describe).toBe(
      'http://127.0.0.1:3001/sse',
    )
  })

  it('does not claim to relate server requests to client requests', () => {
    expect(sse({ url: 'http://127.0.0.1:3001/sse' }).relatesRequests).toBeUndefined()
  })

  it.each([0, -1, 1.5])('rejects maxMessageBytes %s', (maxMessageBytes) => {
    expect(() => sse({ url: 'http://127.0.0.1:1/sse', maxMessageBytes })).toThrow(
      /maxMessageBytes must be a positive integer/,
    )
  })

  it('refuses a URL that is not http or https', () => {
    expect(() => sse({ url: 'ws://127.0.0.1/sse' })).toThrow(TypeError)
  })
})
