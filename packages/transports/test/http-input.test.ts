import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorCode, statusWithHost } from './fixtures.js'
import { ACCEPT, fixtureStdio, type Gateway, INIT, initialize, startGateway } from './harness.js'

describe('the Streamable HTTP front end refuses bad input', () => {
  let gateway: Gateway
  let sessionId: string
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(gateway.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: ACCEPT,
        'mcp-session-id': sessionId,
        ...headers,
      },
      body,
    })

  beforeAll(async () => {
    gateway = await startGateway(fixtureStdio(), 'shared', { maxMessageBytes: 1024 })
    const response = await initialize(gateway.url)
    expect(response.status).toBe(200)
    sessionId = response.sessionId
  })
  afterAll(async () => {
    await gateway.close()
  })

  it('answers a body that is not JSON with 400 and -32700', async () => {
    const response = await post('{"jsonrpc": "2.0", ')
    expect(response.status).toBe(400)
    expect(await errorCode(response)).toBe(-32700)
  })

  it('answers JSON that is not JSON-RPC with 400 and -32600', async () => {
    const response = await post(JSON.stringify({ hello: 'world' }))
    expect(response.status).toBe(400)
    expect(await errorCode(response)).toBe(-32600)
  })

  it('answers a body over the limit with 413 before parsing it', async () => {
    // Not JSON either: a 413 rather than a 400 shows the size was checked first.
    const response = await post(`{${'x'.repeat(2000)}`)
    expect(response.status).toBe(413)
  })

  it('answers a body over the limit sent without Content-Length with 413', async () => {
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(600)))
        controller.close()
      },
    })
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-session-id': sessionId },
      body: chunks,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
  })

  it('answers an unknown session with 404', async () => {
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), {
      'mcp-session-id': 'no-such-session',
    })
    expect(response.status).toBe(404)
  })

  it('answers a request without a session id with 400', async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    })
    expect(response.status).toBe(400)
  })

  it('answers a POST without the required Accept with 406', async () => {
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }), {
      accept: 'application/json',
    })
    expect(response.status).toBe(406)
  })

  it('answers a disallowed Origin with 403', async () => {
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list' }), {
      origin: 'https://evil.example.com',
    })
    expect(response.status).toBe(403)
  })

  it('answers a disallowed Host with 403', async () => {
    const status = await statusWithHost(gateway.url, 'evil.example.com', {
      method: 'POST',
      headers: { accept: ACCEPT },
      body: INIT,
    })
    expect(status).toBe(403)
  })

  it('answers an unsupported MCP-Protocol-Version with 400', async () => {
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' }), {
      'mcp-protocol-version': '1999-01-01',
    })
    expect(response.status).toBe(400)
  })

  it('answers notifications with 202 and no body', async () => {
    const response = await post(
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    )
    expect(response.status).toBe(202)
    expect(await response.text()).toBe('')
  })

  it('ends a session on DELETE, after which it is unknown', async () => {
    const { sessionId: id } = await initialize(gateway.url)
    const deleted = await fetch(gateway.url, {
      method: 'DELETE',
      headers: { 'mcp-session-id': id },
    })
    expect(deleted.status).toBe(200)
    const after = await post(JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'tools/list' }), {
      'mcp-session-id': id,
    })
    expect(after.status).toBe(404)
  })

  it('issues session ids with at least 128 bits of randomness, all different', async () => {
    const ids = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const { sessionId: id } = await initialize(gateway.url)
      expect(Buffer.from(id, 'base64url').length * 8).toBeGreaterThanOrEqual(128)
      ids.add(id)
      await fetch(gateway.url, { method: 'DELETE', headers: { 'mcp-session-id': id } })
    }
    expect(ids.size).toBe(20)
  })

  it('answers any hostile body with a JSON-RPC error and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 })),
        async (body) => {
          const response = await post(body)
          expect([200, 202, 400, 413]).toContain(response.status)
          const text = await response.text()
          if (response.status === 400) expect(JSON.parse(text).error.code).toBeLessThan(0)
        },
      ),
      { numRuns: 60 },
    )
    const ok = await post(JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'ping' }))
    expect(await ok.json()).toEqual({ jsonrpc: '2.0', id: 99, result: {} })
  })
})
