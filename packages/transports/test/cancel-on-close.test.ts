import { eventually } from '@mcpx/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { stdio } from '../src/stdio.js'
import { ACCEPT, type Gateway, initialize, startGateway } from './harness.js'

/**
 * A stdio MCP server that holds every `tools/call` until it is cancelled,
 * logging each call, each cancel and the end of its stdin to stderr (the
 * upstream's log). Like a real server with work in flight, it does not exit
 * when its stdin ends while calls are still pending: only SIGTERM ends it then.
 */
const HOLDING_SERVER = `
const pending = new Set()
let buffer = ''
const out = (message) => process.stdout.write(JSON.stringify(message) + '\\n')
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  buffer += chunk
  for (let i = buffer.indexOf('\\n'); i >= 0; i = buffer.indexOf('\\n')) {
    const line = buffer.slice(0, i)
    buffer = buffer.slice(i + 1)
    if (!line) continue
    const m = JSON.parse(line)
    if (m.method === 'initialize') {
      const result = { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'hold', version: '1' } }
      out({ jsonrpc: '2.0', id: m.id, result })
    } else if (m.method === 'tools/call') {
      pending.add(m.id)
      process.stderr.write('call ' + m.id + '\\n')
    } else if (m.method === 'notifications/cancelled') {
      pending.delete(m.params.requestId)
      process.stderr.write('cancelled ' + m.params.requestId + '\\n')
    } else if (m.id !== undefined && m.method) out({ jsonrpc: '2.0', id: m.id, result: {} })
  }
})
process.stdin.on('end', () => {
  process.stderr.write('stdin ended\\n')
  if (pending.size === 0) process.exit(0)
})
setInterval(() => {}, 1000)
`

async function call(url: string, sessionId: string, id: number): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-session-id': sessionId },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'hold' } }),
  })
  return response.text()
}

describe('closing a per-session session with requests in flight', () => {
  let gateway: Gateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it('sends the upstream notifications/cancelled for each request before its stdin closes', async () => {
    gateway = await startGateway(
      stdio({ command: process.execPath, args: ['-e', HOLDING_SERVER], killTimeout: 2_000 }),
      'per-session',
    )
    const { logs } = gateway
    const { sessionId } = await initialize(gateway.url)
    const calls = [2, 3, 4].map((id) => call(gateway!.url, sessionId, id))
    await eventually(() => logs.filter((line) => line.startsWith('call ')).length === 3)
    const upstreamIds = logs.filter((line) => line.startsWith('call ')).map((line) => line.slice(5))
    const started = performance.now()
    await gateway.server.handler.close('bye')
    await gateway.upstream.close()
    const closing = performance.now() - started
    for (const body of await Promise.all(calls)) expect(body).toContain('bye')
    expect(logs.filter((line) => !line.startsWith('call '))).toEqual([
      ...upstreamIds.map((id) => `cancelled ${id}`),
      'stdin ended',
    ])
    // Its calls cancelled, the child exits when its stdin ends, not at the SIGTERM 2 s later.
    expect(closing).toBeLessThan(1_500)
  }, 15_000)
})
