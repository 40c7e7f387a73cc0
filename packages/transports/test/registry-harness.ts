/**
 * Replicas in this process for the session registry tests: each an
 * in-process server whose `whoami` tool names it, the registry on, sharing
 * a directory in memory. Register `afterEach(runCleanups)` in every file
 * that uses it.
 */
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProxy } from '@mcpx/core'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import express from 'express'
import type { SessionDirectory } from '../src/downstream/session-directory.js'
import { forward } from '../src/forward.js'
import { createStreamableHttpHandler, type StreamableHttpHandlerOptions } from '../src/node.js'
import { inProcess } from '../src/upstream/in-process.js'
import { upstream } from '../src/upstream/upstream.js'
import { cleanups } from './fixtures.js'
import { ACCEPT } from './harness.js'

export const SECRET = 'a-secret-of-16-chars-or-more'

/** A directory in memory, shared by the replicas of one test. */
export function memoryDirectory(): SessionDirectory & { readonly entries: Map<string, string> } {
  const entries = new Map<string, string>()
  return {
    entries,
    ttl: 60_000,
    claim: async (id, owner) => void entries.set(id, owner),
    touch: async (id, owner) => void entries.set(id, owner),
    release: async (id, owner) => void (entries.get(id) === owner && entries.delete(id)),
    owner: async (id) => entries.get(id),
  }
}

export interface ReplicaOptions extends Omit<StreamableHttpHandlerOptions, 'registry' | 'path'> {
  mount?: 'express.json' | 'express.text' | 'express.raw'
  /** The registry's `connectTimeout`. */
  connectTimeout?: number
}

/** A replica serving `/mcp`: its endpoint URL, its handler and what it reported through `onError`. */
export async function replica(
  name: string,
  directory: SessionDirectory,
  options: ReplicaOptions = {},
) {
  const { mount, connectTimeout, ...frontEnd } = options
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const mcp = new McpServer({ name, version: '1.0.0' })
  mcp.registerTool('whoami', {}, async () => ({ content: [{ type: 'text', text: name }] }))
  const proxy = createProxy({ terminal: forward(upstream(name, inProcess(mcp))) })
  const errors: Error[] = []
  const handler = createStreamableHttpHandler(proxy, {
    onError: (error) => void errors.push(error as Error),
    ...frontEnd,
    path: '/mcp',
    registry: {
      directory,
      self: origin,
      secret: SECRET,
      ...(connectTimeout !== undefined && { connectTimeout }),
    },
  })
  let listener: RequestListener = handler
  if (mount) {
    const app = express()
    if (mount === 'express.json') app.use(express.json())
    else if (mount === 'express.text') app.use(express.text({ type: '*/*' }))
    else app.use(express.raw({ type: '*/*' }))
    app.all('/mcp', handler)
    listener = app
  }
  server.on('request', listener)
  cleanups.push(async () => {
    await handler.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await proxy.close()
  })
  return { url: `${origin}/mcp`, origin, handler, server, mcp, errors }
}

export async function post(url: string, body: string, sessionId?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: ACCEPT }
  if (sessionId)
    Object.assign(headers, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' })
  const answer = await fetch(url, { method: 'POST', headers, body })
  return {
    status: answer.status,
    sessionId: answer.headers.get('mcp-session-id'),
    text: await answer.text(),
  }
}

export const WHOAMI = JSON.stringify({
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name: 'whoami', arguments: {} },
})
