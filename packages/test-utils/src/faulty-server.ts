import { setTimeout as sleep } from 'node:timers/promises'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import {
  createFaultController,
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
 * Every tool but `stats` and `faults` runs under {@link FaultOptions}. Pass a
 * {@link FaultController} instead of options to share faults and counters between servers or
 * to change them from the test.
 *
 * @example
 * ```ts
 * await createFaultyServer({ latencyMs: [5, 20], errorRate: 0.1, seed: 7 }).connect(transport)
 * ```
 */
export function createFaultyServer(faults: FaultOptions | FaultController = {}): McpServer {
  const controller = isController(faults) ? faults : createFaultController(faults)
  const mcp = new McpServer({ name: 'mcpx-faulty-fixture', version: '1.0.0' })
  const state = new Map<string, string>()
  const run: FaultController['run'] = (signal, call) => controller.run(signal, call)

  mcp.registerTool(
    'echo',
    { description: 'Returns text', inputSchema: { text: z.string() } },
    ({ text: value }, extra) => run(extra.signal, async () => text(value)),
  )

  mcp.registerTool(
    'slow',
    {
      description: 'Answers after delayMs',
      inputSchema: { delayMs: z.number().int().min(0).max(MAX_SLOW_MS) },
    },
    ({ delayMs }, extra) =>
      run(extra.signal, async () => {
        // A cancelled call stops waiting: no timer outlives it.
        await sleep(delayMs, undefined, { signal: extra.signal }).catch(() => {})
        return text(`slow:${delayMs}`)
      }),
  )

  mcp.registerTool(
    'sample',
    {
      description: 'Asks the client to sample; returns its text',
      inputSchema: { prompt: z.string() },
    },
    ({ prompt }, extra) =>
      run(extra.signal, async () => {
        const answer = await mcp.server.createMessage(
          { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 50 },
          // Streamable HTTP: a related request travels on the call's own SSE stream.
          { relatedRequestId: extra.requestId, signal: extra.signal },
        )
        const content = answer.content
        return text(content.type === 'text' ? content.text : `(${content.type})`)
      }),
  )

  mcp.registerTool(
    'stateful_set',
    {
      description: "Stores value under key in this server's state",
      inputSchema: { key: z.string().max(200), value: z.string().max(10_000) },
    },
    ({ key, value }, extra) =>
      run(extra.signal, async () => {
        if (!state.has(key) && state.size >= MAX_KEYS) {
          return { ...text(`at most ${MAX_KEYS} keys`), isError: true }
        }
        state.set(key, value)
        return text('ok')
      }),
  )

  mcp.registerTool(
    'stateful_get',
    { description: 'The value stored under key, or ""', inputSchema: { key: z.string() } },
    ({ key }, extra) => run(extra.signal, async () => text(state.get(key) ?? '')),
  )

  mcp.registerTool('pid', { description: 'process.pid of this server' }, (extra) =>
    run(extra.signal, async () => text(String(process.pid))),
  )

  mcp.registerTool('stats', { description: 'Calls seen so far, as JSON' }, async () =>
    text(JSON.stringify(controller.stats())),
  )

  mcp.registerTool(
    'faults',
    {
      description: 'Replaces (set) or clears the faults; returns those in effect',
      inputSchema: { set: faultOptionsSchema.optional(), clear: z.boolean().optional() },
    },
    async ({ set, clear }) => {
      if (clear) controller.clear()
      if (set) controller.set(set)
      return text(JSON.stringify(controller.faults))
    },
  )

  return mcp
}
