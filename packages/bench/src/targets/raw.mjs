#!/usr/bin/env node
// The raw limit: a bare node:http JSON-RPC echo with no MCP library and no upstream.
// It does only what any Streamable HTTP server must do per call (read the body, parse
// it, look the session up, serialise the answer), so its requests/s is the most one
// Node process on one core can serve for this workload.
//
// Usage: node raw.mjs [--port 0]; prints `LISTENING http://127.0.0.1:<port>/mcp`.

import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } })

const JSON_HEADERS = { 'content-type': 'application/json' }
/** @type {Set<string>} */
const sessions = new Set()

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {object} body
 * @param {Record<string, string>} [headers]
 */
function send(res, status, body, headers = JSON_HEADERS) {
  res.writeHead(status, headers)
  res.end(JSON.stringify(body))
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {string} body
 */
function answer(req, res, body) {
  let msg
  try {
    msg = JSON.parse(body)
  } catch {
    return send(res, 400, {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error' },
    })
  }
  const { id, method, params } = msg
  if (method === 'initialize') {
    const sessionId = randomUUID()
    sessions.add(sessionId)
    return send(
      res,
      200,
      {
        jsonrpc: '2.0',
        id,
        result: {
          protocolVersion: params?.protocolVersion ?? '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: 'raw', version: '0.0.0' },
        },
      },
      { 'content-type': 'application/json', 'mcp-session-id': sessionId },
    )
  }
  // Streamable HTTP §Session Management: an unknown session id is a 404.
  const sessionId = req.headers['mcp-session-id']
  if (typeof sessionId !== 'string' || !sessions.has(sessionId)) {
    return send(res, 404, {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found' },
    })
  }
  if (id === undefined) {
    res.writeHead(202)
    return res.end()
  }
  if (method === 'tools/call') {
    const text = params?.arguments?.text
    return send(res, 200, { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } })
  }
  if (method === 'tools/list') {
    return send(res, 200, {
      jsonrpc: '2.0',
      id,
      result: {
        tools: [
          {
            name: 'echo',
            inputSchema: {
              type: 'object',
              properties: { text: { type: 'string' } },
              required: ['text'],
            },
          },
        ],
      },
    })
  }
  if (method === 'ping') return send(res, 200, { jsonrpc: '2.0', id, result: {} })
  send(res, 200, {
    jsonrpc: '2.0',
    id,
    error: { code: -32601, message: `Method not found: ${method}` },
  })
}

const server = createServer((req, res) => {
  if (req.method === 'DELETE') {
    const sessionId = req.headers['mcp-session-id']
    const known = typeof sessionId === 'string' && sessions.delete(sessionId)
    res.writeHead(known ? 200 : 404)
    return res.end()
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST, DELETE' })
    return res.end()
  }
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (chunk) => {
    body += chunk
  })
  req.on('end', () => answer(req, res, body))
})
server.keepAliveTimeout = 60_000

server.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
  process.stdout.write(`LISTENING http://127.0.0.1:${port}/mcp\n`)
})
process.on('SIGTERM', () => process.exit(0))
