#!/usr/bin/env node
// The math example plus a `whoami` tool that answers this process's pid, over
// stdio: the multi-upstream example runs two of these as replicas of one
// upstream, and `whoami` shows which of them served each call.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { createMathServer } from '../servers/math.js'

const server = createMathServer()
server.registerTool(
  'whoami',
  { description: 'The pid of the replica serving this call' },
  async () => ({ content: [{ type: 'text', text: String(process.pid) }] }),
)
process.stdin.on('end', () => void server.close().finally(() => process.exit(0)))
await server.connect(new StdioServerTransport())
