#!/usr/bin/env node
// The end-to-end fixture over stdio. stdout is the protocol.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { createE2eServer } from '../e2e-server.js'

const server = createE2eServer()
process.stdin.on('end', () => process.exit(0))
await server.connect(new StdioServerTransport())
