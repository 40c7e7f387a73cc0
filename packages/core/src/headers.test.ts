import { describe, expect, it } from 'vitest'
import { Context } from './context.js'
import { addHeaders, answerHeadersKey, upstreamHeadersKey } from './headers.js'

const message = () => new Context<string>({ kind: 'request', id: 1, method: 'tools/call' })

describe('addHeaders', () => {
  it('adds lower-cased headers under the key, copy on write, keeping a value already there', () => {
    const ctx = message()
    addHeaders(ctx, upstreamHeadersKey, { 'X-Request-Id': 'a' })
    const first = ctx.get(upstreamHeadersKey)
    addHeaders(ctx, upstreamHeadersKey, { 'x-request-id': 'b', traceparent: 't' })
    expect(ctx.get(upstreamHeadersKey)).toEqual({ 'x-request-id': 'a', traceparent: 't' })
    expect(first).toEqual({ 'x-request-id': 'a' })
    expect(ctx.get(answerHeadersKey)).toBeUndefined()
  })

  it('replaces a value only when asked to', () => {
    const ctx = message()
    addHeaders(ctx, answerHeadersKey, { 'cache-control': 'no-store' })
    addHeaders(ctx, answerHeadersKey, { 'cache-control': 'max-age=60' }, true)
    expect(ctx.get(answerHeadersKey)).toEqual({ 'cache-control': 'max-age=60' })
  })

  it('refuses a name that is not an HTTP token and a value that could split a header', () => {
    const ctx = message()
    expect(() => addHeaders(ctx, upstreamHeadersKey, { 'bad name': 'x' })).toThrow(TypeError)
    expect(() => addHeaders(ctx, upstreamHeadersKey, { 'x-a': 'one\r\nx-b: two' })).toThrow(
      TypeError,
    )
    expect(ctx.get(upstreamHeadersKey)).toBeUndefined()
  })
})

it('refuses a value past Latin-1, which Node and fetch cannot send', () => {
  const ctx = new Context<string>({ kind: 'request', id: 1, method: 'tools/call' })
  expect(() => addHeaders(ctx, answerHeadersKey, { 'x-name': 'Zoë' })).not.toThrow()
  expect(() => addHeaders(ctx, answerHeadersKey, { 'x-city': '東京' })).toThrow(TypeError)
})
