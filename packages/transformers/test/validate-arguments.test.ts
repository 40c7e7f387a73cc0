/**
 * Issue 13's validation acceptance, end to end: the SDK's real Client over
 * Streamable HTTP → a proxy (router → validateArguments() → forward) → an
 * in-process SDK McpServer whose tool has a real input schema. A wrong type,
 * a missing required field and an extra field (the schema forbids extras)
 * each get -32602 naming the path, and the server receives no tools/call for
 * them (counted on its own transport); a schema change announced by
 * notifications/tools/list_changed takes effect.
 */
import { createProxy } from '@mcpx/core'
import { router } from '@mcpx/router'
import { eventually } from '@mcpx/test-utils'
import { forward, inProcess, upstream } from '@mcpx/transports'
import { serveHttp } from '@mcpx/transports/node'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, expect, it } from 'vitest'
import { z } from 'zod'
import { validateArguments } from '../src/validate-arguments.js'

/** An McpServer that counts the tools/call messages reaching its transport, valid or not. */
class CountingServer extends McpServer {
  readonly calls: unknown[] = []
  override async connect(transport: Transport): Promise<void> {
    await super.connect(transport)
    const deliver = transport.onmessage
    transport.onmessage = (message, extra) => {
      if ((message as { method?: string }).method === 'tools/call') this.calls.push(message)
      deliver?.(message, extra)
    }
  }
}

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => {})
})

async function gateway() {
  const server = new CountingServer({ name: 'math', version: '1.0.0' })
  const add = server.registerTool(
    'add',
    { description: 'a + b', inputSchema: { a: z.number(), b: z.number() } },
    ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  )
  const logs: string[] = []
  const validation = validateArguments({ log: (line) => logs.push(line) })
  const proxy = createProxy({
    terminal: forward([
      upstream('math', inProcess(server), {
        mode: 'shared',
        listChangedDebounce: 0,
        log: () => {},
      }),
    ]),
  })
  proxy.use(router({ upstreams: { math: {} }, log: (line) => logs.push(line) }), validation)
  const http = await serveHttp(proxy, { port: 0 })
  const client = new Client({ name: 'e2e', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(http.url)))
  cleanup.push(
    () => proxy.close(),
    () => http.close(),
    () => client.close(),
  )
  return { server, add, client, validation, logs }
}

/** The JSON-RPC error a call gets, or undefined when it succeeds. */
const refusal = (client: Client, args: Record<string, unknown>) =>
  client.callTool({ name: 'add', arguments: args }).then(
    () => undefined,
    (error: unknown) => error as McpError,
  )

it('answers a wrong type, a missing field and a forbidden extra field -32602 naming the path, and the upstream receives none of them', async () => {
  const { server, client, validation, logs } = await gateway()
  const [tool] = (await client.listTools()).tools
  expect(tool?.inputSchema).toMatchObject({ additionalProperties: false, required: ['a', 'b'] })

  const cases: [Record<string, unknown>, string, string][] = [
    [{ a: 'one', b: 2 }, '/a', 'Invalid arguments for tool "add": /a must be number'],
    [{ a: 1 }, '/b', 'Invalid arguments for tool "add": /b is required'],
    [{ a: 1, b: 2, c: 3 }, '/c', 'Invalid arguments for tool "add": /c is not allowed'],
  ]
  for (const [args, path, message] of cases) {
    const error = await refusal(client, args)
    expect(error).toBeInstanceOf(McpError)
    expect(error?.code).toBe(-32602)
    expect(error?.message).toBe(`MCP error -32602: ${message}`)
    expect(error?.data).toMatchObject({ tool: 'add', errors: [{ path }] })
  }
  expect(server.calls).toHaveLength(0)

  const answer = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })
  expect(answer.content).toEqual([{ type: 'text', text: '3' }])
  expect(server.calls).toHaveLength(1)
  expect(validation.stats).toMatchObject({ valid: 1, invalid: 3, compiled: 1, uncompilable: 0 })
  expect(logs).toEqual([])
})

it('checks against the new schema once the upstream announces it with tools/list_changed', async () => {
  const { server, add, client, validation } = await gateway()
  let changes = 0
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    changes++
  })
  await client.listTools()
  expect(await refusal(client, { a: 1, b: 2 })).toBeUndefined()
  expect(server.calls).toHaveLength(1)

  add.update({
    paramsSchema: { a: z.string(), b: z.string() },
    callback: ({ a, b }) => ({ content: [{ type: 'text', text: `${a}${b}` }] }),
  })
  await eventually(() => changes === 1)
  const [tool] = (await client.listTools()).tools
  expect(tool?.inputSchema).toMatchObject({ properties: { a: { type: 'string' } } })

  const error = await refusal(client, { a: 1, b: 2 })
  expect(error?.code).toBe(-32602)
  expect(error?.message).toBe(
    'MCP error -32602: Invalid arguments for tool "add": /a must be string',
  )
  expect(server.calls).toHaveLength(1)
  const answer = await client.callTool({ name: 'add', arguments: { a: 'x', b: 'y' } })
  expect(answer.content).toEqual([{ type: 'text', text: 'xy' }])
  expect(server.calls).toHaveLength(2)
  expect(validation.stats.compiled).toBe(2)
})
