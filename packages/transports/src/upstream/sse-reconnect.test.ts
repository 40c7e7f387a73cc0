import type { ServerResponse } from 'node:http'
import type { Message } from '@mcpx/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanups, runCleanups } from '../../test/fixtures.js'
import { backoff, MAX_BACKOFF } from './sse-reconnect.js'
import { streamableHttp } from './streamable-http.js'
import {
  callTool,
  connect,
  failureOf,
  methodNotAllowed,
  type Seen,
  startRawServer,
  startSdkServer,
  toolResult,
} from './streamable-http-fixtures.js'

afterEach(runCleanups)

const SSE = { 'content-type': 'text/event-stream' }
const event = (id: string, message: unknown) => `id: ${id}\ndata: ${JSON.stringify(message)}\n\n`
const note = (n: number) => ({
  jsonrpc: '2.0',
  method: 'notifications/message',
  params: { level: 'info', data: n },
})
const progress = (n: number) => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progressToken: 'p', progress: n },
})
/** The Last-Event-ID of every GET the server saw, in order (undefined: a fresh GET). */
const gets = (seen: Seen[]) =>
  seen.filter((s) => s.method === 'GET').map((s) => s.headers['last-event-id'])
const resumes = (seen: Seen[]) => gets(seen).filter((id) => id !== undefined)

/**
 * A server whose POST answer streams only prime an event id (`c-1`) and end;
 * a GET resuming after `c-<n>` gets `more(n)` (by default an empty stream
 * that ends at once). No standalone stream (405).
 */
async function droppingPostServer(more: (n: number, res: ServerResponse) => void = () => {}) {
  return startRawServer((request, res) => {
    if (request.method === 'POST') return void res.writeHead(200, SSE).end('id: c-1\ndata: \n\n')
    const after = request.headers['last-event-id']
    if (after === undefined) return methodNotAllowed(request, res)
    res.writeHead(200, SSE)
    more(Number(String(after).slice(2)), res)
    res.end()
  })
}

/**
 * A server whose standalone GET stream sends note 1 (id `g-1`) and ends; a
 * GET resuming after `g-<n>` gets `more(n)` (by default an empty stream).
 */
async function droppingGetServer(more: (n: number, res: ServerResponse) => void = () => {}) {
  return startRawServer((request, res) => {
    res.writeHead(200, SSE)
    const after = request.headers['last-event-id']
    if (after === undefined) res.write(event('g-1', note(1)))
    else more(Number(String(after).slice(2)), res)
    res.end()
  })
}

const notes = (received: { notifications: { params: unknown }[] }) =>
  received.notifications.map((n) => (n.params as { data: number }).data)

describe('maxReconnects on a POST answer stream', () => {
  it.each([
    [0, 'Upstream "fixture" ended the response without answering'],
    [1, 'Upstream "fixture" ended the response without answering (1 reconnections got nothing)'],
    [3, 'Upstream "fixture" ended the response without answering (3 reconnections got nothing)'],
  ])(
    'with maxReconnects %i, resumes that many times with Last-Event-ID, then fails the request',
    async (maxReconnects, message) => {
      const raw = await droppingPostServer()
      const { connection } = await connect(raw.url, { maxReconnects, reconnectDelay: 1 })
      const error = await failureOf(callTool(connection, 'dropped'))
      expect(error.message).toBe(message)
      expect(resumes(raw.seen)).toEqual(Array(maxReconnects).fill('c-1'))
    },
  )

  it('starts the count again after a reconnection that delivered an event', async () => {
    // The first resume delivers a log message under a new id; the second gets nothing.
    const raw = await droppingPostServer((n, res) => {
      if (n === 1) res.write(event('c-2', note(1)))
    })
    const { connection, received } = await connect(raw.url, { maxReconnects: 1 })
    const error = await failureOf(callTool(connection, 'dropped'))
    expect(error.message).toMatch(/\(1 reconnections got nothing\)$/)
    expect(resumes(raw.seen)).toEqual(['c-1', 'c-2'])
    expect(notes(received)).toEqual([1])
  })

  it('fails the request at once when the server offers no GET to resume it', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'POST') return void res.writeHead(200, SSE).end('id: c-1\ndata: \n\n')
      methodNotAllowed(request, res)
    })
    const { connection } = await connect(raw.url, { maxReconnects: 5 })
    const error = await failureOf(callTool(connection, 'dropped'))
    expect(error.message).toBe('Upstream "fixture" offers no GET to resume the response stream')
    expect(resumes(raw.seen)).toEqual(['c-1'])
  })

  it('fails the request at once, as refused credentials, when resuming is answered 401', async () => {
    const raw = await startRawServer((request, res) => {
      if (request.method === 'POST') return void res.writeHead(200, SSE).end('id: c-1\ndata: \n\n')
      if (request.headers['last-event-id'] === undefined) return methodNotAllowed(request, res)
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token", secret="x"' }).end()
    })
    let invalidated = 0
    const headers = Object.assign(() => ({ authorization: 'Bearer gw' }), {
      invalidate: () => {
        invalidated++
      },
    })
    const { connection } = await connect(raw.url, { maxReconnects: 5, headers })
    const error = await failureOf(callTool(connection, 'dropped'))
    expect(error.message).toBe('Upstream "fixture" refused the gateway\'s credentials (HTTP 401)')
    expect(resumes(raw.seen)).toEqual(['c-1'])
    expect(invalidated).toBe(1)
  })
})

describe('maxReconnects on the standalone GET stream', () => {
  it.each([0, 1, 3])(
    'with maxReconnects %i, reconnects that many times with Last-Event-ID, then gives the stream up',
    async (maxReconnects) => {
      const raw = await droppingGetServer()
      const { received } = await connect(raw.url, { maxReconnects, reconnectDelay: 1 })
      await vi.waitFor(() =>
        expect(received.logs).toContainEqual(
          expect.stringMatching(new RegExp(`lost after ${maxReconnects} reconnections$`)),
        ),
      )
      expect(gets(raw.seen)).toEqual([undefined, ...Array(maxReconnects).fill('g-1')])
      expect(notes(received)).toEqual([1])
    },
  )

  it('starts the count again after a reconnection that delivered an event', async () => {
    const raw = await droppingGetServer((n, res) => {
      if (n === 1) res.write(event('g-2', note(2)))
    })
    const { received } = await connect(raw.url, { maxReconnects: 1, reconnectDelay: 1 })
    await vi.waitFor(() =>
      expect(received.logs).toContainEqual(expect.stringMatching(/lost after 1 reconnections$/)),
    )
    expect(gets(raw.seen)).toEqual([undefined, 'g-1', 'g-2'])
    expect(notes(received)).toEqual([1, 2])
  })

  it('waits for the server retry before reconnecting, resuming from the last event id', async () => {
    const raw = await startRawServer((request, res) => {
      res.writeHead(200, SSE)
      if (request.headers['last-event-id'] === undefined) {
        res.end(`retry: 10\n${event('e1', note(1))}`)
      } else res.write(event('e2', note(2)))
    })
    const { received } = await connect(raw.url)
    await vi.waitFor(() => expect(notes(received)).toEqual([1, 2]))
    expect(gets(raw.seen)).toEqual([undefined, 'e1'])
  })

  it('does not retry the GET stream when the server answers 405', async () => {
    const raw = await startRawServer(methodNotAllowed)
    await connect(raw.url, { reconnectDelay: 1 })
    await vi.waitFor(() => expect(raw.seen.some((s) => s.method === 'GET')).toBe(true))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(raw.seen.filter((s) => s.method === 'GET')).toHaveLength(1)
  })
})

describe('resuming with Last-Event-ID', () => {
  it('resumes a POST stream the server closed after priming it (polling), and answers the request', async () => {
    let callId: unknown
    const raw = await startRawServer((request, res) => {
      if (request.method === 'POST') {
        callId = request.body.id
        // MCP 2025-11-25 polling: prime the stream with an event id, then close it.
        return void res.writeHead(200, SSE).end('id: call-1\nretry: 10\ndata: \n\n')
      }
      if (request.headers['last-event-id'] !== 'call-1') return methodNotAllowed(request, res)
      res.writeHead(200, SSE)
      res.end(event('call-2', { jsonrpc: '2.0', id: callId, result: toolResult('resumed') }))
    })
    const { connection } = await connect(raw.url)
    await expect(callTool(connection, 'poll')).resolves.toEqual(toolResult('resumed'))
  })

  it('after a POST stream drops mid-way, delivers the missed progress and the answer exactly once', async () => {
    // The server's event log for the call: progress 1-3 under ids 1-3, then the answer under 4.
    const log = (id: unknown) => [
      ...[1, 2, 3].map((n) => event(String(n), progress(n))),
      event('4', { jsonrpc: '2.0', id, result: toolResult('done') }),
    ]
    let callId: unknown
    const raw = await startRawServer((request, res) => {
      if (request.method === 'POST') {
        callId = request.body.id
        res.writeHead(200, SSE)
        res.write(log(callId).slice(0, 2).join(''))
        // Drop the connection after event 2, as a network failure would.
        setTimeout(() => res.socket?.destroy(), 5)
        return
      }
      const after = Number(request.headers['last-event-id'])
      if (!(after > 0)) return methodNotAllowed(request, res)
      res.writeHead(200, SSE).end(log(callId).slice(after).join(''))
    })
    const messages: { message: Message; related: unknown }[] = []
    const channel = streamableHttp({ url: raw.url, reconnectDelay: 1 }).open()
    cleanups.push(() => channel.close())
    await channel.start({
      message: (message, related) => messages.push({ message: message as Message, related }),
      close() {},
    })
    const init = {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 't', version: '1' },
    }
    channel.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: init })
    await vi.waitFor(() => expect(messages).toHaveLength(1))
    channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' })
    channel.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'long' } })
    const answers = () => messages.filter(({ message }) => 'id' in message && message.id === 2)
    await vi.waitFor(() => expect(answers()).toHaveLength(1))
    expect(resumes(raw.seen)).toEqual(['2'])
    const onStream = messages.filter(({ related }) => related === 2).map(({ message }) => message)
    expect(onStream).toEqual([
      progress(1),
      progress(2),
      progress(3),
      { jsonrpc: '2.0', id: 2, result: toolResult('done') },
    ])
  })
})

describe('resuming with the SDK server', () => {
  it('resumes a stream the SDK server closed mid-call, with each progress and the answer once', async () => {
    const fixture = await startSdkServer({ resumable: true })
    const { connection } = await connect(fixture.url)
    const seen: unknown[] = []
    const result = await connection.request(
      'tools/call',
      { name: 'polled', arguments: {}, _meta: { progressToken: 'client-token' } },
      { onProgress: (params) => seen.push(params.progress) },
    )
    expect(result).toEqual(toolResult('polled'))
    expect(seen).toEqual([1, 2, 3])
    expect(resumes(fixture.seen).length).toBeGreaterThanOrEqual(1)
  })
})

describe('backoff', () => {
  const policy = { reconnectDelay: 100, maxReconnects: 5 }

  it('doubles reconnectDelay with each reconnection that delivered nothing', () => {
    expect([0, 1, 2, 3].map((n) => backoff(policy, undefined, n))).toEqual([100, 200, 400, 800])
  })

  it('starts from the server retry when it sent one', () => {
    expect(backoff(policy, 7, 0)).toBe(7)
    expect(backoff(policy, 7, 2)).toBe(28)
  })

  it('caps the wait, unless the server retry alone is longer', () => {
    expect(backoff(policy, undefined, 20)).toBe(MAX_BACKOFF)
    expect(backoff(policy, 60_000, 3)).toBe(60_000)
  })
})
