import { McpxError } from '@mcpx/core'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanups, eventually, runCleanups, serveRequests } from '../../test/fixtures.js'
import type { Result } from '../protocol/peer.js'
import { type ServerMessageHandlers, UpstreamConnection } from './connection.js'
import { inProcess } from './in-process.js'
import { streamableHttp } from './streamable-http.js'

afterEach(runCleanups)

const CLIENT_INIT = {
  protocolVersion: '2025-06-18',
  capabilities: { sampling: {} },
  clientInfo: { name: 'acme-client', version: '2.0.0' },
}
const log = () => {}
const refuse: ServerMessageHandlers = {
  request: () => Promise.reject(new Error('not expected')),
  notification: () => {},
}

function connect(server: McpServer, handlers = refuse): UpstreamConnection {
  const connection = new UpstreamConnection('mine', inProcess(server), handlers)
  cleanups.push(() => connection.close())
  return connection
}

async function failureOf(promise: Promise<unknown>): Promise<McpxError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!McpxError.is(error)) throw new Error(`expected an McpxError, got ${String(error)}`)
  return error
}

describe('UpstreamConnection.start and initialize', () => {
  it('brings the channel up without a handshake, then initializes with the params it is given', async () => {
    const server = new McpServer({ name: 'mine', version: '1.0.0' })
    const connection = connect(server)

    await connection.start({ connectTimeout: 5_000, log })
    expect(server.server.getClientVersion()).toBeUndefined()
    // MCP Lifecycle: ping is the one request a server may get before initialization.
    await expect(connection.request('ping', undefined)).resolves.toEqual({})

    await connection.initialize(CLIENT_INIT, 5_000)
    expect(server.server.getClientVersion()).toEqual(CLIENT_INIT.clientInfo)
    expect(server.server.getClientCapabilities()).toEqual(CLIENT_INIT.capabilities)
    expect((connection.initializeResult.serverInfo as { name: string }).name).toBe('mine')
  })

  it('ends the connection when the server does not answer initialize within its connectTimeout', async () => {
    // A server that takes the POST and never answers it.
    const url = await serveRequests(() => {})
    const connection = new UpstreamConnection('slow', streamableHttp({ url }), refuse)
    cleanups.push(() => connection.close())
    await connection.start({ connectTimeout: 5_000, log })

    const error = await failureOf(connection.initialize(CLIENT_INIT, 100))
    expect(error.message).toBe('Upstream "slow" did not finish initialize within 100 ms')
    expect(error.data).toEqual({ upstream: 'slow' })
    expect(connection.closed).toBe(true)
  })

  it('rejects initialize on a started connection whose channel has since closed, with the reason naming the upstream', async () => {
    const server = new McpServer({ name: 'mine', version: '1.0.0' })
    const connection = connect(server)
    await connection.start({ connectTimeout: 5_000, log })
    await server.close()
    await eventually(() => connection.closed)

    const error = await failureOf(connection.initialize(CLIENT_INIT, 5_000))
    expect(error.message).toMatch(/^Upstream "mine" /)
  })

  it('counts the responses its server sent, errors included, and not the failures it made up itself', async () => {
    const server = new McpServer({ name: 'mine', version: '1.0.0' })
    const connection = connect(server)
    await connection.open({ initialize: CLIENT_INIT, connectTimeout: 5_000, log })
    expect(connection.responses).toBe(1) // initialize
    await connection.request('ping', undefined)
    await connection.request('no/such/method', undefined).catch(() => {})
    expect(connection.responses).toBe(3)
    await connection.close()
    await connection.request('ping', undefined).catch(() => {})
    expect(connection.responses).toBe(3)
  })

  it('refuses initialize before start, and a second start', async () => {
    const connection = connect(new McpServer({ name: 'mine', version: '1.0.0' }))
    await expect(connection.initialize(CLIENT_INIT, 5_000)).rejects.toThrow(
      'UpstreamConnection.initialize() called on a connection that is new',
    )
    await connection.start({ connectTimeout: 5_000, log })
    await expect(connection.start({ connectTimeout: 5_000, log })).rejects.toThrow(
      'UpstreamConnection.start() called on a connection that is started',
    )
    await expect(
      connection.open({ initialize: CLIENT_INIT, connectTimeout: 5_000, log }),
    ).rejects.toThrow('UpstreamConnection.open() called on a connection that is started')
  })
})

describe('UpstreamConnection.incomingCount', () => {
  it('counts a server request until the client answers it, apart from our own pending requests', async () => {
    const server = new McpServer({ name: 'mine', version: '1.0.0' })
    let finish!: () => void
    const finished = new Promise<void>((resolve) => (finish = resolve))
    server.registerTool('sample', {}, async (extra) => {
      const answer = await server.server.createMessage(
        { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 },
        { relatedRequestId: extra.requestId },
      )
      await finished
      return { content: [answer.content] }
    })
    let answer!: (result: Result) => void
    const connection = connect(server, {
      request: () => new Promise<Result>((resolve) => (answer = resolve)),
      notification: () => {},
    })
    await connection.open({ initialize: CLIENT_INIT, connectTimeout: 5_000, log })
    expect(connection.incomingCount).toBe(0)

    const call = connection.request('tools/call', { name: 'sample', arguments: {} })
    await eventually(() => connection.incomingCount === 1)
    expect(connection.pendingCount).toBe(1)

    answer({ role: 'assistant', content: { type: 'text', text: 'blue' }, model: 'm' })
    await eventually(() => connection.incomingCount === 0)
    // The tool call is still running: only the server's request was answered.
    expect(connection.pendingCount).toBe(1)
    finish()
    await expect(call).resolves.toMatchObject({ content: [{ type: 'text', text: 'blue' }] })
    expect(connection.incomingCount).toBe(0)
  })
})
