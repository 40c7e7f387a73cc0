import { afterEach, describe, expect, it } from 'vitest'
import { stdio } from '../src/stdio.js'
import { upstream } from '../src/upstream/upstream.js'
import { ACCEPT, fixtureStdio, type Gateway, INIT, initialize, startGateway } from './harness.js'

describe('Streamable HTTP session lifecycle', () => {
  let gateway: Gateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it('keeps no session, and sends no session id, when initialize fails', async () => {
    gateway = await startGateway(stdio({ command: '/nonexistent/mcp-server' }), 'per-session')
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT },
      body: INIT,
    })
    await response.text()
    expect(response.headers.get('mcp-session-id')).toBeNull()
    expect(gateway.server.handler.sessionCount).toBe(0)
  })

  it('ends the POST of a request the client cancelled, without an answer', async () => {
    gateway = await startGateway(fixtureStdio(), 'shared')
    const { sessionId } = await initialize(gateway.url)
    const headers = {
      'content-type': 'application/json',
      accept: ACCEPT,
      'mcp-session-id': sessionId,
    }
    const call = fetch(gateway.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 5,
        method: 'tools/call',
        params: { name: 'wait_for_cancel', arguments: {} },
      }),
    }).then((response) => response.text())
    await new Promise((resolve) => setTimeout(resolve, 200))
    const cancel = await fetch(gateway.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 5, reason: 'stop' },
      }),
    })
    expect(cancel.status).toBe(202)
    const started = performance.now()
    const body = await call
    expect(performance.now() - started).toBeLessThan(1000)
    expect(body).not.toContain('"id":5')
  })
})

describe('the gateway at its own limits', () => {
  let gateway: Gateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it('answers a session beyond maxConnections with 503 and -32011 naming the upstream', async () => {
    gateway = await startGateway(fixtureStdio(), 'per-session', {}, { maxConnections: 1 })
    expect((await initialize(gateway.url)).status).toBe(200)
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT },
      body: INIT,
    })
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('5')
    const { error } = (await response.json()) as { error: { code: number; message: string } }
    expect(error).toEqual({
      code: -32011,
      message: 'Upstream "fixture" has no free connection',
      data: { upstream: 'fixture' },
    })
  })

  it('answers a session beyond maxSessions with 503 and -32011', async () => {
    gateway = await startGateway(fixtureStdio(), 'shared', { maxSessions: 1 })
    expect((await initialize(gateway.url)).status).toBe(200)
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT },
      body: INIT,
    })
    expect(response.status).toBe(503)
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32011)
  })
})

describe('option checks', () => {
  const connector = () => stdio({ command: process.execPath })

  it.each([
    ['maxConnections', { maxConnections: Number.NaN }],
    ['connectTimeout', { connectTimeout: 0 }],
    ['timeout', { timeout: -1 }],
  ])('upstream() rejects a bad %s when it is made', (_name, options) => {
    expect(() => upstream('x', connector(), options)).toThrow(TypeError)
  })

  it('stdio() rejects a missing command and a bad killTimeout', () => {
    expect(() => stdio({ command: '' })).toThrow(TypeError)
    expect(() => stdio({ command: 'x', killTimeout: -1 })).toThrow(TypeError)
  })

  it('createStreamableHttpHandler() rejects a bad maxSessions', async () => {
    const { createStreamableHttpHandler } = await import('../src/node.js')
    const { createProxy } = await import('@mcpx/core')
    expect(() => createStreamableHttpHandler(createProxy(), { maxSessions: Number.NaN })).toThrow(
      TypeError,
    )
  })
})
