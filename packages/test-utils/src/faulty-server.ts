import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  McpError,
} from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { Extra } from './conformance-context.js'
import {
  createFaultController,
  delay,
  type FaultController,
  type FaultOptions,
  faultOptionsSchema,
} from './fault-controller.js'

const MAX_KEYS = 1000
const MAX_SLOW_MS = 10 * 60_000

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] })

const isController = (value: FaultOptions | FaultController): value is FaultController =>
  typeof (value as FaultController).run === 'function'

/**
 * A fault-injecting upstream for the pool's chaos and crash-loop tests and the breaker's tests
 * (issue 11). Its tools:
 *
 * - `echo` `{ text }` → `text`; `slow` `{ delayMs }` → `slow:<delayMs>` after that long
 * - `sample` `{ prompt }` → sends `sampling/createMessage` related to the call and returns the
 *   text the client answered
 * - `stateful_set` `{ key, value }` / `stateful_get` `{ key }` → state of this server: one
 *   process over stdio, one session over faulty-http (so it shows sessions are kept apart)
 * - `pid` → `process.pid`, so a test knows which child served
 * - `stats` → {@link FaultStats} as JSON; `faults` `{ set?, clear? }` → replaces or clears the
 *   faults and returns those in effect as JSON
 *
 * Every tool but `stats` and `faults` runs under {@link FaultOptions}; an injected JSON-RPC
 * error is a real one (the SDK's McpServer would turn a thrown error into an `isError` result). Pass a
 * {@link FaultController} instead of options to share faults and counters between servers or
 * to change them from the test.
 *
 * @example
 * ```ts
 * await createFaultyServer({ latencyMs: [5, 20], errorRate: 0.1, seed: 7 }).connect(transport)
 * ```
 */
export function createFaultyServer(faults: FaultOptions | FaultController = {}): McpServer {
  // Long on purpose: the fixture's tools, one registration each, read best as one list.
  const controller = isController(faults) ? faults : createFaultController(faults)
  const mcp = new McpServer({ name: 'mcpx-faulty-fixture', version: '1.0.0' })
  const state = new Map<string, string>()
  const tools = new Map<string, Tool>()
  const tool = <S extends z.ZodRawShape>(
    name: string,
    description: string,
    shape: S,
    fn: (args: z.objectOutputType<S, z.ZodTypeAny>, extra: Extra) => Promise<CallToolResult>,
    faulted = true,
  ) => {
    tools.set(name, { schema: z.object(shape), faulted, fn })
    // McpServer lists it (and makes its JSON Schema); the tools/call handler below calls it.
    mcp.registerTool(name, { description, inputSchema: shape }, fn as never)
  }

  tool('echo', 'Returns text', { text: z.string() }, async ({ text: value }) => text(value))

  tool(
    'slow',
    'Answers after delayMs',
    { delayMs: z.number().int().min(0).max(MAX_SLOW_MS) },
    async ({ delayMs }, extra) => {
      // A cancelled call stops waiting: no timer outlives it.
      await delay(delayMs, extra.signal).catch(() => {})
      return text(`slow:${delayMs}`)
    },
  )

  tool(
    'sample',
    'Asks the client to sample; returns its text',
    { prompt: z.string() },
    async ({ prompt }, extra) => {
      const answer = await mcp.server.createMessage(
        { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 50 },
        // Streamable HTTP: a related request travels on the call's own SSE stream.
        { relatedRequestId: extra.requestId, signal: extra.signal },
      )
      const content = answer.content
      return text(content.type === 'text' ? content.text : `(${content.type})`)
    },
  )

  tool(
    'stateful_set',
    "Stores value under key in this server's state",
    { key: z.string().max(200), value: z.string().max(10_000) },
    async ({ key, value }) => {
      if (!state.has(key) && state.size >= MAX_KEYS) return failure(`at most ${MAX_KEYS} keys`)
      state.set(key, value)
      return text('ok')
    },
  )

  tool('stateful_get', 'The value stored under key, or ""', { key: z.string() }, async ({ key }) =>
    text(state.get(key) ?? ''),
  )

  tool('pid', 'process.pid of this server', {}, async () => text(String(process.pid)))

  tool('client_info', "The clientInfo of this server's initialize, as JSON", {}, async () =>
    text(JSON.stringify(mcp.server.getClientVersion() ?? null)),
  )

  tool(
    'stats',
    'Calls seen so far, as JSON',
    {},
    async () => text(JSON.stringify(controller.stats())),
    false,
  )

  tool(
    'faults',
    'Replaces (set) or clears the faults; returns those in effect',
    { set: faultOptionsSchema.optional(), clear: z.boolean().optional() },
    async ({ set, clear }) => {
      if (clear) controller.clear()
      if (set) controller.set(set)
      return text(JSON.stringify(controller.faults))
    },
    false,
  )

  mcp.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args = {} } = request.params
    const found = tools.get(name)
    if (!found) throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`)
    // As McpServer does: bad arguments and a throwing tool are isError results.
    const call = async () => {
      const parsed = found.schema.safeParse(args)
      if (!parsed.success) return failure(`Input validation error: ${parsed.error.message}`)
      return found.fn(parsed.data, extra).catch((error: Error) => failure(error.message))
    }
    return found.faulted ? controller.run(extra.signal, call) : call()
  })

  return mcp
}

interface Tool {
  schema: z.ZodTypeAny
  faulted: boolean
  fn: (args: any, extra: Extra) => Promise<CallToolResult>
}

const failure = (message: string): CallToolResult => ({ ...text(message), isError: true })
