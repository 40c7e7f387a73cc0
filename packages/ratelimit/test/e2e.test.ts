import { createProxy } from '@mcpx/core'
import { forward, inProcess, LATEST_PROTOCOL_VERSION, upstream } from '@mcpx/transports'
import { createStreamableHttpHandler, listen } from '@mcpx/transports/node'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedWindow, memoryStore, rateLimit } from '../src/index.js'

let url: string
let close: () => Promise<void>
let calls = 0

beforeAll(async () => {
  const server = () => {
    const mcp = new McpServer({ name: 'tools', version: '1.0.0' })
    mcp.registerTool('search', {}, () => {
      calls++
      return { content: [{ type: 'text', text: 'found' }] }
    })
    return mcp
  }
  const proxy = createProxy({ terminal: forward([upstream('tools', inProcess(server))]) })
  proxy.use(
    rateLimit({
      store: memoryStore(),
      limits: [
        { name: 'search', tools: 'search', algorithm: fixedWindow({ limit: 5, windowMs: 60_000 }) },
      ],
    }),
  )
  // Who is calling, as an auth hook would say it: here, a header.
  const handler = createStreamableHttpHandler(proxy, {
    path: '/mcp',
    authenticate: ({ headers }) => ({
      subject: String(headers['x-user'] ?? 'anonymous'),
      scopes: [],
    }),
  })
  const listening = await listen(handler, { port: 0 })
  url = `${listening.origin}/mcp`
  close = async () => {
    await listening.close()
    await proxy.close()
  }
})

afterAll(() => close?.())

async function connect(user: string) {
  const client = new Client({ name: 'e2e', version: '1.0.0' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { 'x-user': user } },
    }),
  )
  return client
}

describe('rate limits end to end over Streamable HTTP, with the SDK client', () => {
  it("refuses a client's 6th call of a 5-per-window tool with the rate-limit error, and no other client's", async () => {
    const alice = await connect('alice')
    const before = calls
    for (let i = 0; i < 5; i++) await alice.callTool({ name: 'search', arguments: {} })
    const refused = await alice.callTool({ name: 'search', arguments: {} }).catch((e: unknown) => e)
    // One request per POST: the whole HTTP request was the refused message, so it is a 429
    // whose body is the JSON-RPC error.
    expect(refused).toBeInstanceOf(StreamableHTTPError)
    expect((refused as StreamableHTTPError).code).toBe(429)
    const body = JSON.parse((refused as Error).message.replace(/^[^{]*/, ''))
    expect(body.error).toMatchObject({
      code: -32029,
      data: { limit: 5, remaining: 0, policy: 'search', retryAfter: expect.any(Number) },
    })
    expect(body.error.data.retryAfterMs).toBeGreaterThan(0)
    expect(calls - before).toBe(5)
    const bob = await connect('bob')
    await expect(bob.callTool({ name: 'search', arguments: {} })).resolves.toBeTruthy()
    await Promise.all([alice.close(), bob.close()])
  })

  it('answers a raw HTTP request over the limit 429 with Retry-After and RateLimit headers', async () => {
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-user': 'carol',
    }
    const init = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    })
    const session = init.headers.get('mcp-session-id')!
    await init.body?.cancel()
    const call = (id: number) =>
      fetch(url, {
        method: 'POST',
        headers: {
          ...headers,
          'mcp-session-id': session,
          'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'search', arguments: {} },
        }),
      })
    for (let i = 1; i <= 5; i++) {
      const ok = await call(i)
      expect(ok.status).toBe(200)
      await ok.body?.cancel()
    }
    const over = await call(6)
    expect(over.status).toBe(429)
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(over.headers.get('ratelimit-policy')).toBe('"search";q=5;w=60')
    expect(over.headers.get('ratelimit')).toMatch(/^"search";r=0;t=\d+$/)
    expect(await over.json()).toMatchObject({ error: { code: -32029 } })
  })
})
