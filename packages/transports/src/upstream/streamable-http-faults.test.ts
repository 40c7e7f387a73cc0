import { createServer } from 'node:http'
import { ErrorCode, type McpxError } from '@mcpx/core'
import { afterEach, describe, expect, it } from 'vitest'
import { eventually, listen, runCleanups, stopServer } from '../../test/fixtures.js'
import { streamableHttp } from './streamable-http.js'
import {
  callTool,
  connect,
  failureOf,
  methodNotAllowed,
  sendJson,
  startRawServer,
  toolResult,
} from './streamable-http-fixtures.js'

afterEach(runCleanups)

describe('streamableHttp() faults', () => {
  it('fails a request answered with HTTP 500 with -32010 naming the upstream, while a concurrent one succeeds', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      if (request.body.params.name === 'fail') {
        return void res
          .writeHead(500, { 'x-upstream-secret': 'hunter2' })
          .end('database password is hunter2')
      }
      sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: toolResult('ok') })
    })
    const { connection } = await connect(raw.url)
    const [failed, ok] = await Promise.all([
      failureOf(callTool(connection, 'fail')),
      callTool(connection, 'ok'),
    ])
    expect(ok).toEqual(toolResult('ok'))
    expect(failed.toJSON()).toEqual({
      code: ErrorCode.UpstreamUnavailable,
      message: 'Upstream "fixture" answered HTTP 500',
      data: { upstream: 'fixture' },
    })
    expect(connection.closed).toBe(false)
  })

  it('fails initialize on a closed port with -32010 naming the upstream by name, never its URL', async () => {
    const server = createServer()
    const url = `${await listen(server)}/mcp`
    await stopServer(server)
    const error = await failureOf(connect(url))
    expect(error.toJSON()).toEqual({
      code: ErrorCode.UpstreamUnavailable,
      message: 'Upstream "fixture" could not be reached (ECONNREFUSED)',
      data: { upstream: 'fixture' },
    })
    expect(JSON.stringify(error.toJSON())).not.toMatch(/127\.0\.0\.1|http:/)
  })

  it('fails initialize answered with a JSON-RPC error by its code, keeping the server text for the log', async () => {
    const logs: string[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => {
        body += chunk
      })
      req.on('end', () => {
        const error = { code: -32602, message: 'Unsupported protocol version (secret-build-7)' }
        sendJson(res, { jsonrpc: '2.0', id: JSON.parse(body).id, error })
      })
    })
    const url = `${await listen(server)}/mcp`
    const error = await failureOf(connect(url, {}, logs))
    expect(error.message).toBe('Upstream "fixture" refused initialize (error -32602)')
    expect(error.message).not.toContain('secret-build-7')
    expect(logs.some((line) => line.includes('secret-build-7'))).toBe(true)
  })

  it('keeps POSTs independent: a fast request is answered while a slow one is still waiting', async () => {
    let releaseSlow: () => void = () => {}
    const slowMayAnswer = new Promise<void>((resolve) => {
      releaseSlow = resolve
    })
    const raw = await startRawServer(async (request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      const { id, params } = request.body
      if (params.name === 'slow') await slowMayAnswer
      sendJson(res, { jsonrpc: '2.0', id, result: toolResult(params.name) })
    })
    const { connection } = await connect(raw.url)
    const slow = callTool(connection, 'slow')
    await expect(callTool(connection, 'fast')).resolves.toEqual(toolResult('fast'))
    releaseSlow()
    await expect(slow).resolves.toEqual(toolResult('slow'))
  })

  it('fails a request whose SSE stream ends without its answer', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      const progress = {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'info', data: 1 },
      }
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(`data: ${JSON.stringify(progress)}\n\n`)
    })
    const { connection } = await connect(raw.url)
    const error = await failureOf(callTool(connection, 'cut'))
    expect(error.code).toBe(ErrorCode.UpstreamUnavailable)
    expect(error.message).toBe('Upstream "fixture" ended the response without answering')
  })

  it('fails a request answered with a body that is not JSON', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>')
    })
    const { connection } = await connect(raw.url)
    const error = await failureOf(callTool(connection, 'broken'))
    expect(error.code).toBe(ErrorCode.UpstreamUnavailable)
    expect(error.message).toBe('Upstream "fixture" answered with invalid JSON')
  })

  it('closes the channel when the session expires and re-initializing fails', async () => {
    const raw = await startRawServer(
      (request, res) => {
        if (request.method === 'GET') return methodNotAllowed(request, res)
        res.writeHead(404).end()
      },
      { sessions: 1 },
    )
    const { connection } = await connect(raw.url)
    const closed = new Promise<McpxError>((resolve) => connection.onClose(resolve))
    const error = await failureOf(callTool(connection, 'expired'))
    expect(error.code).toBe(ErrorCode.UpstreamUnavailable)
    expect(error.message).toBe(
      'Upstream "fixture" expired the session and could not be re-initialized',
    )
    await expect(closed).resolves.toBe(error)
    expect(raw.seen.filter((s) => s.body?.method === 'initialize')).toHaveLength(2)
  })

  it('sends nothing once closed', async () => {
    const raw = await startRawServer(methodNotAllowed)
    const channel = streamableHttp({ url: raw.url }).open()
    await channel.start({ message() {}, close() {} })
    await channel.close()
    channel.send({ jsonrpc: '2.0', id: 1, method: 'ping' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(raw.seen).toEqual([])
  })

  it('fails a request whose body exceeds maxMessageBytes', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      res.writeHead(200, { 'content-type': 'application/json' }) // chunked: no Content-Length to trust
      res.write(
        `{"jsonrpc":"2.0","id":${request.body.id},"result":{"content":[{"type":"text","text":"`,
      )
      res.end(`${'x'.repeat(4096)}"}]}}`)
    })
    const { connection } = await connect(raw.url, { maxMessageBytes: 1024 })
    const error = await failureOf(callTool(connection, 'big'))
    expect(error.code).toBe(ErrorCode.UpstreamUnavailable)
    expect(error.message).toBe('Upstream "fixture" answered with a body larger than 1024 bytes')
  })

  it('parses SSE framing: comments, priming events, CRLF, multi-line data, other event types', async () => {
    const raw = await startRawServer(async (request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      const json = JSON.stringify(
        { jsonrpc: '2.0', id: request.body.id, result: toolResult('framed') },
        null,
        1,
      )
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(
        ': keep-alive\r\n\r\nid: p1\r\ndata: \r\n\r\nevent: other\r\ndata: not json\r\n\r\n',
      )
      const lines = json
        .split('\n')
        .map((line) => `data: ${line}`)
        .join('\r\n')
      res.write(lines.slice(0, 25))
      await new Promise((resolve) => setTimeout(resolve, 10))
      res.end(`${lines.slice(25)}\r\n\r\n`)
    })
    const { connection, received } = await connect(raw.url)
    await expect(callTool(connection, 'framed')).resolves.toEqual(toolResult('framed'))
    expect(received.logs).toEqual([])
  })

  it.each([401, 403])(
    "fails a request answered %s with -32010 saying the upstream refused the gateway's credentials, once, and nothing of its challenge",
    async (status) => {
      const raw = await startRawServer((request, res) => {
        if (request.method === 'GET') return methodNotAllowed(request, res)
        res
          .writeHead(status, {
            'www-authenticate':
              'Bearer error="invalid_token", error_description="key k-1234 revoked", resource_metadata="http://127.0.0.1/meta"',
          })
          .end('{"error":"invalid_token","detail":"key k-1234 revoked"}')
      })
      const { connection } = await connect(raw.url)
      const error = await failureOf(callTool(connection, 'search'))
      expect(error.toJSON()).toEqual({
        code: ErrorCode.UpstreamUnavailable,
        message: `Upstream "fixture" refused the gateway's credentials (HTTP ${status})`,
        data: { upstream: 'fixture' },
      })
      expect(JSON.stringify(error.toJSON())).not.toMatch(/k-1234|invalid_token|resource_metadata/)
      expect(raw.seen.filter((s) => s.body?.method === 'tools/call')).toHaveLength(1)
      expect(connection.closed).toBe(false)
    },
  )

  it.each([
    [401, "calls the headers function's invalidate() once", 1],
    [403, "does not call the headers function's invalidate()", 0],
  ])(
    'on a POST answered %s, %s and still fails the request, without a retry',
    async (status, _what, calls) => {
      const raw = await startRawServer((request, res) => {
        if (request.method === 'GET') return methodNotAllowed(request, res)
        if (request.body?.method === 'tools/call') return void res.writeHead(status).end()
        sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: {} })
      })
      let invalidated = 0
      const headers = Object.assign(async () => ({ authorization: 'Bearer revoked' }), {
        invalidate: () => {
          invalidated++
        },
      })
      const { connection } = await connect(raw.url, { headers })
      const error = await failureOf(callTool(connection, 'search'))
      expect(error.message).toBe(
        `Upstream "fixture" refused the gateway's credentials (HTTP ${status})`,
      )
      expect(invalidated).toBe(calls)
      expect(raw.seen.filter((s) => s.body?.method === 'tools/call')).toHaveLength(1)
    },
  )

  it("tells the headers function's invalidate() when re-initializing an expired session is refused 401", async () => {
    const raw = await startRawServer(
      (request, res) => {
        if (request.method === 'GET') return methodNotAllowed(request, res)
        if (request.body?.method === 'tools/call') return void res.writeHead(404).end()
        sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: {} })
      },
      { sessions: 1, refuse: 401 },
    )
    let invalidated = 0
    const headers = Object.assign(async () => ({ authorization: 'Bearer revoked' }), {
      invalidate: () => {
        invalidated++
      },
    })
    const { connection } = await connect(raw.url, { headers })
    const error = await failureOf(callTool(connection, 'expired'))
    expect(error.message).toBe(
      'Upstream "fixture" expired the session and could not be re-initialized',
    )
    expect(invalidated).toBe(1)
  })

  it('fails a 401 as refused credentials when invalidate() throws, and when the headers function has none', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      if (request.body?.method === 'tools/call') return void res.writeHead(401).end()
      sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: {} })
    })
    const refused = `Upstream "fixture" refused the gateway's credentials (HTTP 401)`
    const throwing = Object.assign(async () => ({ authorization: 'Bearer t' }), {
      invalidate: () => {
        throw new Error('invalidate broke')
      },
    })
    const plain = async () => ({ authorization: 'Bearer t' })
    for (const headers of [throwing, plain]) {
      const { connection } = await connect(raw.url, { headers })
      expect((await failureOf(callTool(connection, 'search'))).message).toBe(refused)
      expect(connection.closed).toBe(false)
    }
  })

  it('calls invalidate() once when the standalone GET stream is refused with 401', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return void res.writeHead(401).end()
      sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: toolResult('ok') })
    })
    let invalidated = 0
    const headers = Object.assign(() => ({ authorization: 'Bearer revoked' }), {
      invalidate: () => {
        invalidated++
      },
    })
    const { connection, received } = await connect(raw.url, { headers, maxReconnects: 5 })
    await expect(callTool(connection, 'ok')).resolves.toEqual(toolResult('ok'))
    await eventually(() => received.logs.some((line) => line.includes('HTTP 401')))
    expect(invalidated).toBe(1)
  })

  it('fails a request with "could not get its credentials" when the headers function rejects, logging why and POSTing nothing', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return methodNotAllowed(request, res)
      sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: toolResult('ok') })
    })
    let down = false
    const headers = async () => {
      if (down) throw new Error('the token endpoint answered HTTP 503')
      return { authorization: 'Bearer gateway' }
    }
    const { connection, received } = await connect(raw.url, { headers })
    down = true
    const error = await failureOf(callTool(connection, 'search'))
    expect(error.toJSON()).toEqual({
      code: ErrorCode.UpstreamUnavailable,
      message: 'Upstream "fixture" could not get its credentials',
      data: { upstream: 'fixture' },
    })
    expect(received.logs).toContainEqual(
      `${raw.url} could not get its credentials: the token endpoint answered HTTP 503`,
    )
    expect(raw.seen.filter((s) => s.body?.method === 'tools/call')).toEqual([])
    down = false
    await expect(callTool(connection, 'search')).resolves.toEqual(toolResult('ok'))
  })

  it('fails initialize with "could not get its credentials" when the headers function throws', async () => {
    const raw = await startRawServer(methodNotAllowed)
    const headers = () => {
      throw new Error('no client secret configured')
    }
    const error = await failureOf(connect(raw.url, { headers }))
    expect(error.message).toBe('Upstream "fixture" could not get its credentials')
    expect(raw.seen).toEqual([])
  })

  it('stops the standalone GET stream on 401 instead of reconnecting with the refused credentials', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'GET') return void res.writeHead(401).end()
      sendJson(res, { jsonrpc: '2.0', id: request.body.id, result: toolResult('ok') })
    })
    const { connection, received } = await connect(raw.url, { maxReconnects: 5 })
    await expect(callTool(connection, 'ok')).resolves.toEqual(toolResult('ok'))
    await eventually(() => received.logs.some((line) => line.includes('HTTP 401')))
    expect(received.logs).toEqual([
      `standalone SSE stream of ${raw.url}: refused the gateway's credentials (HTTP 401)`,
    ])
    expect(raw.seen.filter((s) => s.method === 'GET')).toHaveLength(1)
  })
})
