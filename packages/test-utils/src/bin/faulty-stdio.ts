#!/usr/bin/env node
// The fault-injecting fixture over stdio; stdout is the protocol. Faults from the flags or
// MCPX_FAULTS (faulty-stdio --help), changeable at runtime through its `faults` tool.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { createFaultController } from '../fault-controller.js'
import { createFaultyServer } from '../faulty-server.js'
import { parseFaultyArgs } from './faulty-args.js'

const args = parseFaultyArgs('stdio', process.argv.slice(2))
if (args.exitAtStartup) {
  process.stderr.write('faulty-stdio: exiting at start-up (--exit-at-startup)\n')
  process.exit(1)
}
const server = createFaultyServer(createFaultController(args.faults))

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
await server.connect(new StdioServerTransport())
