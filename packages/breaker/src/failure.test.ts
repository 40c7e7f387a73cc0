import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { abortSource, ErrorCode, McpxError } from '@mcpx/core'
import { streamableHttp, upstream } from '@mcpx/transports'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isFailure } from './failure.js'

const error = (code: number, message = 'x') => new McpxError(code, message)

describe('isFailure: failures', () => {
  it('counts an error that is not an McpxError (a transport or connector fault)', () => {
    expect(isFailure(new Error('socket hang up'))).toBe(true)
    expect(isFailure(new TypeError('fetch failed'))).toBe(true)
  })

  it('counts a thrown non-object (a string, undefined, null)', () => {
    expect(isFailure('boom')).toBe(true)
    expect(isFailure(undefined)).toBe(true)
    expect(isFailure(null)).toBe(true)
  })

  it('counts -32010 UpstreamUnavailable', () => {
    expect(
      isFailure(error(ErrorCode.UpstreamUnavailable, 'Upstream "a" could not be reached')),
    ).toBe(true)
  })

  it('counts -32001 RequestTimeout', () => {
    expect(isFailure(error(ErrorCode.RequestTimeout, 'Upstream "a" timed out'))).toBe(true)
  })

  it('counts a TimeoutError (AbortSignal.timeout) as a timeout', () => {
    expect(isFailure(new DOMException('timed out', 'TimeoutError'))).toBe(true)
  })

  it("counts the upstream's -32603 InternalError", () => {
    expect(isFailure(error(ErrorCode.InternalError, 'Upstream "a" had an internal error'))).toBe(
      true,
    )
  })

  it('counts an HTTP 500 from a real Streamable HTTP upstream, which arrives as -32010', async () => {
    const { url, close } = await serverAnswering500()
    const web = upstream('web', streamableHttp({ url }))
    try {
      const initialize = {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'test', version: '1' },
      }
      await web.handshake(undefined, initialize, abortSource())
      const lease = await web.lease({ session: undefined, id: 1 })
      const failure = await lease.connection
        .request('tools/call', { name: 'any', arguments: {} })
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      expect(McpxError.is(failure) && failure.toJSON()).toEqual({
        code: ErrorCode.UpstreamUnavailable,
        message: 'Upstream "web" answered HTTP 500',
        data: { upstream: 'web' },
      })
      expect(isFailure(failure)).toBe(true)
    } finally {
      await web.close()
      await close()
    }
  })

  it('counts a value whose getters throw, without throwing itself', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap')
        },
      },
    )
    expect(isFailure(hostile)).toBe(true)
  })
})

describe('isFailure: not failures', () => {
  it("does not count the client's own -32602 InvalidParams", () => {
    expect(isFailure(error(ErrorCode.InvalidParams, 'Unknown tool: deploy'))).toBe(false)
  })

  it('does not count -32601 MethodNotFound', () => {
    expect(isFailure(error(ErrorCode.MethodNotFound))).toBe(false)
  })

  it('does not count -32600 InvalidRequest', () => {
    expect(isFailure(error(ErrorCode.InvalidRequest))).toBe(false)
  })

  it("does not count -32011 Overloaded (the gateway's own limits, e.g. the pool has no free connection)", () => {
    expect(isFailure(error(ErrorCode.Overloaded, 'Upstream "a" has no free connection'))).toBe(
      false,
    )
  })

  it('does not count an error core marks unsent (the gateway gave up before sending: a deadline spent waiting for a connection)', () => {
    const waited = new McpxError(
      ErrorCode.RequestTimeout,
      'Request to upstream "a" timed out waiting for a connection',
      { unsent: true },
    )
    expect(isFailure(waited)).toBe(false)
    expect(isFailure(new McpxError(ErrorCode.UpstreamUnavailable, 'x', { unsent: true }))).toBe(
      false,
    )
    // The same codes from the wire still count.
    expect(isFailure(new McpxError(ErrorCode.RequestTimeout, 'Upstream "a" timed out'))).toBe(true)
  })

  it('does not count -32000 ConnectionClosed (the session closed)', () => {
    expect(isFailure(error(ErrorCode.ConnectionClosed, 'Session closed'))).toBe(false)
  })

  it('does not count a cancellation: -32800 RequestCancelled', () => {
    expect(isFailure(error(ErrorCode.RequestCancelled, 'Client cancelled'))).toBe(false)
  })

  it('does not count a cancellation: an AbortError', () => {
    expect(isFailure(new DOMException('This operation was aborted', 'AbortError'))).toBe(false)
  })

  it('does not count a code the upstream chose to answer with (-32002, an application code)', () => {
    expect(isFailure(error(ErrorCode.ResourceNotFound))).toBe(false)
    expect(isFailure(error(-31999))).toBe(false)
  })

  it("does not count a tools/call result with isError: true (the tool's own answer)", () => {
    expect(isFailure({ content: [{ type: 'text', text: 'no such file' }], isError: true })).toBe(
      false,
    )
  })

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything({ withBoxedValues: true, withMap: true, withSet: true }), (value) => {
        expect(typeof isFailure(value)).toBe('boolean')
      }),
    )
  })
})

/** A Streamable HTTP server on 127.0.0.1 that answers initialize and then HTTP 500 to every request. */
async function serverAnswering500() {
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end()
    const body = JSON.parse(await read(req)) as { id?: number; method: string }
    if (body.method === 'initialize') {
      const result = {
        protocolVersion: '2025-11-25',
        capabilities: { tools: {} },
        serverInfo: { name: 'failing', version: '1' },
      }
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result }))
    }
    if (body.id === undefined) return void res.writeHead(202).end()
    res.writeHead(500).end('stack trace with secrets')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function read(req: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of req) body += chunk
  return body
}
