import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProxy } from '@mcpx/core'
import { router } from '@mcpx/router'
import { forward, streamableHttp, upstream } from '@mcpx/transports'
import { createStreamableHttpHandler } from '@mcpx/transports/node'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { z } from 'zod'
import {
  type Authenticator,
  access,
  protectedResourceHandler,
  protectedResourceMetadata,
  withResourceMetadata,
} from '../src/index.js'

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] })

/** A real Streamable HTTP MCP server that records every HTTP request it gets. */
export interface RecordingUpstream {
  readonly url: string
  /** Each HTTP request: its method, headers and, for a POST, the JSON-RPC method(s) it carried. */
  readonly requests: { method: string; headers: IncomingHttpHeaders; rpc: string[] }[]
  close(): Promise<void>
}

function tools(): McpServer {
  const mcp = new McpServer({ name: 'recording-upstream', version: '1.0.0' })
  mcp.registerTool('math_add', { inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) =>
    text(String(a + b)),
  )
  mcp.registerTool('admin_reset', {}, () => text('reset'))
  return mcp
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text
}

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function closing(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

/** Stateless (a server and transport per POST), so it has no session to keep; GET and DELETE get 405. */
export async function recordingUpstream(): Promise<RecordingUpstream> {
  const requests: RecordingUpstream['requests'] = []
  const server = createServer(async (req, res) => {
    const body = req.method === 'POST' ? JSON.parse(await readBody(req)) : undefined
    const rpc = [body ?? []].flat().map((message: { method?: string }) => message.method ?? '')
    requests.push({ method: req.method ?? '', headers: req.headers, rpc })
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end()
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    const mcp = tools()
    res.on('close', () => void mcp.close())
    await mcp.connect(transport)
    await transport.handleRequest(req, res, body)
  })
  const url = `${await listening(server)}/mcp`
  return { url, requests, close: () => closing(server) }
}

/** The gateway under test and what sits behind it. */
export interface Gateway {
  /** The MCP endpoint. */
  readonly url: string
  /** The protected-resource metadata document's URL. */
  readonly metadataUrl: string
  readonly upstream: RecordingUpstream
  close(): Promise<void>
}

/**
 * A running proxy as an MCP resource server: `authenticator` on the
 * Streamable HTTP front end (401s pointing at the metadata), `access()`
 * keeping `admin_*` for the `admin` scope, the router, and one recording
 * upstream behind `forward()`.
 */
export async function gateway(authenticator: Authenticator): Promise<Gateway> {
  const recording = await recordingUpstream()
  // Room for oversized tokens to reach the authenticator (Node's own limit is 16 KiB of headers).
  const server = createServer({ maxHeaderSize: 256 * 1024 })
  const origin = await listening(server)
  const url = `${origin}/mcp`
  const wellKnown = protectedResourceHandler(
    protectedResourceMetadata({
      resource: url,
      authorizationServers: ['https://issuer.test'],
      scopesSupported: ['math:read', 'admin'],
    }),
  )
  const proxy = createProxy({
    terminal: forward([upstream('tools', streamableHttp({ url: recording.url }))]),
  })
  proxy.use(access({ rules: { tools: { 'admin_*': 'admin' } }, resourceMetadata: wellKnown.url }))
  proxy.use(router({ upstreams: { tools: {} } }))
  const mcp = createStreamableHttpHandler(proxy, {
    path: '/mcp',
    authenticate: withResourceMetadata(authenticator, wellKnown.url),
  })
  server.on('request', (req, res) => {
    if (!wellKnown.node(req, res)) mcp(req, res)
  })
  return {
    url,
    metadataUrl: wellKnown.url,
    upstream: recording,
    async close() {
      await mcp.close()
      await closing(server)
      await proxy.close()
      await recording.close()
    },
  }
}
