/**
 * Core's answerHeadersKey through the Streamable HTTP front end: headers a
 * middleware sets for a message go on its JSON answer, under the
 * transport's own, and nowhere else.
 */
import { addHeaders, answerHeadersKey, ErrorCode, McpxError } from '@mcpx/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACCEPT, fixtureStdio, type Gateway, initialize, startGateway } from './harness.js'

describe("the Streamable HTTP front end and core's answerHeadersKey", () => {
  let gateway: Gateway
  let sessionId: string
  let id = 10
  const post = (method: string, params: Record<string, unknown>) =>
    fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    })

  beforeAll(async () => {
    gateway = await startGateway(fixtureStdio(), 'shared')
    gateway.proxy.use(async function tag(ctx, next) {
      if (ctx.method === 'tools/call') {
        // Set directly, mixed case: the front end compares names without case all the same.
        ctx.set(answerHeadersKey, { 'X-Request-Id': 'call', 'Content-Type': 'text/html' })
        const name = (ctx.params as { name?: string } | undefined)?.name
        if (name === 'refused') throw new McpxError(ErrorCode.InvalidParams, 'Refused here')
      }
      if (ctx.method === 'tools/list') {
        addHeaders(ctx, answerHeadersKey, {
          'x-request-id': `r-${String(ctx.id)}`,
          'cache-control': 'private, max-age=30',
          'mcp-session-id': 'forged',
          'content-type': 'text/html',
        })
      }
      await next()
    })
    sessionId = (await initialize(gateway.url)).sessionId
  })
  afterAll(async () => {
    await gateway.close()
  })

  it('puts them on the JSON answer of their message, never over the transport’s own headers', async () => {
    const response = await post('tools/list', {})
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('application/json')
    expect(response.headers.get('x-request-id')).toBe(`r-${id}`)
    expect(response.headers.get('cache-control')).toBe('private, max-age=30')
    expect(response.headers.get('mcp-session-id')).toBeNull()
    const body = (await response.json()) as { result: { tools: unknown[] } }
    expect(body.result.tools.length).toBeGreaterThan(0)
  })

  it('puts them on an error answer too, and never a transport header however it is spelt', async () => {
    const response = await post('tools/call', { name: 'refused', arguments: {} })
    const body = (await response.json()) as {
      error?: { code: number }
      result?: { isError?: boolean }
    }
    expect(body.error?.code).toBe(-32602)
    expect(response.headers.get('x-request-id')).toBe('call')
    expect(response.headers.get('content-type')).toContain('application/json')
  })

  it('leaves the answers of other messages alone', async () => {
    const response = await post('ping', {})
    expect(response.status).toBe(200)
    expect(response.headers.get('x-request-id')).toBeNull()
    await response.text()
  })
})
