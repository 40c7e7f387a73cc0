#!/usr/bin/env node
// A hand-written SDK passthrough: what an engineer writes in an afternoon with the
// MCP TypeScript SDK and no proxy library. Downstream, one low-level `Server` and one
// stateful `StreamableHTTPServerTransport` per session (SDK defaults, so responses
// stream as SSE); upstream, one shared SDK `Client` over `StdioClientTransport`.
// It forwards tools/list and tools/call.
//
// Usage: node sdk-passthrough.mjs [--port 0] -- <upstream command> [args...]
// Prints `LISTENING http://127.0.0.1:<port>/mcp` once the upstream is connected.

import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import {
  CallToolRequestSchema,
  isInitializeRequest,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'

const { values, positionals } = parseArgs({
  options: { port: { type: 'string', default: '0' } },
  allowPositionals: true,
})
if (positionals.length === 0) {
  process.stderr.write('usage: sdk-passthrough.mjs [--port 0] -- <upstream command> [args...]\n')
  process.exit(2)
}
const [command, ...args] = positionals

const client = new Client({ name: 'sdk-passthrough', version: '0.0.0' })
await client.connect(new StdioClientTransport({ command, args, stderr: 'inherit' }))

/** @type {Map<string, StreamableHTTPServerTransport>} */
const transports = new Map()

async function newSession() {
  const server = new Server(
    { name: 'sdk-passthrough', version: '0.0.0' },
    { capabilities: { tools: {} } },
  )
  server.setRequestHandler(ListToolsRequestSchema, (req) => client.listTools(req.params))
  server.setRequestHandler(CallToolRequestSchema, (req) => client.callTool(req.params))
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => {
      transports.set(id, transport)
    },
  })
  transport.onclose = () => {
    if (transport.sessionId) transports.delete(transport.sessionId)
  }
  await server.connect(transport)
  return transport
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<unknown>}
 */
function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      try {
        resolve(JSON.parse(body))
      } catch (e) {
        reject(e)
      }
    })
    req.on('error', reject)
  })
}

const http = createServer(async (req, res) => {
  try {
    const sessionId = req.headers['mcp-session-id']
    const body = req.method === 'POST' ? await readJson(req) : undefined
    let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined
    if (transport === undefined) {
      if (sessionId === undefined && req.method === 'POST' && isInitializeRequest(body)) {
        transport = await newSession()
      } else {
        // Streamable HTTP §Session Management: unknown session → 404, missing → 400.
        res.writeHead(sessionId === undefined ? 400 : 404, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: null,
            error: { code: -32000, message: 'Bad session' },
          }),
        )
        return
      }
    }
    await transport.handleRequest(req, res, body)
  } catch {
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }),
    )
  }
})

http.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (http.address())
  process.stdout.write(`LISTENING http://127.0.0.1:${port}/mcp\n`)
})

process.on('SIGTERM', async () => {
  http.close()
  await client.close().catch(() => {})
  process.exit(0)
})
