import { randomUUID } from 'node:crypto'
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { ErrorCode, McpxError } from '@mcpx/core'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { CreateMessageResultSchema, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanups, listen, runCleanups, stopServer } from '../../test/fixtures.js'
import type { Result } from '../protocol/peer.js'
import { UpstreamConnection } from './connection.js'
import { type StreamableHttpOptions, streamableHttp } from './streamable-http.js'

afterEach(runCleanups)

// ---------------------------------------------------------------- servers

async function readBody(req: IncomingMessage): Promise<any> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text ? JSON.parse(text) : undefined
}

interface Seen {
  method: string
  headers: IncomingHttpHeaders
  body: any
}

/** The SDK's own server: one `McpServer` and `StreamableHTTPServerTransport` per session. */
async function startSdkServer(options: { json?: boolean } = {}) {
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; mcp: McpServer }>()
  const seen: Seen[] = []
  const streams: ServerResponse[] = []
  const server = createServer(async (req, res) => {
    const body = req.method === 'POST' ? await readBody(req) : undefined
    seen.push({ method: req.method!, headers: req.headers, body })
    if (req.method === 'GET') streams.push(res)
    const sessionId = req.headers['mcp-session-id'] as string | undefined
    const session = sessionId === undefined ? undefined : sessions.get(sessionId)
    if (session) return session.transport.handleRequest(req, res, body)
    if (sessionId !== undefined || !isInitializeRequest(body)) return void res.writeHead(404).end()
    const mcp = fixtureServer()
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableJsonResponse: options.json ?? false,
      onsessioninitialized: (id) => void sessions.set(id, { transport, mcp }),
    })
    await mcp.connect(transport)
    await transport.handleRequest(req, res, body)
  })
  const url = `${await listen(server)}/mcp`
  const transports = new Set<StreamableHTTPServerTransport>()
  cleanups.push(async () => {
    for (const { transport } of sessions.values()) transports.add(transport)
    for (const transport of transports) await transport.close()
  })
  return {
    url,
    server,
    seen,
    sessions,
    /** GET streams the SDK has opened (it registers a stream before writing its headers). */
    openStreams: () => streams.filter((res) => res.headersSent && !res.closed),
    /** Forget every session without telling it: the next request with its id gets 404. */
    expire: () => {
      for (const { transport } of sessions.values()) transports.add(transport)
      sessions.clear()
    },
    rpc: (method: string) => seen.filter((s) => s.body?.method === method),
  }
}

function fixtureServer(): McpServer {
  const mcp = new McpServer({ name: 'fixture', version: '1.0.0' })
  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] })
  mcp.registerTool('hello', { description: 'Says hello' }, async () => text('hello'))
  mcp.registerTool('ask', { description: 'Asks the client to sample' }, async (extra) => {
    const answer = await extra.sendRequest(
      {
        method: 'sampling/createMessage',
        params: {
          messages: [{ role: 'user', content: { type: 'text', text: 'Pick a colour' } }],
          maxTokens: 5,
        },
      },
      CreateMessageResultSchema,
    )
    return text(`sampled ${JSON.stringify(answer.content)}`)
  })
  mcp.registerTool('slow', { description: 'Reports progress' }, async (extra) => {
    const progressToken = extra._meta?.progressToken
    if (progressToken !== undefined) {
      for (const progress of [1, 2]) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress, total: 2 },
        })
      }
    }
    return text('done')
  })
  return mcp
}

type Route = (request: Seen, res: ServerResponse) => void | Promise<void>

/** A hand-written server: it answers the handshake; `route` answers everything else. */
async function startRawServer(route: Route, options: { sessions?: number } = {}) {
  const seen: Seen[] = []
  let sessions = 0
  const server = createServer(async (req, res) => {
    const request = {
      method: req.method!,
      headers: req.headers,
      body: req.method === 'POST' ? await readBody(req) : undefined,
    }
    seen.push(request)
    const { body } = request
    if (body?.method === 'initialize') {
      if (++sessions > (options.sessions ?? Number.POSITIVE_INFINITY))
        return void res.writeHead(503).end()
      const result = {
        protocolVersion: '2025-11-25',
        capabilities: { tools: {} },
        serverInfo: { name: 'raw', version: '1' },
      }
      return void res
        .writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'raw-session' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result }))
    }
    if (body && !('id' in body && 'method' in body)) return void res.writeHead(202).end()
    if (req.method === 'DELETE') return void res.writeHead(204).end()
    await route(request, res)
  })
  return { url: `${await listen(server)}/mcp`, seen, server }
}

const methodNotAllowed: Route = (_request, res) => void res.writeHead(405).end()

function sendJson(res: ServerResponse, message: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(message))
}

const toolResult = (text: string) => ({ content: [{ type: 'text', text }] })

// ---------------------------------------------------------------- client side

interface Received {
  requests: { method: string; related: unknown }[]
  notifications: { method: string; params: unknown; related: unknown }[]
  logs: string[]
}

async function connect(url: string, options: Partial<StreamableHttpOptions> = {}) {
  const received: Received = { requests: [], notifications: [], logs: [] }
  const connection = new UpstreamConnection(
    'fixture',
    streamableHttp({ url, reconnectDelay: 20, ...options }),
    {
      request: async (message, _signal, related): Promise<Result> => {
        received.requests.push({ method: message.method, related })
        return { role: 'assistant', content: { type: 'text', text: 'blue' }, model: 'test-model' }
      },
      notification: (message, related) => {
        received.notifications.push({ method: message.method, params: message.params, related })
      },
    },
  )
  cleanups.push(() => connection.close())
  await connection.open({
    initialize: {
      protocolVersion: '2025-11-25',
      capabilities: { sampling: {} },
      clientInfo: { name: 'test', version: '1.0.0' },
    },
    connectTimeout: 10_000,
    log: (line) => received.logs.push(line),
  })
  return { connection, received }
}

function callTool(
  connection: UpstreamConnection,
  name: string,
  extra: Record<string, unknown> = {},
) {
  return connection.request('tools/call', { name, arguments: {}, ...extra })
}

async function failureOf(promise: Promise<unknown>): Promise<McpxError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!McpxError.is(error)) throw new Error(`expected an McpxError, got ${String(error)}`)
  return error
}

// ---------------------------------------------------------------- tests

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

describe('streamableHttp() faults', () => {
  it('fails a request answered with HTTP 500 with -32010 naming the upstream, while a concurrent one succeeds', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      if (request.body.params.name === 'fail') {
        return void res
          .writeHead(500, { 'x-upstream-secret': 'hunter2' })
          .end('database password is hunter2')
      }
      sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: toolResult('ok') })
    })
    const { connection } = await connect(raw.url)
    const [failed, ok] = await Promise.all([
      failureOf(callTool(connection, 'fail')),
      callTool(connection, 'ok'),
    ])
    expect(ok).toEqual(toolResult('ok'))
    expect(failed.code).toBe(ErrorCode.UpstreamUnavailable)
    expect(failed.message).toBe(`Upstream ${raw.url} answered HTTP 500`)
    expect(JSON.stringify(failed.toJSON())).not.toContain('hunter2')
    expect(connection.closed).toBe(false)
  })

  it('fails fast with -32010 when the upstream refuses the connection', async () => {
    const server = createServer()
    const url = `${await listen(server)}/mcp`
    await stopServer(server)
    const error = await failureOf(connect(url))
    expect(error.code).toBe(ErrorCode.UpstreamUnavailable)
    expect(error.message).toBe(
      `Upstream "fixture" is unavailable: Upstream ${url} could not be reached (ECONNREFUSED)`,
    )
  }, 5000)

  it('keeps POSTs independent: a fast request is answered while a slow one is still waiting', async () => {
    let releaseSlow: () => void = () => {}
    const slowMayAnswer = new Promise<void>((resolve) => {
      releaseSlow = resolve
    })
    const raw = await startRawServer(async (request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      const { id, params } = request.body
      if (params.name === 'slow') await slowMayAnswer
      sendJson(res, { jsonrpc: '2.0', id, result: toolResult(params.name) })
    })
    const { connection } = await connect(raw.url)
    const slow = callTool(connection, 'slow')
    await expect(callTool(connection, 'fast')).resolves.toEqual(toolResult('fast'))
    releaseSlow()
    await expect(slow).resolves.toEqual(toolResult('slow'))
  })

  it('fails a request whose SSE stream ends without its answer', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      const progress = {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'info', data: 1 },
      }
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(`data: ${JSON.stringify(progress)}\n\n`)
    })
    const { connection } = await connect(raw.url)
    const error = await failureOf(callTool(connection, 'cut'))
    expect(error.code).toBe(ErrorCode.UpstreamUnavailable)
    expect(error.message).toBe(`Upstream ${raw.url} ended the response without answering`)
  })

  it('fails a request answered with a body that is not JSON', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>')
    })
    const { connection } = await connect(raw.url)
    const error = await failureOf(callTool(connection, 'broken'))
    expect(error.code).toBe(ErrorCode.UpstreamUnavailable)
    expect(error.message).toBe(`Upstream ${raw.url} answered with invalid JSON`)
  })

  it('closes the channel when the session expires and re-initializing fails', async () => {
    const raw = await startRawServer(
      (request, res) => {
        if (request.method === 'GET') return methodNotAllowed(request, res)
        res.writeHead(404).end()
      },
      { sessions: 1 },
    )
    const { connection } = await connect(raw.url)
    const closed = new Promise<McpxError>((resolve) => connection.onClose(resolve))
    const error = await failureOf(callTool(connection, 'expired'))
    expect(error.code).toBe(ErrorCode.UpstreamUnavailable)
    expect(error.message).toBe(
      'Upstream "fixture" expired the session and could not be re-initialized',
    )
    await expect(closed).resolves.toBe(error)
    expect(raw.seen.filter((s) => s.body?.method === 'initialize')).toHaveLength(2)
  })

  it('sends nothing once closed', async () => {
    const raw = await startRawServer(methodNotAllowed)
    const channel = streamableHttp({ url: raw.url }).open()
    await channel.start({ message() {}, close() {} })
    await channel.close()
    channel.send({ jsonrpc: '2.0', id: 1, method: 'ping' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(raw.seen).toEqual([])
  })

  it('fails a request whose body exceeds maxBodyBytes', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      res.writeHead(200, { 'content-type': 'application/json' }) // chunked: no Content-Length to trust
      res.write(
        `{"jsonrpc":"2.0","id":${request.body.id},"result":{"content":[{"type":"text","text":"`,
      )
      res.end(`${'x'.repeat(4096)}"}]}}`)
    })
    const { connection } = await connect(raw.url, { maxBodyBytes: 1024 })
    const error = await failureOf(callTool(connection, 'big'))
    expect(error.code).toBe(ErrorCode.UpstreamUnavailable)
    expect(error.message).toBe(`Upstream ${raw.url} answered with a body larger than 1024 bytes`)
  })

  it('parses SSE framing: comments, priming events, CRLF, multi-line data, other event types', async () => {
    const raw = await startRawServer(async (request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      const json = JSON.stringify(
        { jsonrpc: '2.0', id: request.body.id, result: toolResult('framed') },
        null,
        1,
      )
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(
        ': keep-alive\r\n\r\nid: p1\r\ndata: \r\n\r\nevent: other\r\ndata: not json\r\n\r\n',
      )
      const lines = json
        .split('\n')
        .map((line) => `data: ${line}`)
        .join('\r\n')
      res.write(lines.slice(0, 25))
      await new Promise((resolve) => setTimeout(resolve, 10))
      res.end(`${lines.slice(25)}\r\n\r\n`)
    })
    const { connection, received } = await connect(raw.url)
    await expect(callTool(connection, 'framed')).resolves.toEqual(toolResult('framed'))
    expect(received.logs).toEqual([])
  })

  it('resumes a POST stream that ends before the answer with GET and Last-Event-ID', async () => {
    let callId: unknown
    const raw = await startRawServer((request, res) => {
      if (request.method === 'POST') {
        callId = request.body.id
        // MCP 2025-11-25 polling: prime the stream with an event id, then close it.
        return void res
          .writeHead(200, { 'content-type': 'text/event-stream' })
          .end(`id: call-1\nretry: 10\ndata: \n\n`)
      }
      if (request.headers['last-event-id'] !== 'call-1') return methodNotAllowed(request, res)
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(
        `id: call-2\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: callId, result: toolResult('resumed') })}\n\n`,
      )
    })
    const { connection } = await connect(raw.url)
    await expect(callTool(connection, 'poll')).resolves.toEqual(toolResult('resumed'))
  })

  it('reconnects a dropped GET stream after the server retry delay, resuming from the last event id', async () => {
    const note = (n: number) =>
      JSON.stringify({
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'info', data: n },
      })
    const raw = await startRawServer((request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      if (request.headers['last-event-id'] === undefined)
        res.end(`retry: 10\nid: e1\ndata: ${note(1)}\n\n`)
      else res.write(`id: e2\ndata: ${note(2)}\n\n`)
    })
    const { received } = await connect(raw.url)
    await vi.waitFor(() =>
      expect(received.notifications.map((n) => (n.params as { data: number }).data)).toEqual([
        1, 2,
      ]),
    )
    expect(
      raw.seen.filter((s) => s.method === 'GET').map((s) => s.headers['last-event-id']),
    ).toEqual([undefined, 'e1'])
  })

  it('does not retry the GET stream when the server answers 405', async () => {
    const raw = await startRawServer(methodNotAllowed)
    await connect(raw.url, { reconnectDelay: 1 })
    await vi.waitFor(() => expect(raw.seen.some((s) => s.method === 'GET')).toBe(true))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(raw.seen.filter((s) => s.method === 'GET')).toHaveLength(1)
  })
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
