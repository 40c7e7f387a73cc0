import { apiKey } from '@mcpx/auth'
import { createProxy } from '@mcpx/core'
import { rateLimit, slidingWindow } from '@mcpx/ratelimit'
import { forward, inProcess, upstream } from '@mcpx/transports'
import { serveHttp } from '@mcpx/transports/node'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'

/** The server you already have: a plain SDK `McpServer`, unaware of mcpx. */
export function createNotesServer(): McpServer {
  const server = new McpServer({ name: 'notes', version: '1.0.0' })
  const notes: string[] = []
  server.registerTool(
    'add_note',
    { description: 'Keep a note', inputSchema: { text: z.string().max(200) } },
    async ({ text }) => {
      if (notes.length < 100) notes.push(text)
      return { content: [{ type: 'text', text: `${notes.length} notes` }] }
    },
  )
  return server
}

/** Options for {@link start}. */
export interface StartOptions {
  /** @defaultValue 0 (a free port) */
  port?: number
  /** The API key callers send in `x-api-key`. @defaultValue `'demo-key'` */
  key?: string
  /** `tools/call`s each caller may make per minute. @defaultValue 3 */
  callsPerMinute?: number
}

/**
 * The notes server in this process, with an API key check and a per-caller
 * rate limit in front of it, served over Streamable HTTP at `${url}`.
 */
export async function start({ port = 0, key = 'demo-key', callsPerMinute = 3 }: StartOptions = {}) {
  // No child process, no port between proxy and server: the in-process connector.
  const notes = upstream('notes', inProcess(createNotesServer()))
  const proxy = createProxy({ terminal: forward(notes) })
  proxy.use(
    rateLimit({
      limits: [
        {
          name: 'per-client', // by: 'client', the principal the API key stands for
          methods: 'tools/call',
          algorithm: slidingWindow({ limit: callsPerMinute, windowMs: 60_000 }),
        },
      ],
    }),
  )
  // Over HTTP the key is checked once per HTTP request, before anything is read.
  const verify = apiKey({ keys: [{ key, principal: { subject: 'demo', scopes: [] } }] })
  const http = await serveHttp(proxy, { port, authenticate: verify })
  return { url: new URL(http.url), close: () => http.close() }
}
