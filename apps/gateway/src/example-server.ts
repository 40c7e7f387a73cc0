// The example upstreams bundled with the gateway, so that `npm start` has
// something real to proxy: small MCP servers over stdio.
//   example-server [--flavour math|data]   (default: math)
import { parseArgs } from 'node:util'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { createDataServer } from './examples/data.js'
import { createMathServer } from './examples/math.js'

const FLAVOURS = { math: createMathServer, data: createDataServer }

let flavour: string
try {
  flavour = parseArgs({ options: { flavour: { type: 'string', default: 'math' } } }).values.flavour
  if (!Object.hasOwn(FLAVOURS, flavour)) throw new Error(`unknown flavour "${flavour}"`)
} catch (error) {
  process.stderr.write(`example-server: ${(error as Error).message}\n`)
  process.stderr.write('usage: example-server [--flavour math|data]\n')
  process.exit(2)
}

const server = FLAVOURS[flavour as keyof typeof FLAVOURS]()
// The parent closing our stdin is how a stdio server is told to stop.
process.stdin.on('end', () => void server.close().finally(() => process.exit(0)))
await server.connect(new StdioServerTransport())
