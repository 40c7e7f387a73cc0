import { describe, expect, it, vi } from 'vitest'
import { ErrorCode, McpxError, toMcpxError } from './errors.js'
import { errorResponse } from './jsonrpc.js'

describe('McpxError', () => {
  it('is recognised by its brand, also when built by another copy of the package', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('mcpx.error')]: true,
      code: -32602,
    })
    expect(McpxError.is(new McpxError(ErrorCode.InvalidParams, 'bad'))).toBe(true)
    expect(McpxError.is(foreign)).toBe(true)
    expect(McpxError.is(new Error('plain'))).toBe(false)
    expect(McpxError.is(null)).toBe(false)
  })

  it('serialises to a JSON-RPC error object with data but without its cause', () => {
    const error = new McpxError(ErrorCode.RateLimited, 'Too many requests', {
      data: { retryAfter: 3 },
      cause: new Error('secret'),
    })
    expect(JSON.parse(JSON.stringify(errorResponse(7, error)))).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32029, message: 'Too many requests', data: { retryAfter: 3 } },
    })
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('says whether the request never left the gateway (unsent), only when its maker says so, and never on the wire', () => {
    expect(new McpxError(ErrorCode.UpstreamUnavailable, 'gone').unsent).toBe(false)
    const refused = new McpxError(ErrorCode.Overloaded, 'full', { unsent: true, data: { x: 1 } })
    expect(refused.unsent).toBe(true)
    expect(refused.toJSON()).toEqual({ code: -32011, message: 'full', data: { x: 1 } })
  })

  it('keeps HTTP headers on the error and out of the JSON-RPC error object', () => {
    const error = new McpxError(ErrorCode.Unauthorized, 'Unauthorized', {
      headers: { 'www-authenticate': 'Bearer realm="mcp"' },
    })
    expect(error.headers).toEqual({ 'www-authenticate': 'Bearer realm="mcp"' })
    expect(error.toJSON()).toEqual({ code: -32030, message: 'Unauthorized' })
  })
})

describe('toMcpxError (the error boundary)', () => {
  it('passes an McpxError through without reporting it', () => {
    const onError = vi.fn()
    const error = new McpxError(ErrorCode.InvalidParams, 'bad')
    expect(toMcpxError(error, onError)).toBe(error)
    expect(onError).not.toHaveBeenCalled()
  })

  it('turns anything else into a generic -32603 and reports the original', () => {
    const onError = vi.fn()
    const original = new Error('ECONNREFUSED 10.0.0.3:5432 password=hunter2')
    const error = toMcpxError(original, onError, 'tools/call')
    expect(error.toJSON()).toEqual({ code: -32603, message: 'Internal error' })
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2')
    expect(onError).toHaveBeenCalledWith(original, { method: 'tools/call' })
  })
})
