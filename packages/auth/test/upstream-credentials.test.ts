/**
 * Issue 9 point 4, end to end with real parts: the SDK's `Client` sends a
 * JWT to a running gateway (`jwt()` on the Streamable HTTP front end), the
 * gateway forwards to a real Streamable HTTP MCP server that records every
 * HTTP request's `Authorization`, and it authenticates there with its own
 * token from a real OAuth token endpoint (`clientCredentials()`).
 *
 * Time: `vi.useFakeTimers({ toFake: ['Date'] })` moves only the wall clock
 * that token expiry is computed from; sockets and timers stay real. The
 * client JWT is minted to outlive every jump.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProxy } from '@mcpx/core'
import { AUDIENCE, claims, ISSUER, now, SECRET, sign } from '@mcpx/test-utils/tokens'
import { forward, streamableHttp, type Upstream, upstream } from '@mcpx/transports'
import { createStreamableHttpHandler, listen } from '@mcpx/transports/node'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest, McpError } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type ClientCredentialsOptions, clientCredentials, jwt } from '../src/index.js'
import { tokenEndpoint } from './token-endpoint.js'

const GATEWAY_CLIENT = { id: 'mcp-gateway', secret: 'gateway-secret' }
/** What the recording upstream answers a refused tools/call with: none of it may reach a client. */
const CHALLENGE =
  'Bearer realm="rec", error="invalid_token", error_description="token gateway-token-1 revoked for key k-77"'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Recorded {
  method: string
  authorization: string | undefined
  rpc: string | undefined
}

/**
 * The SDK's own Streamable HTTP server, one session per `initialize`,
 * recording the method, `Authorization` and JSON-RPC method of every HTTP
 * request; with `refuseCalls`, a `tools/call` POST gets 401 and
 * {@link CHALLENGE}, as does one carrying an `Authorization` in `revoked`.
 */
async function recordingUpstream() {
  const requests: Recorded[] = []
  const state = { refuseCalls: false, revoked: new Set<string>() }
  const sessions = new Map<string, StreamableHTTPServerTransport>()
  const server: Server = createServer(async (req, res) => {
    const body = req.method === 'POST' ? await json(req) : undefined
    requests.push({
      method: req.method!,
      authorization: req.headers.authorization,
      rpc: body?.method,
    })
    const refused = state.refuseCalls || state.revoked.has(req.headers.authorization ?? '')
    if (refused && body?.method === 'tools/call') {
      return void res
        .writeHead(401, { 'www-authenticate': CHALLENGE, 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'invalid_token', detail: 'key k-77 revoked' }))
    }
    const id = req.headers['mcp-session-id'] as string | undefined
    const session = id === undefined ? undefined : sessions.get(id)
    if (session) return session.handleRequest(req, res, body)
    if (!isInitializeRequest(body)) return void res.writeHead(404).end()
    const mcp = new McpServer({ name: 'recording', version: '1.0.0' })
    mcp.registerTool('echo', { description: 'Says ok' }, async () => ({
      content: [{ type: 'text' as const, text: 'ok' }],
    }))
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sid) => void sessions.set(sid, transport),
      onsessionclosed: (sid) => void sessions.delete(sid),
    })
    await mcp.connect(transport)
    await transport.handleRequest(req, res, body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    for (const transport of sessions.values()) await transport.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`
  return { url, requests, state, calls: () => requests.filter((r) => r.rpc === 'tools/call') }
}

async function json(req: IncomingMessage): Promise<any> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text === '' ? undefined : JSON.parse(text)
}

/** Token endpoint, recording upstream, and the gateway between them, all on 127.0.0.1. */
async function rig(credentials: Partial<ClientCredentialsOptions> = {}) {
  const endpoint = await tokenEndpoint(GATEWAY_CLIENT, 3600)
  cleanups.push(() => endpoint.close())
  const recording = await recordingUpstream()
  const logs: string[] = []
  const rec: Upstream = upstream(
    'rec',
    streamableHttp({
      url: recording.url,
      headers: clientCredentials({
        tokenUrl: endpoint.url,
        clientId: GATEWAY_CLIENT.id,
        clientSecret: GATEWAY_CLIENT.secret,
        ...credentials,
      }),
    }),
    { mode: 'per-session', log: (_name, line) => logs.push(line) },
  )
  const proxy = createProxy({ terminal: forward([rec]) })
  const handler = createStreamableHttpHandler(proxy, {
    authenticate: jwt({
      secret: SECRET,
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
    }),
    onError: () => {},
  })
  const { origin, close } = await listen(handler, { port: 0 })
  cleanups.push(async () => {
    await close()
    await rec.close()
  })
  // Outlives every clock jump below.
  const clientToken = await sign(SECRET, claims({ exp: now() + 30 * 24 * 3600 }))
  const connect = async () => {
    const client = new Client({ name: 'sdk-client', version: '1.0.0' })
    const transport = new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${clientToken}` } },
    })
    await client.connect(transport)
    cleanups.push(() => client.close())
    return { client, transport }
  }
  return { endpoint, recording, rec, logs, clientToken, connect }
}

const echo = (client: Client) => client.callTool({ name: 'echo', arguments: {} })

/**
 * The JSON-RPC error a failed call got. A single request's upstream failure
 * comes back as HTTP 503 with the error as its body (transports' one
 * error-to-HTTP mapping), which the SDK throws as a `StreamableHTTPError`
 * quoting that body; inside a stream it would be an `McpError`.
 */
async function failure(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  const error = await promise.then(
    () => expect.unreachable('resolved'),
    (e: unknown) => e,
  )
  if (error instanceof McpError) return { code: error.code, message: error.message }
  expect(error).toBeInstanceOf(StreamableHTTPError)
  const { message, code } = error as StreamableHTTPError
  expect(code).toBe(503)
  const body = JSON.parse(message.slice(message.indexOf('{')))
  return body.error
}

describe('upstream credentials, end to end', () => {
  it("never lets the client's token reach the upstream, on any request, and sends the gateway's own", async () => {
    const { recording, rec, clientToken, connect, endpoint } = await rig()
    const { client, transport } = await connect()
    await client.listTools()
    await echo(client)
    await vi.waitFor(() => expect(recording.requests.some((r) => r.method === 'GET')).toBe(true))
    await transport.terminateSession()
    await rec.close()
    await vi.waitFor(() => expect(recording.requests.some((r) => r.method === 'DELETE')).toBe(true))
    const methods = new Set(recording.requests.map((r) => r.rpc ?? r.method))
    expect(methods).toEqual(
      new Set([
        'initialize',
        'notifications/initialized',
        'tools/list',
        'tools/call',
        'GET',
        'DELETE',
      ]),
    )
    for (const request of recording.requests) {
      expect(request.authorization).toBe('Bearer gateway-token-1')
      expect(request.authorization).not.toContain(clientToken)
    }
    expect(endpoint.hits).toBe(1)
  })

  it('refreshes the token within refreshBefore of expiry: a later call carries a new one, after two token requests in all', async () => {
    const { recording, connect, endpoint } = await rig({ refreshBefore: 60_000 })
    const { client } = await connect()
    await echo(client)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 3600_000 - 30_000)
    // This call starts the background refresh and still carries the valid token.
    await echo(client)
    expect(recording.calls().at(-1)?.authorization).toBe('Bearer gateway-token-1')
    await vi.waitFor(() => expect(endpoint.issued).toHaveLength(2))
    await vi.waitFor(async () => {
      await echo(client)
      expect(recording.calls().at(-1)?.authorization).toBe('Bearer gateway-token-2')
    })
    expect(endpoint.hits).toBe(2)
  })

  it('waits for a new token once the old one expired: the next call carries it', async () => {
    const { recording, connect, endpoint } = await rig()
    const { client } = await connect()
    await echo(client)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 3600_000)
    await echo(client)
    expect(recording.calls().map((r) => r.authorization)).toEqual([
      'Bearer gateway-token-1',
      'Bearer gateway-token-2',
    ])
    expect(endpoint.hits).toBe(2)
  })

  it('answers a call the upstream refuses with 401 by an error naming the upstream, none of its challenge, after one upstream request', async () => {
    const { recording, connect } = await rig()
    const { client } = await connect()
    recording.state.refuseCalls = true
    const error = await failure(echo(client))
    expect(error).toEqual({
      code: -32010,
      message: `Upstream "rec" refused the gateway's credentials (HTTP 401)`,
      data: { upstream: 'rec' },
    })
    expect(recording.calls()).toHaveLength(1)
    // Nothing goes out later either: no retry behind the client's back.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(recording.calls()).toHaveLength(1)
  })

  it('replaces a token the upstream starts refusing with 401: that call fails once, the next carries a new token and succeeds', async () => {
    const { recording, connect, endpoint } = await rig({ cooldown: 1_000 })
    const { client } = await connect()
    await echo(client)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 1_001)
    // Revoked early by the authorization server, long before it expires.
    recording.state.revoked.add('Bearer gateway-token-1')
    expect(await failure(echo(client))).toEqual({
      code: -32010,
      message: `Upstream "rec" refused the gateway's credentials (HTTP 401)`,
      data: { upstream: 'rec' },
    })
    await expect(echo(client)).resolves.toMatchObject({ content: [{ type: 'text', text: 'ok' }] })
    expect(recording.calls().map((r) => r.authorization)).toEqual([
      'Bearer gateway-token-1',
      'Bearer gateway-token-1',
      'Bearer gateway-token-2',
    ])
    expect(endpoint.hits).toBe(2)
  })

  it('asks for at most one new token per cooldown when the upstream refuses every token', async () => {
    const { recording, connect, endpoint } = await rig({ cooldown: 10_000 })
    const { client } = await connect()
    recording.state.refuseCalls = true
    vi.useFakeTimers({ toFake: ['Date'] })
    const start = Date.now()
    for (let i = 0; i < 21; i++) {
      expect((await failure(echo(client))).message).toBe(
        `Upstream "rec" refused the gateway's credentials (HTTP 401)`,
      )
      vi.setSystemTime(Date.now() + 1_000)
    }
    const elapsed = Date.now() - start
    expect(recording.calls()).toHaveLength(21)
    expect(endpoint.hits).toBeLessThanOrEqual(1 + Math.floor(elapsed / 10_000))
    // Refusals do reach the token source: a token older than cooldown was replaced.
    expect(endpoint.hits).toBeGreaterThan(1)
    expect(new Set(recording.calls().map((r) => r.authorization)).size).toBe(endpoint.hits)
  })

  it('fails calls with the credentials error while the token endpoint is down, asking it at most once per cooldown', async () => {
    const { recording, connect, endpoint, logs } = await rig({ cooldown: 10_000 })
    const { client } = await connect()
    await echo(client)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 3600_000)
    endpoint.mode = 'fail'
    for (let i = 0; i < 3; i++) {
      expect(await failure(echo(client))).toEqual({
        code: -32010,
        message: 'Upstream "rec" could not get its credentials',
        data: { upstream: 'rec' },
      })
    }
    expect(endpoint.hits).toBe(2)
    expect(recording.calls()).toHaveLength(1)
    expect(logs).toContain(
      `${recording.url} could not get its credentials: [@mcpx/auth] clientCredentials(): the token endpoint answered HTTP 503`,
    )
    vi.setSystemTime(Date.now() + 10_000)
    await failure(echo(client))
    expect(endpoint.hits).toBe(3)
    endpoint.mode = 'serve'
    vi.setSystemTime(Date.now() + 10_000)
    await expect(echo(client)).resolves.toMatchObject({ content: [{ type: 'text', text: 'ok' }] })
    expect(recording.calls().at(-1)?.authorization).toBe('Bearer gateway-token-2')
  })
})
