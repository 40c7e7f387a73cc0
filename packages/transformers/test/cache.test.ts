// cache() end to end: the SDK's real Client over Streamable HTTP, a gateway of
// router → cache → forward, and in-process SDK McpServers as upstreams.
import { createProxy } from '@mcpx/core'
import { router } from '@mcpx/router'
import { eventually } from '@mcpx/test-utils'
import { forward, inProcess, upstream } from '@mcpx/transports'
import { type HttpServer, serveHttp } from '@mcpx/transports/node'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import {
  ResourceUpdatedNotificationSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { cache } from '../src/cache.js'

const counts = { reads: 0, searches: 0, writes: 0, prompts: 0 }
let docs: McpServer
let server: HttpServer
const clients: Client[] = []

function docsServer(): McpServer {
  const mcp = new McpServer({ name: 'docs', version: '1.0.0' })
  mcp.registerResource('readme', 'docs://readme', { mimeType: 'text/plain' }, (uri) => {
    counts.reads++
    return { contents: [{ uri: uri.href, text: `readme v${counts.reads}` }] }
  })
  mcp.registerTool(
    'search',
    { inputSchema: { q: z.string() }, annotations: { readOnlyHint: true } },
    ({ q }) => {
      counts.searches++
      return { content: [{ type: 'text', text: `found ${q} (${counts.searches})` }] }
    },
  )
  mcp.registerTool('write', { inputSchema: { text: z.string() } }, () => {
    counts.writes++
    return { content: [{ type: 'text', text: 'written' }] }
  })
  mcp.registerPrompt('greet', {}, () => {
    counts.prompts++
    return {
      messages: [{ role: 'user', content: { type: 'text', text: `hello ${counts.prompts}` } }],
    }
  })
  mcp.server.registerCapabilities({ resources: { subscribe: true } })
  mcp.server.setRequestHandler(SubscribeRequestSchema, () => ({}))
  mcp.server.setRequestHandler(UnsubscribeRequestSchema, () => ({}))
  return mcp
}

beforeAll(async () => {
  docs = docsServer()
  const proxy = createProxy({
    terminal: forward([upstream('docs', inProcess(docs), { listChangedDebounce: 0 })]),
  })
  proxy.use(router({ upstreams: { docs: {} }, log: () => {} }))
  proxy.use(cache({ tools: { trustHints: true }, log: () => {} }))
  server = await serveHttp(proxy, {
    port: 0,
    // Who is calling, as an auth hook would say it: here, a header.
    authenticate: ({ headers }) => ({
      subject: String(headers['x-user'] ?? 'anonymous'),
      scopes: [],
    }),
  })
})

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await server?.close()
})

async function connect(user: string): Promise<Client> {
  const client = new Client({ name: `cache-e2e-${user}`, version: '1.0.0' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { 'x-user': user } },
    }),
  )
  clients.push(client)
  return client
}

const text = (result: unknown) =>
  ((result as { contents?: { text: string }[] }).contents?.[0]?.text ??
    (result as { content?: { text: string }[] }).content?.[0]?.text) as string

describe('cache() end to end through a router, with the SDK client', () => {
  it('answers a second read from the cache, and never shares an entry between two principals', async () => {
    const alice = await connect('alice')
    const bob = await connect('bob')
    const before = counts.reads
    const first = await alice.readResource({ uri: 'docs://readme' })
    const second = await alice.readResource({ uri: 'docs://readme' })
    expect(text(second)).toBe(text(first))
    expect(counts.reads - before).toBe(1)
    const bobs = await bob.readResource({ uri: 'docs://readme' })
    expect(counts.reads - before).toBe(2)
    expect(text(bobs)).not.toBe(text(first))
  })

  it('caches a read-only tool (trusted hint) and prompts, but not a tool without hints', async () => {
    const carol = await connect('carol')
    const before = { ...counts }
    const a = await carol.callTool({ name: 'search', arguments: { q: 'mcp' } })
    const b = await carol.callTool({ name: 'search', arguments: { q: 'mcp' } })
    expect(text(b)).toBe(text(a))
    await carol.callTool({ name: 'search', arguments: { q: 'other' } })
    expect(counts.searches - before.searches).toBe(2)
    await carol.callTool({ name: 'write', arguments: { text: 'x' } })
    await carol.callTool({ name: 'write', arguments: { text: 'x' } })
    expect(counts.writes - before.writes).toBe(2)
    await carol.getPrompt({ name: 'greet' })
    await carol.getPrompt({ name: 'greet' })
    expect(counts.prompts - before.prompts).toBe(1)
  })

  it("drops a resource's cached reads when the upstream says it was updated (to a subscribed client)", async () => {
    const dave = await connect('dave')
    const updates: string[] = []
    dave.setNotificationHandler(ResourceUpdatedNotificationSchema, (note) => {
      updates.push(note.params.uri)
    })
    await dave.subscribeResource({ uri: 'docs://readme' })
    const before = counts.reads
    const first = await dave.readResource({ uri: 'docs://readme' })
    await dave.readResource({ uri: 'docs://readme' })
    expect(counts.reads - before).toBe(1)
    await docs.server.sendResourceUpdated({ uri: 'docs://readme' })
    await eventually(() => updates.length > 0)
    const after = await dave.readResource({ uri: 'docs://readme' })
    expect(counts.reads - before).toBe(2)
    expect(text(after)).not.toBe(text(first))
  })
})
