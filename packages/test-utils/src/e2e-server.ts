import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import {
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'

/** What the end-to-end fixture saw, readable through its `stats` tool. */
const stats = { cancelled: 0 }

/** Every `resources/subscribe` and `resources/unsubscribe` received, in order: the `subscriptions` tool. */
const subscriptionLog: { method: string; uri: string }[] = []

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] })

/**
 * The upstream for mcpx's end-to-end tests: tools that exercise every
 * direction of the protocol (sampling, elicitation, roots, progress,
 * cancellation, list_changed, resource subscriptions and updates, the
 * client capabilities it was given) and faults (garbage on stdout, sudden
 * death).
 *
 * @example
 * ```ts
 * await createE2eServer().connect(new StdioServerTransport())
 * ```
 */
export function createE2eServer(): McpServer {
  // Long on purpose: the fixture's tools, one registration each, read best as one list.
  const mcp = new McpServer(
    { name: 'mcpx-e2e-fixture', version: '1.0.0' },
    { capabilities: { tools: { listChanged: true }, logging: {}, resources: { subscribe: true } } },
  )

  for (const schema of [SubscribeRequestSchema, UnsubscribeRequestSchema]) {
    mcp.server.setRequestHandler(schema, async (request) => {
      subscriptionLog.push({ method: request.method, uri: request.params.uri })
      return {}
    })
  }

  mcp.registerTool(
    'echo',
    { inputSchema: { text: z.string(), delayMs: z.number().optional() } },
    async ({ text: value, delayMs }) => {
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs))
      return text(value)
    },
  )

  mcp.registerTool('sample', { inputSchema: { prompt: z.string() } }, async ({ prompt }, extra) => {
    const result = await mcp.server.createMessage(
      { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 50 },
      { relatedRequestId: extra.requestId },
    )
    return text(result.content.type === 'text' ? result.content.text : `(${result.content.type})`)
  })

  mcp.registerTool(
    'elicit',
    { inputSchema: { message: z.string() } },
    async ({ message }, extra) => {
      const result = await mcp.server.elicitInput(
        {
          message,
          requestedSchema: {
            type: 'object',
            properties: { name: { type: 'string' } },
            required: ['name'],
          },
        },
        { relatedRequestId: extra.requestId },
      )
      return text(JSON.stringify({ action: result.action, content: result.content }))
    },
  )

  mcp.registerTool('roots', {}, async (extra) => {
    const result = await mcp.server.listRoots(undefined, { relatedRequestId: extra.requestId })
    return text(JSON.stringify(result.roots.map((root) => root.uri)))
  })

  mcp.registerTool(
    'progress',
    { inputSchema: { steps: z.number().int().min(1).max(50) } },
    async ({ steps }, extra) => {
      const token = extra._meta?.progressToken
      for (let i = 1; i <= steps; i++) {
        if (token !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: i, total: steps },
          })
        }
      }
      return text(`done ${steps}`)
    },
  )

  // An upstream that never finishes but never goes quiet: progress every intervalMs until
  // cancelled (bounded: at most 10,000 notifications).
  mcp.registerTool(
    'progress_forever',
    { inputSchema: { intervalMs: z.number().int().min(1).max(1000) } },
    async ({ intervalMs }, extra) => {
      const token = extra._meta?.progressToken
      for (let i = 1; i <= 10_000 && !extra.signal.aborted; i++) {
        await new Promise((resolve) => setTimeout(resolve, intervalMs))
        if (token === undefined || extra.signal.aborted) continue
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: i },
        })
      }
      if (extra.signal.aborted) stats.cancelled++
      return text('gave up')
    },
  )

  mcp.registerTool('wait_for_cancel', {}, async (extra) => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000)
      extra.signal.addEventListener('abort', () => {
        stats.cancelled++
        clearTimeout(timer)
        resolve()
      })
    })
    return text('not cancelled')
  })

  mcp.registerTool('stats', {}, async () => text(JSON.stringify({ ...stats, pid: process.pid })))

  mcp.registerTool(
    'notify_tools_changed',
    { inputSchema: { count: z.number().int().min(1).max(100).optional() } },
    async ({ count }) => {
      for (let i = 0; i < (count ?? 1); i++) await mcp.server.sendToolListChanged()
      return text('sent')
    },
  )

  mcp.registerTool('subscriptions', {}, async () => text(JSON.stringify(subscriptionLog)))

  mcp.registerTool('update_resource', { inputSchema: { uri: z.string() } }, async ({ uri }) => {
    await mcp.server.sendResourceUpdated({ uri })
    return text('sent')
  })

  // What this connection's client declared in initialize: what the gateway advertises upstream.
  mcp.registerTool('client_capabilities', {}, async () =>
    text(JSON.stringify(mcp.server.getClientCapabilities() ?? null)),
  )

  // Faults. Only meaningful over stdio, where stdout is the protocol.
  mcp.registerTool('garbage', {}, async () => {
    process.stdout.write('this is not JSON-RPC\n')
    return new Promise(() => {})
  })

  mcp.registerTool('die', {}, async () => {
    setTimeout(() => process.exit(3), 10)
    return new Promise(() => {})
  })

  return mcp
}
