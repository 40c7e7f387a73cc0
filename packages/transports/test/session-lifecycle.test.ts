import { eventually } from '@mcpx/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { sessionKey } from '../src/protocol/session.js'
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

  it('answers 404 after the upstream ended the session, and ends its GET stream', async () => {
    gateway = await startGateway(fixtureStdio(), 'per-session')
    const up = gateway.upstream
    // What a pool does under onConnectionLost 'end-session': the session dies with its connection.
    gateway.proxy.use(async (ctx, next) => {
      await next()
      const session = ctx.get(sessionKey)
      if (ctx.method !== 'initialize' || !session) return
      const lease = await up.lease({ session, id: ctx.id }, ctx)
      lease.connection.onClose(() => session.close())
    })
    const { sessionId } = await initialize(gateway.url)
    const headers = {
      'content-type': 'application/json',
      accept: ACCEPT,
      'mcp-session-id': sessionId,
    }
    const listening = await fetch(gateway.url, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId },
    })
    expect(listening.status).toBe(200)
    const events = listening.body!.getReader()
    expect(new TextDecoder().decode((await events.read()).value)).toContain(': stream open')

    // The fixture exits while answering `die`: the session's one connection is gone.
    const dying = await fetch(gateway.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'die', arguments: {} },
      }),
    })
    // The POST in flight is answered (with an error), not left open.
    expect(await dying.text()).toMatch(/"id":2,"error"/)
    // Streamable HTTP §Session Management: the server may end a session; the client re-initializes on 404.
    expect(await events.read()).toEqual({ done: true, value: undefined })
    const after = await fetch(gateway.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }),
    })
    expect(after.status).toBe(404)
    expect(gateway.server.handler.sessionCount).toBe(0)
  })

  it('says a session is connected while its GET stream is open, and not once it closed', async () => {
    gateway = await startGateway(fixtureStdio(), 'per-session')
    let session: { connected: boolean } | undefined
    gateway.proxy.use(async (ctx, next) => {
      session ??= ctx.get(sessionKey)
      await next()
    })
    const { sessionId } = await initialize(gateway.url)
    expect(session?.connected).toBe(false)
    const abort = new AbortController()
    const listening = await fetch(gateway.url, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId },
      signal: abort.signal,
    })
    expect(listening.status).toBe(200)
    expect(session?.connected).toBe(true)
    abort.abort()
    await eventually(() => session?.connected === false)
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
