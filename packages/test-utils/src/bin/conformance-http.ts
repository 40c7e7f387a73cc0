#!/usr/bin/env node
// Serves the conformance fixture over Streamable HTTP on 127.0.0.1 and prints
// `LISTENING <url>` on stdout once it accepts connections.
import { startConformanceHttpServer } from '../conformance-http.js'
import { parseFixtureArgs } from './args.js'
import { exitOnStop } from './shutdown.js'

const args = parseFixtureArgs(process.argv.slice(2))
const server = await startConformanceHttpServer(args)
process.stdout.write(`LISTENING ${server.url}\n`)
exitOnStop(server)
