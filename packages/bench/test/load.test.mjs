import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { findMessage, prepare } from '../src/lib/load.mjs'
import { stopTree } from '../src/lib/proc.mjs'
import { benchRoot, upstreams } from '../src/lib/targets.mjs'

describe('findMessage', () => {
  it('reads a JSON body', () => {
    expect(
      findMessage('application/json; charset=utf-8', '{"jsonrpc":"2.0","id":3,"result":{}}', 3),
    ).toEqual({
      jsonrpc: '2.0',
      id: 3,
      result: {},
    })
  })

  it('finds the response among other SSE events, across CRLF and multi-line data', () => {
    const body =
      'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\r\n\r\n' +
      'id: 7\ndata: {"jsonrpc":"2.0",\ndata: "id":5,"result":{"ok":true}}\n\n'
    expect(findMessage('text/event-stream', body, 5)).toEqual({
      jsonrpc: '2.0',
      id: 5,
      result: { ok: true },
    })
    expect(findMessage('text/event-stream', body, 6)).toBeUndefined()
  })

  it('rejects an unexpected content type', () => {
    expect(() => findMessage('text/html', '<p>', 1)).toThrow(/content-type/)
  })
})

/** @type {(() => Promise<void>)[]} */
const cleanups = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

/** Starts a target script and resolves with the URL it prints. */
async function start(/** @type {string[]} */ args) {
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  })
  cleanups.push(() => stopTree(/** @type {number} */ (child.pid)))
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (c) => {
      out += c
      const m = /LISTENING (\S+)/.exec(out)
      if (m) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)))
  })
}

/** @param {string} url @param {number} concurrency */
async function load(url, concurrency, maxRequests = 200) {
  const p = await prepare({
    url,
    concurrency,
    maxRequests,
    durationMs: 5000,
    requestTimeoutMs: 5000,
  })
  const result = await p.run()
  await p.close()
  return { sessions: p.sessions, result }
}

describe('load generator against real targets', () => {
  it('opens one session per virtual client and gets every echo back from the raw server', async () => {
    const url = await start([join(benchRoot, 'src/targets/raw.mjs')])
    const { sessions, result } = await load(url, 4)
    expect(sessions).toBe(4)
    expect(result).toMatchObject({ issued: 200, ok: 200, errors: 0, unfinished: 0 })
    expect(result.latencyMs.p50).toBeGreaterThan(0)
    expect(result.latencyMs.p99).toBeGreaterThanOrEqual(result.latencyMs.p50)
  })

  it('gets every echo back through the SDK passthrough (SSE answers, stdio upstream)', async () => {
    const url = await start([
      join(benchRoot, 'src/targets/sdk-passthrough.mjs'),
      '--',
      process.execPath,
      upstreams.min,
    ])
    const { result } = await load(url, 3, 60)
    expect(result).toMatchObject({ ok: 60, errors: 0 })
  })

  it('counts answers that echo the wrong text or carry the wrong id as errors', async () => {
    let n = 0
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        if (req.method === 'DELETE') return res.writeHead(200).end()
        const msg = JSON.parse(body)
        if (msg.method === 'initialize') {
          res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' })
          return res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: msg.id,
              result: { protocolVersion: '2025-06-18' },
            }),
          )
        }
        if (msg.id === undefined) return res.writeHead(202).end()
        n++
        const id = n % 2 === 0 ? msg.id + 1 : msg.id
        const text = n % 2 === 0 ? msg.params.arguments.text : 'something else'
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } }),
        )
      })
    })
    await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)))
    cleanups.push(() => new Promise((r) => server.close(() => r(undefined))))
    const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
    const { result } = await load(`http://127.0.0.1:${port}/mcp`, 1, 10)
    expect(result.ok).toBe(0)
    expect(result.errors).toBe(10)
    expect(result.errorSamples.join('\n')).toMatch(/wrong answer/)
    expect(result.errorSamples.join('\n')).toMatch(/no answer with id|wrong id/)
  })
  it('sends the given headers and tool name, and counts an HTTP refusal (429) as an error', async () => {
    let calls = 0
    /** @type {string[]} */
    const names = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        if (req.headers.authorization !== 'Bearer t0ken') return res.writeHead(401).end()
        if (req.method === 'DELETE') return res.writeHead(200).end()
        const msg = JSON.parse(body)
        if (msg.method === 'initialize') {
          res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' })
          return res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: msg.id,
              result: { protocolVersion: '2025-06-18' },
            }),
          )
        }
        if (msg.id === undefined) return res.writeHead(202).end()
        names.push(msg.params.name)
        if (++calls % 2 === 0) return res.writeHead(429, { 'retry-after': '1' }).end()
        const { text } = msg.params.arguments
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: msg.id,
            result: { content: [{ type: 'text', text }] },
          }),
        )
      })
    })
    await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)))
    cleanups.push(() => new Promise((r) => server.close(() => r(undefined))))
    const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
    const p = await prepare({
      url: `http://127.0.0.1:${port}/mcp`,
      concurrency: 1,
      maxRequests: 10,
      durationMs: 5000,
      requestTimeoutMs: 5000,
      headers: { authorization: 'Bearer t0ken' },
      tools: ['one_echo'],
    })
    const result = await p.run()
    await p.close()
    expect(new Set(names)).toEqual(new Set(['one_echo']))
    expect(result).toMatchObject({ ok: 5, errors: 5 })
    expect(result.errorSamples.join('\n')).toMatch(/HTTP 429/)
  })
})
