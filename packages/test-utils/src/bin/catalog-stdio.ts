#!/usr/bin/env node
// A catalog upstream over stdio. stdout is the protocol.
//   catalog-stdio --config '<json>'   JSON of CatalogOptions, e.g. '{"name":"math","tools":["math_add"]}'
// Bad arguments or config: a message on stderr and exit code 2.
import { parseArgs } from 'node:util'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { type CatalogOptions, createCatalogServer, parseCatalogConfig } from '../catalog-server.js'

const USAGE = `usage: catalog-stdio [--config '<json of CatalogOptions>']`

let options: CatalogOptions
try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { config: { type: 'string', default: '{}' } },
  })
  options = parseCatalogConfig(values.config)
} catch (error) {
  process.stderr.write(`catalog-stdio: ${(error as Error).message}\n${USAGE}\n`)
  process.exit(2)
}

const server = createCatalogServer(options)
// The parent closing our stdin is the normal way a stdio server is told to stop.
process.stdin.on('end', () => void server.close().finally(() => process.exit(0)))
await server.connect(new StdioServerTransport())
