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
  const get = (lastEventId: string) =>
    fetch(url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': id!, 'last-event-id': lastEventId },
    })
  return { id, post, get }
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
    // Stream p1 was the initialize POST's.
    expect(ids).toEqual(['p2_1', 'p2_2', 'p2_3'])
    expect(decoder.progress).toBe(7) // priming id, then three events, each an id and a dispatch
  })

  it('refuses a Last-Event-ID that names no stream of the session with 400', async () => {
    const { url } = await gateway()
    const client = await session(url)
    const response = await client.get('not-an-event-id')
    expect(response.status).toBe(400)
  })

  it('ends a resume whose events are no longer kept without replaying anything', async () => {
    const { url } = await gateway(memoryEventStore({ maxEventsPerSession: 2 }))
    const client = await session(url)
    const drop = new AbortController()
    const call = await client.post(
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'slow8', arguments: {}, _meta: { progressToken: 2 } },
      },
      drop.signal,
    )
    const before = await readEvents(call, () => true)
    drop.abort()
    await new Promise((resolve) => setTimeout(resolve, 150))
    const events: SseEvent[] = []
    await readEvents(await client.get(before.lastEventId!), (event) => {
      events.push(event)
      return undefined
    })
    expect(events).toEqual([])
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
