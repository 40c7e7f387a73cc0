#!/usr/bin/env node
// The fault-injecting fixture over Streamable HTTP on 127.0.0.1, one server per session, all
// sessions sharing one set of faults and counters; prints "LISTENING <url>" once it accepts
// connections. Faults from the flags or MCPX_FAULTS (faulty-http --help).
import { CallToolRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { startConformanceHttpServer } from '../conformance-http.js'
import { createFaultController } from '../fault-controller.js'
import { createFaultyServer } from '../faulty-server.js'
import { parseFaultyArgs } from './faulty-args.js'
import { exitOnStop } from './shutdown.js'

const args = parseFaultyArgs('http', process.argv.slice(2))
if (args.exitAtStartup) {
  process.stderr.write('faulty-http: exiting at start-up (--exit-at-startup)\n')
  process.exit(1)
}
const faults = createFaultController(args.faults)
const CONTROL_TOOLS = new Set(['faults', 'stats'])

/** A single `tools/call` of a faulted tool; `faults` and `stats` always get through. */
function isFaultedCall(body: unknown): boolean {
  const call = CallToolRequestSchema.safeParse(body)
  return call.success && !CONTROL_TOOLS.has(call.data.params.name)
}

const server = await startConformanceHttpServer({
  port: args.port,
  server: () => createFaultyServer(faults),
  resumable: false,
  failPost: (body) => isFaultedCall(body) && faults.httpError(),
})
process.stdout.write(`LISTENING ${server.url}\n`)
exitOnStop(server)
