import { AUDIENCE, claims, ISSUER, SECRET, sign } from '@mcpx/test-utils/tokens'
import { LATEST_PROTOCOL_VERSION } from '@mcpx/transports'
import {
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { jwt } from '../src/index.js'
import { type Gateway, gateway } from './harness.js'

let gw: Gateway
const clients: Client[] = []

beforeAll(async () => {
  gw = await gateway(
    jwt({ secret: SECRET, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE }),
  )
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()))
})

afterAll(() => gw?.close())

/** The SDK client, sending `token` (if any) on every request; `responses` records each HTTP answer. */
function connect(token?: string) {
  const responses: Response[] = []
  const transport = new StreamableHTTPClientTransport(new URL(gw.url), {
    requestInit: token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
    fetch: async (input, init) => {
      const response = await fetch(input, init)
      // A refusal is cloned to be read here; an answer is kept for its status and headers only
      // (a clone of an SSE stream the SDK reads would stall it: its twin is never read).
      responses.push(response.ok ? response : response.clone())
      return response
    },
  })
  const client = new Client({ name: 'e2e', version: '1.0.0' })
  clients.push(client)
  return { client, responses, connecting: client.connect(transport) }
}

const token = (scope: string, sub = 'alice') => sign(SECRET, claims({ scope, sub }))

describe('MCP authorization end to end over Streamable HTTP, with the SDK client', () => {
  it('answers a client without a token 401 with a pointer to a valid RFC 9728 metadata document', async () => {
    const { connecting, responses } = connect()
    await expect(connecting).rejects.toBeInstanceOf(StreamableHTTPError)
    const refused = responses[0]!
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${gw.metadataUrl}"`,
    )
    const { resourceMetadataUrl } = extractWWWAuthenticateParams(refused)
    expect(resourceMetadataUrl?.href).toBe(gw.metadataUrl)
    // The SDK's own discovery parses it with its RFC 9728 schema.
    const metadata = await discoverOAuthProtectedResourceMetadata(gw.url, { resourceMetadataUrl })
    expect(metadata).toEqual({
      resource: gw.url,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      scopes_supported: ['math:read', 'admin'],
    })
    expect(gw.upstream.requests).toHaveLength(0)
  })

  it('serves the metadata at the path-suffix well-known URL and at the root one', async () => {
    const origin = new URL(gw.url).origin
    expect(gw.metadataUrl).toBe(`${origin}/.well-known/oauth-protected-resource/mcp`)
    for (const url of [gw.metadataUrl, `${origin}/.well-known/oauth-protected-resource`]) {
      const response = await fetch(url)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('application/json')
      expect(await response.json()).toMatchObject({ resource: gw.url })
    }
  })

  it('hides admin_* from a caller without the admin scope and refuses its call 403 insufficient_scope', async () => {
    const { client, connecting, responses } = connect(await token('math:read'))
    await connecting
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['math_add'])
    const error = await client
      .callTool({ name: 'admin_reset', arguments: {} })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(StreamableHTTPError)
    expect((error as StreamableHTTPError).code).toBe(403)
    const forbidden = responses.at(-1)!
    expect(forbidden.status).toBe(403)
    expect(forbidden.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", scope="admin", resource_metadata="${gw.metadataUrl}"`,
    )
    // What an SDK client with an auth provider reads to ask for more scope (step-up).
    expect(extractWWWAuthenticateParams(forbidden)).toMatchObject({
      error: 'insufficient_scope',
      scope: 'admin',
    })
    expect(await forbidden.json()).toMatchObject({
      error: { code: -32031, data: { error: 'insufficient_scope', scope: 'admin' } },
    })
    const calls = gw.upstream.requests.filter((request) => request.rpc.includes('tools/call'))
    expect(calls).toHaveLength(0)
    const sum = await client.callTool({ name: 'math_add', arguments: { a: 2, b: 3 } })
    expect(sum.content).toEqual([{ type: 'text', text: '5' }])
  })

  it('lists and serves admin_* to a caller holding the admin scope', async () => {
    const { client, connecting } = connect(await token('math:read admin'))
    await connecting
    const names = (await client.listTools()).tools.map((tool) => tool.name)
    expect(names.sort()).toEqual(['admin_reset', 'math_add'])
    const reset = await client.callTool({ name: 'admin_reset', arguments: {} })
    expect(reset.content).toEqual([{ type: 'text', text: 'reset' }])
  })

  it('answers GET and DELETE with a bad token 401, and the session lives on', async () => {
    const { client, connecting } = connect(await token('math:read'))
    await connecting
    const session = (client.transport as StreamableHTTPClientTransport).sessionId!
    const bad = await sign('another-secret-of-at-least-32-bytes!!', claims())
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(gw.url, {
        method,
        headers: {
          authorization: `Bearer ${bad}`,
          'mcp-session-id': session,
          'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
          accept: 'text/event-stream',
        },
      })
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toBe(
        `Bearer error="invalid_token", resource_metadata="${gw.metadataUrl}"`,
      )
      await response.body?.cancel()
    }
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['math_add'])
  })
})
