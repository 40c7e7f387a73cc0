import { createProxy } from '@mcpx/core'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { afterEach, describe, expect, it } from 'vitest'
import { createStreamableHttpFetchHandler } from '../src/downstream/fetch-handler.js'
import { forward } from '../src/forward.js'
import { inProcess } from '../src/upstream/in-process.js'
import { upstream } from '../src/upstream/upstream.js'
import { cleanups, connectSdkClient, runCleanups, samplingClient } from './fixtures.js'
import { ACCEPT, childPids, INIT, textOf } from './harness.js'

afterEach(runCleanups)

/** An SDK server whose `sample` tool asks the client that called it. */
function samplingServer(): McpServer {
  const server = new McpServer({ name: 'mine', version: '1.0.0' })
  server.registerTool('sample', {}, async (extra) => {
    const answer = await server.server.createMessage(
      { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 },
      { relatedRequestId: extra.requestId },
    )
    return {
      content: [
        {
          type: 'text',
          text: `the client said: ${answer.content.type === 'text' ? answer.content.text : ''}`,
        },
      ],
    }
  })
  return server
}

/** The fetch handler in front of an in-process server: no socket anywhere, not even for the gateway. */
function gateway() {
  const up = upstream('mine', inProcess(samplingServer()), { log: () => {} })
  const proxy = createProxy({ terminal: forward(up) })
  const handler = createStreamableHttpFetchHandler(proxy, { onError: () => {} })
  cleanups.push(async () => {
    await handler.close()
    await proxy.close()
  })
  return handler
}

const tcpServers = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap')
    .length

describe('createStreamableHttpFetchHandler', () => {
  it('serves an in-process SDK server whose tool samples to the SDK Client, through fetch alone', async () => {
    const handler = gateway()
    const sockets = tcpServers()
    const children = childPids()
    const client = samplingClient('four')
    const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
      fetch: (input, init) => handler(new Request(input, init)),
    })
    await connectSdkClient(transport, client)
    const result = await client.callTool({ name: 'sample', arguments: {} })
    expect(textOf(result)).toBe('the client said: four')
    expect(handler.sessionCount).toBe(1)
    expect(childPids()).toEqual(children)
    expect(tcpServers()).toBe(sockets)
  })

  it('answers a bad body with 400 and -32700, as the node handler does', async () => {
    const handler = gateway()
    const response = await handler(
      new Request('http://127.0.0.1/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT },
        body: '{"jsonrpc":',
      }),
    )
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32700)
  })

  it('answers a body over maxMessageBytes with 413', async () => {
    const up = upstream('mine', inProcess(samplingServer()), { log: () => {} })
    const handler = createStreamableHttpFetchHandler(createProxy({ terminal: forward(up) }), {
      maxMessageBytes: 64,
    })
    cleanups.push(
      () => handler.close(),
      () => up.close(),
    )
    const response = await handler(
      new Request('http://127.0.0.1/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT },
        body: INIT,
      }),
    )
    expect(response.status).toBe(413)
  })

  it('ends a session on DELETE and then answers its id with 404', async () => {
    const handler = gateway()
    const init = await handler(
      new Request('http://127.0.0.1/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT },
        body: INIT,
      }),
    )
    await init.text()
    const id = init.headers.get('mcp-session-id')!
    const headers = { 'mcp-session-id': id, accept: ACCEPT, 'content-type': 'application/json' }
    const url = 'http://127.0.0.1/mcp'
    expect((await handler(new Request(url, { method: 'DELETE', headers }))).status).toBe(200)
    const after = await handler(
      new Request(url, {
        method: 'POST',
        headers,
        body: '{"jsonrpc":"2.0","id":2,"method":"ping"}',
      }),
    )
    expect(after.status).toBe(404)
    expect(handler.sessionCount).toBe(0)
  })
})
