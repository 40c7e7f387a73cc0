import { createProxy } from '@mcpx/core'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryEventStore } from '../src/downstream/event-store.js'
import { forward } from '../src/forward.js'
import { serveHttp } from '../src/node.js'
import { SseDecoder, type SseEvent } from '../src/protocol/sse-decoder.js'
import { inProcess } from '../src/upstream/in-process.js'
import { upstream } from '../src/upstream/upstream.js'
import { cleanups, eventually, runCleanups } from './fixtures.js'
import { ACCEPT } from './harness.js'

afterEach(runCleanups)

/** An SDK server whose tool `slow<N>` reports progress every few ms, N times, then answers. */
function slowServer(): McpServer {
  const server = new McpServer({ name: 'slow', version: '1.0.0' })
  for (const steps of [2, 3, 8, 12]) {
    server.registerTool(`slow${steps}`, {}, async (extra) => {
      for (let i = 1; i <= steps; i++) {
        await new Promise((resolve) => setTimeout(resolve, 15))
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: extra._meta!.progressToken!, progress: i, total: steps },
        })
      }
      return { content: [{ type: 'text', text: `done after ${steps}` }] }
    })
  }
  return server
}

async function gateway(store = memoryEventStore()) {
  const up = upstream('slow', inProcess(slowServer()), { log: () => {} })
  const http = await serveHttp(createProxy({ terminal: forward(up) }), {
    port: 0,
    eventStore: store,
    onError: () => {},
  })
  cleanups.push(() => http.close())
  return { url: http.url, store }
}

/** A raw client session at protocol 2025-11-25 (so streams start with a priming event). */
async function session(url: string) {
  const post = (body: unknown, signal?: AbortSignal) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: ACCEPT,
        ...(id ? { 'mcp-session-id': id } : {}),
      },
      body: JSON.stringify(body),
      signal,
    })
  let id: string | undefined
  const init = await post({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  })
  id = init.headers.get('mcp-session-id')!
  await init.text()
  await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).text()
  const getInit = (lastEventId: string): RequestInit => ({
    headers: { accept: 'text/event-stream', 'mcp-session-id': id!, 'last-event-id': lastEventId },
  })
  const get = (lastEventId: string) => fetch(url, getInit(lastEventId))
  return { id, post, get, getInit }
}

/** Read an SSE body, calling `onEvent` for each event, until it ends or `stop` says so. */
async function readEvents(
  response: Response,
  onEvent: (event: SseEvent, decoder: SseDecoder) => boolean | undefined,
): Promise<SseDecoder> {
  let stop = false
  const decoder = new SseDecoder((event) => {
    if (onEvent(event, decoder)) stop = true
  })
  const reader = response.body!.getReader()
  while (!stop) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
    if (done) break
    decoder.push(value!)
  }
  return decoder
}

/** A `tools/call` of the tool that reports progress `steps` times. */
const callSlow = (id: number, steps: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: `slow${steps}`, arguments: {}, _meta: { progressToken: id } },
})

const progressOf = (event: SseEvent) =>
  JSON.parse(event.data).params?.progress as number | undefined

describe('Streamable HTTP resumability (§Resumability and Redelivery)', () => {
  it('replays the missed progress and the answer exactly once after a dropped POST stream', async () => {
    const { url } = await gateway()
    const client = await session(url)
    const drop = new AbortController()
    const call = await client.post(
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'slow12', arguments: {}, _meta: { progressToken: 'mine' } },
      },
      drop.signal,
    )
    expect(call.headers.get('content-type')).toContain('text/event-stream')
    const seen: number[] = []
    const before = await readEvents(call, (event) => {
      seen.push(progressOf(event)!)
      return seen.length === 3
    })
    drop.abort()
    const lastEventId = before.lastEventId!
    // Progress keeps flowing while the client is away; then it comes back.
    await new Promise((resolve) => setTimeout(resolve, 60))
    const answers: unknown[] = []
    await readEvents(await client.get(lastEventId), (event) => {
      const message = JSON.parse(event.data)
      if ('result' in message) answers.push(message)
      else seen.push(progressOf(event)!)
      return undefined
    })
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    expect(answers).toEqual([
      { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'done after 12' }] } },
    ])
  })

  it('gives every event an id naming its stream, after a priming event with empty data', async () => {
    const { url } = await gateway()
    const client = await session(url)
    const ids: (string | undefined)[] = []
    const response = await client.post({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'slow2', arguments: {}, _meta: { progressToken: 1 } },
    })
    const decoder = await readEvents(response, (event) => {
      ids.push(event.id)
      return undefined
    })
    expect(ids).toEqual(['p1_1', 'p1_2', 'p1_3'])
    expect(decoder.progress).toBe(7) // priming id, then three events, each an id and a dispatch
  })

  it('refuses a Last-Event-ID that names no stream of the session with 400', async () => {
    const { url } = await gateway()
    const client = await session(url)
    const response = await client.get('not-an-event-id')
    expect(response.status).toBe(400)
  })

  it('refuses with 400 a resume whose events are no longer kept, opening no stream', async () => {
    const { url } = await gateway(memoryEventStore({ maxEventsPerSession: 2 }))
    const client = await session(url)
    const drop = new AbortController()
    const call = await client.post(callSlow(2, 8), drop.signal)
    const before = await readEvents(call, () => true)
    drop.abort()
    await new Promise((resolve) => setTimeout(resolve, 150))
    const response = await client.get(before.lastEventId!)
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toContain('application/json')
  })

  it('resumes a stream a second time after the resumed connection dropped too', async () => {
    const { url } = await gateway()
    const client = await session(url)
    const seen: number[] = []
    const answers: unknown[] = []
    const collect = (stopAfter?: number) => (event: SseEvent) => {
      const message = JSON.parse(event.data)
      if ('result' in message) answers.push(message.id)
      else seen.push(progressOf(event)!)
      return stopAfter !== undefined && seen.length >= stopAfter
    }
    const first = new AbortController()
    let decoder = await readEvents(await client.post(callSlow(3, 12), first.signal), collect(2))
    first.abort()
    const second = new AbortController()
    const resumed = await fetch(url, {
      ...client.getInit(decoder.lastEventId!),
      signal: second.signal,
    })
    decoder = await readEvents(resumed, collect(5))
    second.abort()
    await readEvents(await client.get(decoder.lastEventId!), collect())
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    expect(answers).toEqual([3])
  })

  it('replays an answer already written, for a client that may not have received it', async () => {
    const { url } = await gateway()
    const client = await session(url)
    let beforeAnswer: string | undefined
    await readEvents(await client.post(callSlow(4, 2)), (event, decoder) => {
      if (!('result' in JSON.parse(event.data))) beforeAnswer = decoder.lastEventId
      return undefined
    })
    const again: unknown[] = []
    await readEvents(await client.get(beforeAnswer!), (event) => {
      again.push(JSON.parse(event.data))
      return undefined
    })
    expect(again).toEqual([
      { jsonrpc: '2.0', id: 4, result: { content: [{ type: 'text', text: 'done after 2' }] } },
    ])
  })

  it('moves a stream to the resuming connection while the old one is still open', async () => {
    const { url } = await gateway()
    const client = await session(url)
    const old = await client.post(callSlow(5, 8))
    const decoder = await readEvents(old, () => true)
    const results: unknown[] = []
    const progress: number[] = []
    await readEvents(await client.get(decoder.lastEventId!), (event) => {
      const message = JSON.parse(event.data)
      if ('result' in message) results.push(message.id)
      else progress.push(progressOf(event)!)
      return undefined
    })
    expect(progress).toEqual([2, 3, 4, 5, 6, 7, 8])
    expect(results).toEqual([5])
  })

  it('stays within its bounds under hostile reconnect churn', async () => {
    const store = memoryEventStore({ maxEventsPerSession: 50, maxBytes: 64 * 1024 })
    const { url } = await gateway(store)
    const clients = await Promise.all(Array.from({ length: 4 }, () => session(url)))
    const bogus = ['p1_0', 'p999_1', 'g1_5', '_', 'p1_-1', 'p1_1e9', 'x'.repeat(200)]
    for (let round = 0; round < 25; round++) {
      await Promise.all(
        clients.map(async (client, i) => {
          const response = await client.post({
            jsonrpc: '2.0',
            id: round,
            method: 'tools/call',
            params: { name: 'slow3', arguments: {}, _meta: { progressToken: round } },
          })
          await response.text()
          const refused = await client.get(bogus[(round + i) % bogus.length]!)
          await refused.text()
        }),
      )
      expect(store.size.events).toBeLessThanOrEqual(4 * 50)
      expect(store.size.bytes).toBeLessThanOrEqual(64 * 1024)
    }
    await eventually(() => store.size.events > 0)
  })
})
