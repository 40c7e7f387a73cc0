import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'

/** The `math` example upstream: tools `add`, `echo`, `count` (with progress), a resource and a prompt. */
export function createMathServer(): McpServer {
  const server = new McpServer({ name: 'mcpx-example-math', version: '1.0.0' })

  server.registerTool(
    'add',
    { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  )

  server.registerTool(
    'echo',
    { description: 'Echo the text back', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  )

  server.registerTool(
    'count',
    {
      description: 'Count to n, reporting progress on the way',
      inputSchema: { n: z.number().int().min(1).max(100) },
    },
    async ({ n }, extra) => {
      const token = extra._meta?.progressToken
      for (let i = 1; i <= n; i++) {
        if (token !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: i, total: n },
          })
        }
      }
      return { content: [{ type: 'text', text: `counted to ${n}` }] }
    },
  )

  server.registerResource(
    'readme',
    'example://readme',
    { mimeType: 'text/plain' },
    async (uri) => ({
      contents: [{ uri: uri.href, text: 'This is the mcpx example upstream.' }],
    }),
  )

  server.registerPrompt(
    'explain',
    { description: 'Ask for an explanation', argsSchema: { topic: z.string() } },
    ({ topic }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Explain ${topic} simply.` } }],
    }),
  )
  return server
}
