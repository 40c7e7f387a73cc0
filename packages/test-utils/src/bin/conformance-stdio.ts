#!/usr/bin/env node
// Serves the conformance fixture over stdio. Diagnostics go to stderr; stdout is the protocol.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { createConformanceServer } from '../conformance-server.js'
import { parseFixtureArgs } from './args.js'

const args = parseFixtureArgs(process.argv.slice(2))
const server = createConformanceServer({ serverRequests: args.serverRequests })
const transport = new StdioServerTransport()

let closing = false
const shutdown = () => {
  if (closing) return
  closing = true
  server.close().finally(() => process.exit(0))
}
// The parent closing our stdin is the normal way a stdio server is told to stop.
process.stdin.on('end', shutdown)
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
await server.connect(transport)
