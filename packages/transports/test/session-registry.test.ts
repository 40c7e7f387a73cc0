import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProxy } from '@mcpx/core'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { endToEnd } from '../src/downstream/forward-to-owner.js'
import type { SessionDirectory } from '../src/downstream/session-directory.js'
import { forward } from '../src/forward.js'
import { createStreamableHttpHandler } from '../src/node.js'
import { inProcess } from '../src/upstream/in-process.js'
import { upstream } from '../src/upstream/upstream.js'
import { cleanups, runCleanups } from './fixtures.js'
import { ACCEPT, INIT } from './harness.js'

afterEach(runCleanups)

/** A directory in memory: what the option checks need, nothing shared. */
function memoryDirectory(): SessionDirectory {
  const owners = new Map<string, string>()
  return {
    ttl: 60_000,
    claim: async (id, owner) => void owners.set(id, owner),
    touch: async (id, owner) => void owners.set(id, owner),
    release: async (id, owner) => void (owners.get(id) === owner && owners.delete(id)),
    owner: async (id) => owners.get(id),
  }
}

const proxy = createProxy({ terminal: async () => {} })
const registry = {
  directory: memoryDirectory(),
  self: 'http://10.0.0.7:3000',
  secret: 'x'.repeat(16),
}

describe('the registry option', () => {
  it('is checked when the handler is made', () => {
    const make = (changes: object) =>
      createStreamableHttpHandler(proxy, { registry: { ...registry, ...changes } })
    expect(() => make({ secret: 'short' })).toThrow(/secret must be at least 16 visible ASCII/)
    // Read from a file with its newline, or padded: either would fail every forward later.
    expect(() => make({ secret: 'a-secret-of-16-chars-or-more\n' })).toThrow(
      /no spaces or newlines/,
    )
    expect(() => make({ secret: ' a-secret-of-16-chars-or-more' })).toThrow(/no spaces or newlines/)
    expect(() => make({ self: 'not a url' })).toThrow(/self must be an http\(s\) origin/)
    expect(() => make({ self: 'http://10.0.0.7:3000/mcp' })).toThrow(
      /self must be an http\(s\) origin/,
    )
    expect(() => make({ directory: {} })).toThrow(/directory must be a SessionDirectory/)
    expect(() => make({ connectTimeout: 0 })).toThrow(/connectTimeout/)
    expect(() => make({ directory: { ...memoryDirectory(), ttl: 10 } })).toThrow(/ttl/)
    const handler = make({})
    expect(typeof handler).toBe('function')
    void handler.close()
  })
})

describe('endToEnd', () => {
  it('drops hop-by-hop headers and those Connection names, and keeps the rest', () => {
    const kept = endToEnd({
      connection: 'keep-alive, x-hop',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'proxy-authorization': 'Basic abc',
      upgrade: 'websocket',
      te: 'trailers',
      'x-hop': 'only to the next hop',
      authorization: 'Bearer alice',
      'mcp-session-id': 'abc',
      'mcp-protocol-version': '2025-06-18',
      'last-event-id': 'p1:3',
      host: 'gateway.example',
    })
    expect(kept).toEqual({
      authorization: 'Bearer alice',
      'mcp-session-id': 'abc',
      'mcp-protocol-version': '2025-06-18',
      'last-event-id': 'p1:3',
      host: 'gateway.example',
    })
  })
})

const SECRET = 'a-secret-of-16-chars-or-more'

/** A replica in this process: an in-process server whose `whoami` tool names it, the registry on. */
async function replica(
  name: string,
  directory: SessionDirectory,
  mount?: 'express.json' | 'express.text' | 'express.raw',
) {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const mcp = new McpServer({ name, version: '1.0.0' })
  mcp.registerTool('whoami', {}, async () => ({ content: [{ type: 'text', text: name }] }))
  const proxy = createProxy({ terminal: forward(upstream(name, inProcess(mcp))) })
  const handler = createStreamableHttpHandler(proxy, {
    path: '/mcp',
    registry: { directory, self: origin, secret: SECRET },
  })
  let listener: RequestListener = handler
  if (mount) {
    const app = express()
    if (mount === 'express.json') app.use(express.json())
    else if (mount === 'express.text') app.use(express.text({ type: '*/*' }))
    else app.use(express.raw({ type: '*/*' }))
    app.all('/mcp', handler)
    listener = app
  }
  server.on('request', listener)
  cleanups.push(async () => {
    await handler.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await proxy.close()
  })
  return `${origin}/mcp`
}

async function post(url: string, body: string, sessionId?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: ACCEPT }
  if (sessionId)
    Object.assign(headers, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' })
  const answer = await fetch(url, { method: 'POST', headers, body })
  return {
    status: answer.status,
    sessionId: answer.headers.get('mcp-session-id'),
    text: await answer.text(),
  }
}

const WHOAMI = JSON.stringify({
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name: 'whoami', arguments: {} },
})

describe('forwarding between replicas in one process', () => {
  it('forwards a body express.json() already parsed on the receiving replica', async () => {
    const directory = memoryDirectory()
    const a = await replica('A', directory)
    const b = await replica('B', directory, 'express.json')
    const { sessionId } = await post(a, INIT)
    expect(sessionId).toBeTruthy()
    const answer = await post(b, WHOAMI, sessionId!)
    expect(answer.status).toBe(200)
    expect(answer.text).toContain('"text":"A"')
  })

  it.each(['express.text', 'express.raw'] as const)(
    'forwards a body %s() already read on the receiving replica as it came',
    async (mount) => {
      const directory = memoryDirectory()
      const a = await replica('A', directory)
      const b = await replica('B', directory, mount)
      const { sessionId } = await post(a, INIT)
      const answer = await post(b, WHOAMI, sessionId!)
      expect(answer.status).toBe(200)
      expect(answer.text).toContain('"text":"A"')
    },
  )

  it('answers 404 and drops the entry when the owner refuses connections', async () => {
    const directory = memoryDirectory()
    const b = await replica('B', directory)
    const sessionId = 'A'.repeat(24)
    await directory.claim(sessionId, 'http://127.0.0.1:1')
    const answer = await post(b, WHOAMI, sessionId)
    expect(answer.status).toBe(404)
    expect(answer.text).toContain('Session not found')
    expect(await directory.owner(sessionId)).toBeUndefined()
  })
})
