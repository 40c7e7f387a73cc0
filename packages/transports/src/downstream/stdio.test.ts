import { PassThrough } from 'node:stream'
import { createProxy } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { serveStdio } from './stdio.js'

/** A proxy whose terminal answers every request after `ms`, echoing its method. */
function slowProxy(ms: number) {
  return createProxy({
    terminal: async (ctx) => {
      await new Promise((resolve) => setTimeout(resolve, ms))
      ctx.result = { method: ctx.method }
    },
  })
}

function lines(output: PassThrough): unknown[] {
  const text = String(output.read() ?? '')
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

describe('serveStdio', () => {
  it('answers the requests it received before input ended, then closes', async () => {
    const input = new PassThrough()
    const output = new PassThrough()
    const { closed } = serveStdio(slowProxy(30), { input, output })
    input.end(
      '{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n',
    )
    await closed
    expect(lines(output)).toEqual([
      { jsonrpc: '2.0', id: 1, result: { method: 'tools/list' } },
      { jsonrpc: '2.0', id: 2, result: { method: 'ping' } },
    ])
  })

  it('closes at once when input ends with nothing in flight', async () => {
    const input = new PassThrough()
    const { closed, session } = serveStdio(slowProxy(0), { input, output: new PassThrough() })
    input.end()
    await closed
    expect(session.closed).toBe(true)
  })

  it('gives up on unanswered requests after drainTimeout', async () => {
    const input = new PassThrough()
    const output = new PassThrough()
    const { closed } = serveStdio(slowProxy(60_000), { input, output, drainTimeout: 20 })
    input.end('{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n')
    await closed
    expect(lines(output)).toEqual([])
  })

  it('does not wait for a request the client cancelled before input ended', async () => {
    const input = new PassThrough()
    const { closed } = serveStdio(slowProxy(60_000), {
      input,
      output: new PassThrough(),
      drainTimeout: 60_000,
    })
    input.end(
      '{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n' +
        '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}\n',
    )
    const outcome = await Promise.race([
      closed.then(() => 'closed'),
      new Promise((resolve) => setTimeout(resolve, 5000, 'still waiting')),
    ])
    expect(outcome).toBe('closed')
  })

  it('rejects a negative drainTimeout', () => {
    expect(() => serveStdio(slowProxy(0), { input: new PassThrough(), drainTimeout: -1 })).toThrow(
      TypeError,
    )
  })
})
