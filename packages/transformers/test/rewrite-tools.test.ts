/**
 * Issue 13's tool rewriting, end to end: two replicas of an SDK McpServer in
 * process behind the router (one namespaced entry), rewriteTools() above
 * pinTools(), the SDK's real Client over Streamable HTTP.
 */
import { createProxy, type Middleware } from '@mcpx/core'
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
import { validateArguments } from '../src/validate-arguments.js'

const received: Record<string, unknown>[] = []
const dropped: string[] = []
let client: Client
const cleanup: (() => Promise<unknown>)[] = []

/** One replica of the crm upstream. */
function crm(replica: string) {
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
  server.registerTool('admin_drop', { description: 'Drop everything' }, async () => {
    dropped.push(replica)
    return { content: [{ type: 'text', text: 'dropped' }] }
  })
  server.registerTool('dump', { description: 'A lot of text' }, async () => ({
    content: [{ type: 'text', text: 'x'.repeat(50_000) }],
  }))
  return upstream(replica, inProcess(server), { mode: 'shared', log: () => {} })
}

const rules = {
  crm: {
    deny: ['admin_*'],
    rename: { search_contacts_v2: 'search' },
    descriptions: { search_contacts_v2: 'Search the contacts of your company' },
    annotations: { search_contacts_v2: { readOnlyHint: true } },
    inject: { search_contacts_v2: { tenant: 'acme' } },
    maxResultBytes: 1000,
  },
}

/** The SDK's Client over Streamable HTTP to a proxy of `middleware` over the replicas crm-a and crm-b. */
async function connect(...middleware: Middleware[]): Promise<Client> {
  const proxy = createProxy({ terminal: forward([crm('crm-a'), crm('crm-b')]) })
  // Two replicas: the router sends a name it does not list on (a replica may have a tool the
  // other has not), so a hidden tool's refusal is rewriteTools()'s, not the router's.
  const upstreams = { crm: { namespace: true, replicas: ['crm-a', 'crm-b'] } }
  proxy.use(router({ upstreams, log: () => {} }), ...middleware)
  const http = await serveHttp(proxy, { port: 0 })
  const connected = new Client({ name: 'rewrite-test', version: '1.0.0' }, { capabilities: {} })
  await connected.connect(new StreamableHTTPClientTransport(new URL(http.url)))
  cleanup.push(
    () => proxy.close(),
    () => http.close(),
    () => connected.close(),
  )
  return connected
}

beforeAll(async () => {
  // Rules keyed by the router entry, as readme/rewrite-tools.md says; messages name a replica.
  client = await connect(rewriteTools({ upstreams: rules }), pinTools({ log: () => {} }))
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
  'refuses %s as an unknown tool on every replica, and no replica runs it',
  async (name) => {
    for (let i = 0; i < 2; i++) {
      await expect(client.callTool({ name, arguments: {} })).rejects.toMatchObject({
        code: -32602,
        message: expect.stringContaining(`Unknown tool: ${name}`),
      })
    }
    expect(dropped).toEqual([])
  },
)

it('cuts a result past maxResultBytes with the marker', async () => {
  const result = await client.callTool({ name: 'crm_dump', arguments: {} })
  const [block] = result.content as { text: string }[]
  expect(block!.text.endsWith('[truncated by the gateway]')).toBe(true)
  expect(JSON.stringify(result).length).toBeLessThan(1100)
})

it('above rewriteTools(), validateArguments() checks what the client sent against the schema it was shown', async () => {
  const validated = await connect(
    validateArguments({ log: () => {} }),
    rewriteTools({ upstreams: rules }),
  )
  const { tools } = await validated.listTools()
  expect(tools.find((tool) => tool.name === 'crm_search')!.inputSchema.required).toEqual(['query'])
  // The upstream requires tenant; the client was not shown it, and rewriteTools() below adds it.
  const result = await validated.callTool({ name: 'crm_search', arguments: { query: 'bob' } })
  expect(result.content).toEqual([{ type: 'text', text: 'found bob in acme' }])
  // The shown schema forbids extra properties: a tenant sent anyway is refused before rewriting.
  await expect(
    validated.callTool({ name: 'crm_search', arguments: { query: 'bob', tenant: 'evil' } }),
  ).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('/tenant') })
  expect(received.filter((args) => args.query === 'bob')).toEqual([
    { query: 'bob', tenant: 'acme' },
  ])
})
