import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import { type ConformanceServerOptions, createConformanceServer } from './conformance-server.js'
import { createMemoryEventStore } from './memory-event-store.js'

export interface ConformanceHttpOptions extends ConformanceServerOptions {
  /**
   * Port on 127.0.0.1; 0 picks a free one.
   * @defaultValue 0
   */
  port?: number
  /**
   * Open sessions kept; beyond it the oldest is closed. Clients rarely send DELETE.
   * @defaultValue 1000
   */
  maxSessions?: number
  /**
   * Keep an event store per session so streams resume after `Last-Event-ID` (SEP-1699), and
   * send `retry` in SSE priming events.
   * @defaultValue true
   */
  resumable?: boolean
  /**
   * Makes the server for each session.
   * @defaultValue `createConformanceServer(options)`
   */
  server?: () => McpServer
  /**
   * Largest POST body accepted, in bytes.
   * @defaultValue 4 MiB
   */
  maxBodyBytes?: number
  /**
   * Called with each parsed POST body before it reaches a session; `true` answers that POST
   * HTTP 500 instead (faulty-http's `httpErrorRate`).
   * @defaultValue never
   */
  failPost?: (body: unknown) => boolean
}

export interface ConformanceHttpServer {
  /** The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  readonly url: string
  readonly sessionCount: number
  close(): Promise<void>
}

const MCP_PATH = '/mcp'
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Serves {@link createConformanceServer} over Streamable HTTP on 127.0.0.1: stateful
 * sessions, one `McpServer` and one SDK `StreamableHTTPServerTransport` per session, Host and
 * Origin checked against loopback names (DNS rebinding protection).
 *
 * @example
 * ```ts
 * const fixture = await startConformanceHttpServer({ port: 0 })
 * // … connect a client to fixture.url …
 * await fixture.close()
 * ```
 */
export async function startConformanceHttpServer(
  options: ConformanceHttpOptions = {},
): Promise<ConformanceHttpServer> {
  // Long on purpose: one request listener routes the fixture's few endpoints in one place.
  const { port = 0, maxSessions = 1000, resumable = true, maxBodyBytes = 4 * 1024 * 1024 } = options
  if (!(maxSessions > 0)) throw new TypeError('[@mcpx/test-utils] maxSessions must be > 0')
  const sessions = new Map<string, StreamableHTTPServerTransport>()

  async function openSession(req: IncomingMessage, res: ServerResponse, body: unknown) {
    const server = options.server?.() ?? createConformanceServer(options)
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      ...(resumable ? { eventStore: createMemoryEventStore(), retryInterval: 500 } : {}),
      onsessioninitialized: (id) => {
        sessions.set(id, transport)
        if (sessions.size > maxSessions) {
          const [oldest] = sessions.values()
          void oldest?.close()
        }
      },
    })
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId)
      void server.close()
    }
    await server.connect(transport)
    await transport.handleRequest(req, res, body)
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname !== MCP_PATH) return reply(res, 404, -32601, 'Not found')
    // Security §Local MCP server compromise: a localhost server must refuse foreign Host/Origin.
    if (!isLoopback(req.headers.host, false) || !isLoopback(req.headers.origin, true)) {
      return reply(res, 403, -32000, 'Forbidden: Host or Origin is not a loopback name')
    }
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
      res.setHeader('Allow', 'GET, POST, DELETE')
      return reply(res, 405, -32000, 'Method not allowed')
    }
    let body: unknown
    if (req.method === 'POST') {
      const raw = await readBody(req, maxBodyBytes)
      if (raw === undefined) return reply(res, 413, -32600, 'Request body too large')
      try {
        body = JSON.parse(raw)
      } catch {
        return reply(res, 400, -32700, 'Parse error')
      }
      if (options.failPost?.(body)) return reply(res, 500, -32603, 'Internal error')
    }
    const sessionId = req.headers['mcp-session-id']
    if (typeof sessionId === 'string') {
      const transport = sessions.get(sessionId)
      // Streamable HTTP §Session Management: 404 means the client must re-initialize.
      if (!transport) return reply(res, 404, -32001, 'Session not found')
      return transport.handleRequest(req, res, body)
    }
    const initializing = Array.isArray(body)
      ? body.some(isInitializeRequest)
      : isInitializeRequest(body)
    if (req.method === 'POST' && initializing) return openSession(req, res, body)
    return reply(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required')
  }

  const http = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, -32603, 'Internal error')
      else res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, '127.0.0.1', () => resolve())
  })
  const { port: actual } = http.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${actual}${MCP_PATH}`,
    get sessionCount() {
      return sessions.size
    },
    async close() {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()))
      sessions.clear()
      const closed = new Promise<void>((resolve) => http.close(() => resolve()))
      http.closeAllConnections()
      await closed
    },
  }
}

function isLoopback(value: string | undefined, isOrigin: boolean): boolean {
  if (value === undefined) return isOrigin // Host is mandatory in HTTP/1.1; Origin is not.
  try {
    return LOOPBACK.has(new URL(isOrigin ? value : `http://${value}`).hostname)
  } catch {
    return false
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.pause()
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function reply(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }))
}
