#!/usr/bin/env node
// The same `echo` tool as echo-min.mjs, served the way most real servers are
// written: the SDK's McpServer over StdioServerTransport.

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { z } from 'zod'

const server = new McpServer({ name: 'echo-sdk', version: '0.0.0' })

server.registerTool(
  'echo',
  { description: 'Returns its text argument unchanged', inputSchema: { text: z.string() } },
  async ({ text }) => ({ content: [{ type: 'text', text }] }),
)

const transport = new StdioServerTransport()
// The client closing stdin is how a stdio server is told to stop (Transports §stdio).
process.stdin.on('end', () => process.exit(0))
await server.connect(transport)
