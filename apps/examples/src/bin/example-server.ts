#!/usr/bin/env node
// One example upstream over stdio (stdout is the protocol):
//   mcpx-example-server [--flavour math|data|admin]   (default: math)
import { parseArgs } from 'node:util'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { ExampleFlavour } from '../server-path.js'
import { createAdminServer } from '../servers/admin.js'
import { createDataServer } from '../servers/data.js'
import { createMathServer } from '../servers/math.js'

const FLAVOURS: Record<ExampleFlavour, () => McpServer> = {
  math: createMathServer,
  data: createDataServer,
  admin: createAdminServer,
}
const USAGE = `usage: mcpx-example-server [--flavour ${Object.keys(FLAVOURS).join('|')}]`

let flavour: string
try {
  flavour = parseArgs({ options: { flavour: { type: 'string', default: 'math' } } }).values.flavour
  if (!Object.hasOwn(FLAVOURS, flavour)) throw new Error(`unknown flavour "${flavour}"`)
} catch (error) {
  process.stderr.write(`mcpx-example-server: ${(error as Error).message}\n${USAGE}\n`)
  process.exit(2)
}

const server = FLAVOURS[flavour as ExampleFlavour]()
// The parent closing our stdin is how a stdio server is told to stop.
process.stdin.on('end', () => void server.close().finally(() => process.exit(0)))
await server.connect(new StdioServerTransport())
