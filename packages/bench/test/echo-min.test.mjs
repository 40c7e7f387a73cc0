import { spawn } from 'node:child_process'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { upstreams } from '../src/lib/targets.mjs'
import { serve } from '../src/upstreams/echo-min.mjs'

const call = (/** @type {number} */ id, /** @type {string} */ text) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'echo', arguments: { text } },
  })

/** Feeds `input` in the given pieces and collects every line written back. */
async function exchange(/** @type {Buffer[]} */ pieces) {
  const input = new PassThrough()
  const output = new PassThrough()
  let written = ''
  output.on('data', (c) => {
    written += c
  })
  serve(input, output)
  for (const piece of pieces) {
    input.write(piece)
    await new Promise((r) => setImmediate(r))
  }
  return written
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

describe('echo-min', () => {
  const script = [
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-03-26' },
    }),
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    call(2, 'héllo → 世界'),
    JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'resources/list' }),
    JSON.stringify({
      jsonrpc: '2.0',
      id: 5,
      method: 'initialize',
      params: { protocolVersion: '1999-01-01' },
    }),
    JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'ping' }),
  ]
    .map((l, i) => (i === 2 ? `${l}\r\n` : `${l}\n`))
    .join('')

  /** @param {any[]} answers */
  function expectScriptAnswers(answers) {
    expect(answers.map((a) => a.id)).toEqual([1, 2, 3, 4, 5, 6])
    expect(answers[0].result.protocolVersion).toBe('2025-03-26')
    expect(answers[0].result.capabilities).toEqual({ tools: {} })
    expect(answers[1].result).toEqual({ content: [{ type: 'text', text: 'héllo → 世界' }] })
    expect(answers[2].result.tools).toEqual([
      expect.objectContaining({
        name: 'echo',
        inputSchema: {
          type: 'object',
          properties: { text: { type: 'string' } },
          required: ['text'],
        },
      }),
    ])
    expect(answers[3].error.code).toBe(-32601)
    expect(answers[4].result.protocolVersion).toBe('2025-06-18')
    expect(answers[5].result).toEqual({})
  }

  it('answers every message when all lines arrive in one chunk', async () => {
    expectScriptAnswers(await exchange([Buffer.from(script)]))
  })

  it('answers every message when the input arrives one byte at a time (lines and characters split)', async () => {
    const bytes = Buffer.from(script)
    expectScriptAnswers(await exchange([...bytes].map((b) => Buffer.from([b]))))
  })

  it('answers -32700 to a line that is not JSON and keeps going', async () => {
    const answers = await exchange([Buffer.from(`{nope\n${call(7, 'x')}\n`)])
    expect(answers[0].error.code).toBe(-32700)
    expect(answers[1]).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: { content: [{ type: 'text', text: 'x' }] },
    })
  })

  it('refuses an unknown tool and a missing text with -32602', async () => {
    const bad = JSON.stringify({
      jsonrpc: '2.0',
      id: 8,
      method: 'tools/call',
      params: { name: 'nope', arguments: {} },
    })
    const noText = JSON.stringify({
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'echo', arguments: {} },
    })
    const answers = await exchange([Buffer.from(`${bad}\n${noText}\n`)])
    expect(answers.map((a) => a.error.code)).toEqual([-32602, -32602])
  })

  it('serves over a real stdio pipe and exits when stdin closes', async () => {
    const child = spawn(process.execPath, [upstreams.min], { stdio: ['pipe', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (c) => {
      out += c
    })
    const lines = Array.from({ length: 200 }, (_, i) => `${call(i + 1, `t${i}`)}\n`).join('')
    // Unaligned pieces, so most of them end in the middle of a line.
    for (let i = 0; i < lines.length; i += 997) child.stdin.write(lines.slice(i, i + 997))
    child.stdin.end()
    const code = await new Promise((r) => child.once('exit', r))
    expect(code).toBe(0)
    const answers = out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
    expect(answers).toHaveLength(200)
    expect(answers.every((a, i) => a.id === i + 1 && a.result.content[0].text === `t${i}`)).toBe(
      true,
    )
  })
})
