#!/usr/bin/env node
// Serves the conformance fixture over stdio. Diagnostics go to stderr; stdout is the protocol.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { createConformanceServer } from '../conformance-server.js'
import { parseFixtureArgs } from './args.js'
import { exitOnStop } from './shutdown.js'

const args = parseFixtureArgs(process.argv.slice(2))
const server = createConformanceServer({ serverRequests: args.serverRequests })
const transport = new StdioServerTransport()
exitOnStop(server, process.stdin)
await server.connect(transport)
