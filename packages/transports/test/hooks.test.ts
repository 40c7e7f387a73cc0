import { createServer } from 'node:http'
import {
  type Context,
  createProxy,
  ErrorCode,
  McpxError,
  type Principal,
  principalKey,
} from '@mcpx/core'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createSseHandler } from '../src/downstream/sse.js'
import { createStreamableHttpHandler, listen } from '../src/downstream/streamable-http-node.js'
import { createWebSocketHandler } from '../src/downstream/websocket.js'
import type { Authenticate, HttpRequestInfo } from '../src/index.js'
import { cleanups, eventually, runCleanups } from './fixtures.js'
import { ACCEPT, INIT } from './harness.js'

afterEach(runCleanups)

/**
 * A proxy whose terminal answers in process and records every message it
 * was given (what "forwarded" means here), with the principal it carried;
 * and an authenticate hook that records each HTTP request and knows users
 * by their `x-user` header.
 */
function rig(refuse?: (request: HttpRequestInfo) => McpxError | undefined) {
  const events: string[] = []
  const forwarded: { method: string; subject: string | undefined }[] = []
  const proxy = createProxy({
    terminal: async (ctx: Context) => {
      events.push(`forward ${ctx.method}`)
      forwarded.push({ method: ctx.method, subject: ctx.get(principalKey)?.subject })
      ctx.result =
        ctx.method === 'initialize'
          ? {
              protocolVersion: '2025-06-18',
              capabilities: {},
              serverInfo: { name: 't', version: '1' },
            }
          : {}
    },
  })
  const authenticate: Authenticate = async (request) => {
    events.push(`hook ${request.method}`)
    const error = refuse?.(request)
    if (error) throw error
    const user = request.headers['x-user']
    return typeof user === 'string'
      ? ({ subject: user, scopes: [] } satisfies Principal)
      : undefined
  }
  return { proxy, authenticate, events, forwarded }
}

async function streamable(refuse?: (request: HttpRequestInfo) => McpxError | undefined) {
  const r = rig(refuse)
  const handler = createStreamableHttpHandler(r.proxy, {
    authenticate: r.authenticate,
    onError: () => {},
  })
  const { origin, close } = await listen(handler, { port: 0 })
  cleanups.push(close)
  const url = `${origin}/mcp`
  const request = (
    method: string,
    user: string,
    headers: Record<string, string> = {},
    body?: string,
  ) =>
    fetch(url, {
      method,
      headers: { accept: ACCEPT, 'content-type': 'application/json', 'x-user': user, ...headers },
      body,
    })
  const open = async (user: string) => {
    const response = await request('POST', user, {}, INIT)
    await response.text()
    return response.headers.get('mcp-session-id')!
  }
  return { ...r, url, request, open }
}

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
const unauthorized = () =>
  new McpxError(ErrorCode.Unauthorized, 'Unauthorized', {
    headers: {
      'www-authenticate':
        'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource"',
    },
  })

describe('the authenticate hook on Streamable HTTP', () => {
  it('runs before a POST is dispatched, and its principal reaches the stack', async () => {
    const s = await streamable()
    const id = await s.open('alice')
    await (await s.request('POST', 'alice', { 'mcp-session-id': id }, LIST)).text()
    expect(s.events).toEqual(['hook POST', 'forward initialize', 'hook POST', 'forward tools/list'])
    expect(s.forwarded.map((f) => f.subject)).toEqual(['alice', 'alice'])
  })

  it('runs on GET, and a refused GET opens no stream', async () => {
    const s = await streamable((request) => (request.method === 'GET' ? unauthorized() : undefined))
    const id = await s.open('alice')
    const response = await s.request('GET', 'alice', {
      'mcp-session-id': id,
      accept: 'text/event-stream',
    })
    expect(response.status).toBe(401)
    expect(s.events.at(-1)).toBe('hook GET')
  })

  it('runs on DELETE, and a refused DELETE leaves the session open', async () => {
    const s = await streamable((request) =>
      request.method === 'DELETE' ? unauthorized() : undefined,
    )
    const id = await s.open('alice')
    expect((await s.request('DELETE', 'alice', { 'mcp-session-id': id })).status).toBe(401)
    expect(s.events.at(-1)).toBe('hook DELETE')
    expect((await s.request('POST', 'alice', { 'mcp-session-id': id }, LIST)).status).toBe(200)
  })

  it('refuses a session id replayed with another identity with 403, forwarding nothing', async () => {
    const s = await streamable()
    const id = await s.open('alice')
    const before = s.forwarded.length
    const response = await s.request('POST', 'mallory', { 'mcp-session-id': id }, LIST)
    expect(response.status).toBe(403)
    expect(s.forwarded.length).toBe(before)
    expect(
      (await s.request('GET', 'mallory', { 'mcp-session-id': id, accept: 'text/event-stream' }))
        .status,
    ).toBe(403)
    expect((await s.request('DELETE', 'mallory', { 'mcp-session-id': id })).status).toBe(403)
    expect((await s.request('POST', 'alice', { 'mcp-session-id': id }, LIST)).status).toBe(200)
  })
})

describe('the one error-to-HTTP mapping', () => {
  const cases: [string, McpxError, number, Record<string, string>][] = [
    [
      '401 with WWW-Authenticate',
      unauthorized(),
      401,
      {
        'www-authenticate':
          'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource"',
      },
    ],
    [
      '403 for insufficient scope',
      new McpxError(ErrorCode.Forbidden, 'insufficient_scope', {
        headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="tools:write"' },
      }),
      403,
      { 'www-authenticate': 'Bearer error="insufficient_scope", scope="tools:write"' },
    ],
    [
      '429 with Retry-After',
      new McpxError(ErrorCode.RateLimited, 'Slow down', { data: { retryAfter: 2.5 } }),
      429,
      { 'retry-after': '3' },
    ],
    [
      '503 for an unavailable upstream',
      new McpxError(ErrorCode.UpstreamUnavailable, 'Upstream "x" is unavailable'),
      503,
      {},
    ],
    [
      '503 for the gateway at its limits',
      new McpxError(ErrorCode.Overloaded, 'Busy', { headers: { 'retry-after': '5' } }),
      503,
      { 'retry-after': '5' },
    ],
  ]

  for (const [name, error, status, headers] of cases) {
    it(`answers a refusing hook with ${name}`, async () => {
      const s = await streamable(() => error)
      const response = await s.request('POST', 'alice', {}, INIT)
      expect(response.status).toBe(status)
      for (const [header, value] of Object.entries(headers))
        expect(response.headers.get(header)).toBe(value)
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(error.code)
    })

    it(`answers a single POSTed request the stack refused with ${name}`, async () => {
      const s = await streamable()
      s.proxy.use(async (ctx, next) => {
        if (ctx.method === 'tools/list') throw error
        await next()
      })
      const id = await s.open('alice')
      const response = await s.request('POST', 'alice', { 'mcp-session-id': id }, LIST)
      expect(response.status).toBe(status)
      for (const [header, value] of Object.entries(headers))
        expect(response.headers.get(header)).toBe(value)
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(error.code)
    })
  }

  it('answers a hook that throws something else with 500 and a generic message', async () => {
    const s = await streamable(() => {
      throw new Error('db password=hunter2')
    })
    const response = await s.request('POST', 'alice', {}, INIT)
    expect(response.status).toBe(500)
    expect(await response.text()).not.toContain('hunter2')
  })
})

/** A node:http server on 127.0.0.1 for a WebSocket front end, closed after the test; its port. */
async function serveWebSocket(handler: ReturnType<typeof createWebSocketHandler>): Promise<number> {
  const server = createServer(handler).on('upgrade', handler.upgrade)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    await handler.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as { port: number }).port
}

describe('the authenticate hook on legacy SSE and WebSocket', () => {
  it('runs on the SSE GET and on each POST, and a POST from another identity gets 403', async () => {
    const r = rig()
    const handler = createSseHandler(r.proxy, { authenticate: r.authenticate, onError: () => {} })
    const { origin, close } = await listen(handler, { port: 0 })
    cleanups.push(close)
    const stream = await fetch(`${origin}/sse`, {
      headers: { accept: 'text/event-stream', 'x-user': 'alice' },
    })
    const reader = stream.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    const endpoint = /data: (\S+)/.exec(first)![1]!
    cleanups.push(() => reader.cancel())
    const post = (user: string) =>
      fetch(`${origin}${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': user },
        body: INIT,
      })
    expect((await post('mallory')).status).toBe(403)
    expect(r.forwarded).toEqual([])
    expect((await post('alice')).status).toBe(202)
    expect(r.events).toEqual(['hook GET', 'hook POST', 'hook POST', 'forward initialize'])
  })

  it('refuses an SSE GET the hook refuses, with its status and headers', async () => {
    const r = rig(() => unauthorized())
    const handler = createSseHandler(r.proxy, { authenticate: r.authenticate, onError: () => {} })
    const { origin, close } = await listen(handler, { port: 0 })
    cleanups.push(close)
    const response = await fetch(`${origin}/sse`, { headers: { accept: 'text/event-stream' } })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toContain('resource_metadata')
    expect(handler.sessionCount).toBe(0)
  })

  it('runs on the WebSocket upgrade, and a refused upgrade gets the HTTP answer', async () => {
    const r = rig((request) =>
      request.headers['x-user'] === 'mallory' ? unauthorized() : undefined,
    )
    const handler = createWebSocketHandler(r.proxy, {
      authenticate: r.authenticate,
      onError: () => {},
    })
    const port = await serveWebSocket(handler)
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/mcp`, 'mcp', {
        headers: { 'x-user': 'mallory' },
      })
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('error', () => {})
    })
    expect(status).toBe(401)
    const ws = new WebSocket(`ws://127.0.0.1:${port}/mcp`, 'mcp', {
      headers: { 'x-user': 'alice' },
    })
    cleanups.push(() => ws.close())
    await new Promise((resolve) => ws.once('open', resolve))
    const answer = new Promise((resolve) => ws.once('message', resolve))
    ws.send(INIT)
    await answer
    expect(r.events).toEqual(['hook GET', 'hook GET', 'forward initialize'])
    expect(r.forwarded).toEqual([{ method: 'initialize', subject: 'alice' }])
  })

  it("closes a WebSocket with 1008 when its principal's credential expires", async () => {
    const handler = createWebSocketHandler(rig(() => undefined).proxy, {
      authenticate: () => ({ subject: 'alice', scopes: [], expiresAt: Date.now() + 150 }),
      onError: () => {},
    })
    const port = await serveWebSocket(handler)
    const opened = performance.now()
    const ws = new WebSocket(`ws://127.0.0.1:${port}/mcp`, 'mcp')
    const closed = new Promise<[number, string]>((resolve) =>
      ws.once('close', (code, reason) => resolve([code, reason.toString()])),
    )
    await new Promise((resolve) => ws.once('open', resolve))
    expect(await closed).toEqual([1008, 'Credentials expired'])
    expect(performance.now() - opened).toBeGreaterThanOrEqual(100)
    await eventually(async () => handler.sessionCount === 0)
  })
})
