#!/usr/bin/env node
// The fault-injecting fixture over stdio; stdout is the protocol. Faults from the flags or
// MCPX_FAULTS (faulty-stdio --help), changeable at runtime through its `faults` tool.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { createFaultController } from '../fault-controller.js'
import { createFaultyServer } from '../faulty-server.js'
import { parseFaultyArgs } from './faulty-args.js'
import { exitOnStop } from './shutdown.js'

const args = parseFaultyArgs('stdio', process.argv.slice(2))
if (args.exitAtStartup) {
  process.stderr.write('faulty-stdio: exiting at start-up (--exit-at-startup)\n')
  process.exit(1)
}
const server = createFaultyServer(createFaultController(args.faults))
exitOnStop(server, process.stdin)
await server.connect(new StdioServerTransport())
