import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { McpxError } from './errors.js'
import { idOf, validateMessage } from './jsonrpc.js'

const code = (value: unknown) => {
  const out = validateMessage(value)
  return McpxError.is(out) ? out.code : 'ok'
}

describe('validateMessage', () => {
  it('accepts requests, notifications and responses', () => {
    expect(code({ jsonrpc: '2.0', id: 1, method: 'tools/list' })).toBe('ok')
    expect(code({ jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'x' } })).toBe(
      'ok',
    )
    expect(code({ jsonrpc: '2.0', method: 'notifications/initialized' })).toBe('ok')
    expect(code({ jsonrpc: '2.0', id: 1, result: {} })).toBe('ok')
    expect(code({ jsonrpc: '2.0', id: 1, error: { code: -1, message: 'x' } })).toBe('ok')
  })

  it.each([
    ['an array (batch)', [{ jsonrpc: '2.0', id: 1, method: 'ping' }]],
    ['a string', 'ping'],
    ['a missing jsonrpc', { id: 1, method: 'ping' }],
    ['jsonrpc 1.0', { jsonrpc: '1.0', id: 1, method: 'ping' }],
    ['a numeric method', { jsonrpc: '2.0', id: 1, method: 7 }],
    ['an empty method', { jsonrpc: '2.0', id: 1, method: '' }],
    ['a fractional id', { jsonrpc: '2.0', id: 1.5, method: 'ping' }],
    ['a null id on a request', { jsonrpc: '2.0', id: null, method: 'ping' }],
    ['array params', { jsonrpc: '2.0', id: 1, method: 'ping', params: [] }],
    [
      'a response with result and error',
      { jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: '' } },
    ],
    ['a response without id', { jsonrpc: '2.0', result: {} }],
    ['an error without code', { jsonrpc: '2.0', id: 1, error: { message: 'x' } }],
  ])('rejects %s with -32600', (_name, value) => {
    expect(code(value)).toBe(-32600)
  })

  it('never throws and answers ok or -32600 for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(['ok', -32600]).toContain(code(value))
      }),
      { numRuns: 2000 },
    )
  })

  it('accepts every well-formed request', () => {
    const id = fc.oneof(fc.string(), fc.integer())
    const params = fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined })
    fc.assert(
      fc.property(id, fc.string({ minLength: 1 }), params, (i, method, p) => {
        const message =
          p === undefined
            ? { jsonrpc: '2.0', id: i, method }
            : { jsonrpc: '2.0', id: i, method, params: p }
        expect(code(message)).toBe('ok')
      }),
    )
  })
})

describe('idOf', () => {
  it('reads a usable id and returns null otherwise', () => {
    expect(idOf({ id: 3 })).toBe(3)
    expect(idOf({ id: 'x' })).toBe('x')
    expect(idOf({ id: {} })).toBeNull()
    expect(idOf('nope')).toBeNull()
  })
})

describe('parseMessage', () => {
  it('parses a message, and answers bad text with -32700 and bad JSON-RPC with -32600', async () => {
    const { parseMessage } = await import('./jsonrpc.js')
    expect(parseMessage('{"jsonrpc":"2.0","id":1,"method":"ping"}')).toEqual({
      jsonrpc: '2.0',
      id: 1,
      method: 'ping',
    })
    expect((parseMessage('{"jsonrpc":') as McpxError).code).toBe(-32700)
    expect((parseMessage('{"hello":1}') as McpxError).code).toBe(-32600)
  })
})
