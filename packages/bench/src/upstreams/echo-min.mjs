#!/usr/bin/env node
// A minimal stdio MCP server with one tool, `echo`, and no SDK: newline-delimited
// JSON-RPC on stdin/stdout (MCP spec, Transports §stdio). It exists so that a proxy's
// own cost dominates an end-to-end benchmark instead of the upstream's.

import { realpathSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import { fileURLToPath } from 'node:url'

const SUPPORTED = new Set(['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'])
const DEFAULT_VERSION = '2025-06-18'

const ECHO_TOOL = {
  name: 'echo',
  description: 'Returns its text argument unchanged',
  inputSchema: {
    type: 'object',
    properties: { text: { type: 'string' } },
    required: ['text'],
  },
}

/**
 * @param {unknown} id
 * @param {number} code
 * @param {string} message
 */
function error(id, code, message) {
  return { jsonrpc: '2.0', id, error: { code, message } }
}

/**
 * Answers one JSON-RPC message; `undefined` means nothing is sent back.
 * @param {any} msg
 * @returns {object | undefined}
 */
export function handle(msg) {
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    return error(null, -32600, 'Invalid Request')
  }
  const { id, method } = msg
  // Notifications (no id) and responses to our (never sent) requests get no answer.
  if (id === undefined || typeof method !== 'string') return undefined
  const params = msg.params ?? {}
  switch (method) {
    case 'tools/call': {
      if (params.name !== 'echo') return error(id, -32602, `Unknown tool: ${params.name}`)
      const text = params.arguments?.text
      if (typeof text !== 'string') return error(id, -32602, 'echo: text must be a string')
      return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } }
    }
    case 'initialize': {
      const asked = params.protocolVersion
      return {
        jsonrpc: '2.0',
        id,
        result: {
          protocolVersion: SUPPORTED.has(asked) ? asked : DEFAULT_VERSION,
          capabilities: { tools: {} },
          serverInfo: { name: 'echo-min', version: '0.0.0' },
        },
      }
    }
    case 'ping':
      return { jsonrpc: '2.0', id, result: {} }
    case 'tools/list':
      return { jsonrpc: '2.0', id, result: { tools: [ECHO_TOOL] } }
    default:
      return error(id, -32601, `Method not found: ${method}`)
  }
}

/**
 * Turns one line into the text to write back (with its newline), or ''.
 * @param {string} line
 */
export function answerLine(line) {
  let msg
  try {
    msg = JSON.parse(line)
  } catch {
    return JSON.stringify(error(null, -32700, 'Parse error')) + '\n'
  }
  // JSON-RPC batches (allowed by 2025-03-26) are answered as a batch.
  if (Array.isArray(msg)) {
    const out = []
    for (const m of msg) {
      const r = handle(m)
      if (r !== undefined) out.push(r)
    }
    return out.length > 0 ? JSON.stringify(out) + '\n' : ''
  }
  const r = handle(msg)
  return r === undefined ? '' : JSON.stringify(r) + '\n'
}

/**
 * Splits a byte stream into lines however it is chunked: a chunk may end mid-line
 * or mid-character, or hold many lines. Everything answered for one chunk goes out
 * in one write.
 * @param {NodeJS.ReadableStream} input
 * @param {NodeJS.WritableStream} output
 */
export function serve(input, output) {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  input.on('data', (chunk) => {
    pending += decoder.write(chunk)
    let out = ''
    let start = 0
    let nl = pending.indexOf('\n', start)
    while (nl !== -1) {
      let end = nl
      if (end > start && pending.charCodeAt(end - 1) === 13) end-- // CRLF
      if (end > start) out += answerLine(pending.slice(start, end))
      start = nl + 1
      nl = pending.indexOf('\n', start)
    }
    pending = start === 0 ? pending : pending.slice(start)
    if (out !== '') output.write(out)
  })
  input.on('end', () => process.exit(0))
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // The client closing stdin is how a stdio server is told to stop (Transports §stdio).
  process.stdout.on('error', () => process.exit(0))
  serve(process.stdin, process.stdout)
}
