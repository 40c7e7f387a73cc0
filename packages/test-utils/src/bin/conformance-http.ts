#!/usr/bin/env node
// Serves the conformance fixture over Streamable HTTP on 127.0.0.1 and prints
// `LISTENING <url>` on stdout once it accepts connections.
import { startConformanceHttpServer } from '../conformance-http.js'
import { parseFixtureArgs } from './args.js'

const args = parseFixtureArgs(process.argv.slice(2))
const server = await startConformanceHttpServer(args)
process.stdout.write(`LISTENING ${server.url}\n`)

let closing = false
const shutdown = () => {
  if (closing) return
  closing = true
  const timer = setTimeout(() => process.exit(1), 5000)
  timer.unref()
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
