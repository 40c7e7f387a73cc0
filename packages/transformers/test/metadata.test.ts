/**
 * metadata() end to end: the SDK's real Client through the Streamable HTTP
 * front end, metadata() and a router to a real SDK server over Streamable HTTP on
 * 127.0.0.1. The upstream sees the stamp in the request's `_meta` and the
 * request id as a header; the client gets it in the result's `_meta` and
 * on the HTTP answer.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { createProxy } from '@mcpx/core'
import { router } from '@mcpx/router'
import { forward, streamableHttp, upstream } from '@mcpx/transports'
import { createStreamableHttpHandler, listen } from '@mcpx/transports/node'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { metadata } from '../src/metadata.js'

const cleanup: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const close of cleanup.reverse()) await close()
})

/** A stateless SDK server whose `whoami` tool answers with the `_meta` it received; the headers it got. */
async function upstreamServer() {
  const seen: IncomingHttpHeaders[] = []
  const http = createServer(async (req, res) => {
    seen.push(req.headers)
    const mcp = new McpServer({ name: 'math', version: '1.0.0' })
    mcp.registerTool('whoami', {}, (extra) => ({
      content: [{ type: 'text', text: JSON.stringify(extra._meta ?? {}) }],
    }))
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    await mcp.connect(transport)
    await transport.handleRequest(req, res)
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  cleanup.push(() => new Promise((resolve) => http.close(resolve)))
  const { port } = http.address() as { port: number }
  return { url: `http://127.0.0.1:${port}/mcp`, seen }
}

let client: Client
let answers: Headers[]
let upstreamSeen: IncomingHttpHeaders[]

beforeAll(async () => {
  const math = await upstreamServer()
  upstreamSeen = math.seen
  const proxy = createProxy({
    terminal: forward([upstream('math', streamableHttp({ url: math.url }), { mode: 'shared' })]),
  })
  // Above the router: a request it fans out (tools/list) carries one id to every upstream.
  proxy.use(
    metadata({ prefix: 'com.example/', gateway: 'edge-1' }),
    router({ upstreams: { math: {} } }),
  )
  const handler = createStreamableHttpHandler(proxy, { path: '/mcp' })
  const listening = await listen(handler, { port: 0 })
  cleanup.push(async () => {
    await listening.close()
    await proxy.close()
  })
  answers = []
  client = new Client({ name: 'e2e', version: '1.0.0' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${listening.origin}/mcp`), {
      fetch: async (url, init) => {
        const response = await fetch(url, init)
        answers.push(response.headers)
        return response
      },
    }),
  )
  cleanup.push(() => client.close())
})

// First: the router's catalog is fetched now, with this request's id.
it('stamps a list the router fans out: the merged answer, and the one id the upstream got', async () => {
  const before = upstreamSeen.length
  const answered = answers.length
  const listed = await client.listTools()
  const id = listed._meta?.['com.example/request-id']
  expect(id).toMatch(/^[0-9a-f-]{36}$/)
  expect(answers.slice(answered).some((headers) => headers.get('x-request-id') === id)).toBe(true)
  const sent = upstreamSeen.slice(before).map((headers) => headers['x-request-id'])
  expect(sent).toContain(id)
})

it('stamps the request the upstream gets and the result the client gets, with one request id', async () => {
  const result = await client.callTool({ name: 'whoami', arguments: {} })
  const received = JSON.parse((result.content as { text: string }[])[0]!.text)
  const id = received['com.example/request-id']
  expect(id).toMatch(/^[0-9a-f-]{36}$/)
  expect(received['com.example/gateway']).toBe('edge-1')
  expect(result._meta).toMatchObject({
    'com.example/request-id': id,
    'com.example/gateway': 'edge-1',
  })
  expect(result._meta!['com.example/duration-ms']).toBeGreaterThanOrEqual(0)
  // The same id as a header: to the upstream, and on the client's HTTP answer.
  expect(upstreamSeen.some((headers) => headers['x-request-id'] === id)).toBe(true)
  expect(answers.some((headers) => headers.get('x-request-id') === id)).toBe(true)
})
