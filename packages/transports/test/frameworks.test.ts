import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProxy } from '@mcpx/core'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import express from 'express'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { createStreamableHttpHandler } from '../src/downstream/streamable-http-node.js'
import { forward } from '../src/forward.js'
import { inProcess } from '../src/upstream/in-process.js'
import { upstream } from '../src/upstream/upstream.js'
import { cleanups, connectSdkClient, runCleanups } from './fixtures.js'
import { ACCEPT, INIT, textOf } from './harness.js'

afterEach(runCleanups)

/** The MCP handler in front of an in-process server with one `hello` tool. */
function mcpHandler(onError: (error: unknown) => void = () => {}) {
  const server = new McpServer({ name: 'mine', version: '1.0.0' })
  server.registerTool('hello', {}, async () => ({ content: [{ type: 'text', text: 'hi' }] }))
  const proxy = createProxy({ terminal: forward(upstream('mine', inProcess(server))) })
  const mcp = createStreamableHttpHandler(proxy, { onError: (error) => onError(error) })
  cleanups.push(async () => {
    await mcp.close()
    await proxy.close()
  })
  return mcp
}

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`
}

async function callHello(url: string): Promise<string> {
  const client = await connectSdkClient(new StreamableHTTPClientTransport(new URL(url)))
  return textOf(await client.callTool({ name: 'hello', arguments: {} }))
}

describe('mounting the Streamable HTTP handler in a framework', () => {
  it('serves from Express after express.json() has parsed the body', async () => {
    const app = express()
    app.use(express.json())
    app.all('/mcp', mcpHandler())
    expect(await callHello(await listening(createServer(app)))).toBe('hi')
  })

  it('serves from Express without a body parser', async () => {
    const app = express()
    app.all('/mcp', mcpHandler())
    expect(await callHello(await listening(createServer(app)))).toBe('hi')
  })

  it('fails at once, saying what to do, when the body was consumed and not left in req.body', async () => {
    const errors: unknown[] = []
    const mcp = mcpHandler((error) => errors.push(error))
    const consume = (req: IncomingMessage) =>
      new Promise<void>((resolve) => {
        req.resume()
        req.once('end', () => resolve())
      })
    const url = await listening(
      createServer((req, res) => void consume(req).then(() => mcp(req, res))),
    )
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT },
      body: INIT,
      signal: AbortSignal.timeout(5000),
    })
    expect(response.status).toBe(500)
    expect(String(errors[0])).toContain('mount the handler before body parsers')
  })

  it('serves from Fastify with the README recipe (hijack, parsed body in req.body)', async () => {
    const mcp = mcpHandler()
    const app = Fastify()
    app.all('/mcp', async (request, reply) => {
      reply.hijack()
      ;(request.raw as IncomingMessage & { body?: unknown }).body = request.body
      mcp(request.raw, reply.raw)
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    cleanups.push(() => app.close())
    const { port } = app.server.address() as AddressInfo
    expect(await callHello(`http://127.0.0.1:${port}/mcp`)).toBe('hi')
  })
})
