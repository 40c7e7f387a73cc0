/**
 * Servers and a client for the Streamable HTTP connector's tests, all on
 * 127.0.0.1 port 0. Test code only: no entry imports this file.
 */
import { randomUUID } from 'node:crypto'
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { McpxError } from '@mcpx/core'
import { createMemoryEventStore } from '@mcpx/test-utils'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import {
  CreateMessageResultSchema,
  isInitializeRequest,
  SubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { cleanups, listen } from '../../test/fixtures.js'
import type { Result } from '../protocol/peer.js'
import { UpstreamConnection } from './connection.js'
import { type StreamableHttpOptions, streamableHttp } from './streamable-http.js'

// ---------------------------------------------------------------- servers

export async function readBody(req: IncomingMessage): Promise<any> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text ? JSON.parse(text) : undefined
}

export interface Seen {
  method: string
  headers: IncomingHttpHeaders
  body: any
}

/**
 * The SDK's own server: one `McpServer` and `StreamableHTTPServerTransport`
 * per session. `resumable`: an event store, so streams resume after
 * `Last-Event-ID`, and a 1 ms `retry` in priming events.
 */
export async function startSdkServer(options: { json?: boolean; resumable?: boolean } = {}) {
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
      ...(options.resumable ? { eventStore: createMemoryEventStore(), retryInterval: 1 } : {}),
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
  // Subscriptions are accepted and forgotten with the session: the server keeps them per session.
  mcp.server.registerCapabilities({ resources: { subscribe: true } })
  mcp.server.setRequestHandler(SubscribeRequestSchema, async () => ({}))
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
  mcp.registerTool('polled', { description: 'Closes its stream mid-way' }, async (extra) => {
    const progressToken = extra._meta?.progressToken ?? 0
    for (const progress of [1, 2, 3]) {
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress, total: 3 },
      })
      // MCP 2025-11-25 polling (SEP-1699): the server ends the stream; the client resumes it.
      if (progress === 1) extra.closeSSEStream?.()
    }
    return text('polled')
  })
  return mcp
}

export type Route = (request: Seen, res: ServerResponse) => void | Promise<void>

/**
 * A hand-written server: it answers the handshake; `route` answers everything
 * else. Past `sessions` initializes it answers `refuse` (503 by default).
 */
export async function startRawServer(
  route: Route,
  options: { sessions?: number; refuse?: number } = {},
) {
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
        return void res.writeHead(options.refuse ?? 503).end()
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

export const methodNotAllowed: Route = (_request, res) => void res.writeHead(405).end()

export function sendJson(res: ServerResponse, message: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(message))
}

export const toolResult = (text: string) => ({ content: [{ type: 'text', text }] })

// ---------------------------------------------------------------- client side

export interface Received {
  requests: { method: string; related: unknown }[]
  notifications: { method: string; params: unknown; related: unknown }[]
  logs: string[]
}

/** An initialized connection named "fixture"; `logs` collects its log lines, even when opening fails. */
export async function connect(
  url: string,
  options: Partial<StreamableHttpOptions> = {},
  logs: string[] = [],
) {
  const received: Received = { requests: [], notifications: [], logs }
  const connection = new UpstreamConnection(
    'fixture',
    streamableHttp({ url, reconnectDelay: 1, ...options }),
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

export function callTool(
  connection: UpstreamConnection,
  name: string,
  extra: Record<string, unknown> = {},
) {
  return connection.request('tools/call', { name, arguments: {}, ...extra })
}

export async function failureOf(promise: Promise<unknown>): Promise<McpxError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!McpxError.is(error)) throw new Error(`expected an McpxError, got ${String(error)}`)
  return error
}
