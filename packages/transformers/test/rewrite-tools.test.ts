/**
 * Issue 13's tool rewriting, end to end: an SDK McpServer in process behind
 * the router (namespaced), rewriteTools() above pinTools(), the SDK's real
 * Client over Streamable HTTP.
 */
import { createProxy } from '@mcpx/core'
import { router } from '@mcpx/router'
import { forward, inProcess, upstream } from '@mcpx/transports'
import { serveHttp } from '@mcpx/transports/node'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { pinTools } from '../src/pin-tools.js'
import { rewriteTools } from '../src/rewrite-tools.js'

const received: Record<string, unknown>[] = []
let client: Client
const cleanup: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  const server = new McpServer({ name: 'crm', version: '1.0.0' })
  server.registerTool(
    'search_contacts_v2',
    {
      description: 'Search contacts (v2)',
      inputSchema: { query: z.string(), tenant: z.string() },
      annotations: { readOnlyHint: false },
    },
    async (args) => {
      received.push(args)
      return { content: [{ type: 'text', text: `found ${args.query} in ${args.tenant}` }] }
    },
  )
  server.registerTool('admin_drop', { description: 'Drop everything' }, async () => ({
    content: [{ type: 'text', text: 'dropped' }],
  }))
  server.registerTool('dump', { description: 'A lot of text' }, async () => ({
    content: [{ type: 'text', text: 'x'.repeat(50_000) }],
  }))
  const up = upstream('crm', inProcess(server), { mode: 'shared', log: () => {} })
  const proxy = createProxy({ terminal: forward([up]) })
  proxy.use(
    router({ upstreams: { crm: { namespace: true } }, log: () => {} }),
    rewriteTools({
      upstreams: {
        crm: {
          deny: ['admin_*'],
          rename: { search_contacts_v2: 'search' },
          descriptions: { search_contacts_v2: 'Search the contacts of your company' },
          annotations: { search_contacts_v2: { readOnlyHint: true } },
          inject: { search_contacts_v2: { tenant: 'acme' } },
          maxResultBytes: 1000,
        },
      },
    }),
    pinTools({ log: () => {} }),
  )
  const http = await serveHttp(proxy, { port: 0 })
  client = new Client({ name: 'rewrite-test', version: '1.0.0' }, { capabilities: {} })
  await client.connect(new StreamableHTTPClientTransport(new URL(http.url)))
  cleanup.push(
    () => proxy.close(),
    () => http.close(),
    () => client.close(),
  )
})
afterAll(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
})

it('lists renamed, described and annotated tools under the namespace, without denied ones or fixed arguments', async () => {
  const { tools } = await client.listTools()
  expect(tools.map((tool) => tool.name).sort()).toEqual(['crm_dump', 'crm_search'])
  const search = tools.find((tool) => tool.name === 'crm_search')!
  expect(search.description).toBe('Search the contacts of your company')
  expect(search.annotations).toEqual({ readOnlyHint: true })
  expect(Object.keys(search.inputSchema.properties ?? {})).toEqual(['query'])
  expect(search.inputSchema.required).toEqual(['query'])
})

it('calls the upstream by its own name with the fixed argument, whatever the client sent for it', async () => {
  const result = await client.callTool({
    name: 'crm_search',
    arguments: { query: 'ada', tenant: 'someone-else' },
  })
  expect(result.content).toEqual([{ type: 'text', text: 'found ada in acme' }])
  expect(received.at(-1)).toEqual({ query: 'ada', tenant: 'acme' })
})

it.each(['crm_admin_drop', 'crm_search_contacts_v2'])(
  'refuses %s as an unknown tool',
  async (name) => {
    await expect(client.callTool({ name, arguments: {} })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining(`Unknown tool: ${name}`),
    })
  },
)

it('cuts a result past maxResultBytes with the marker', async () => {
  const result = await client.callTool({ name: 'crm_dump', arguments: {} })
  const [block] = result.content as { text: string }[]
  expect(block!.text.endsWith('[truncated by the gateway]')).toBe(true)
  expect(JSON.stringify(result).length).toBeLessThan(1100)
})
