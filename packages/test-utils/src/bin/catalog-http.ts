#!/usr/bin/env node
// A catalog upstream over Streamable HTTP on 127.0.0.1; prints "LISTENING <url>" once it
// accepts connections. One server per session: tools added by add_tool stay in their session.
//   catalog-http [--port <n>] [--config '<json>']   port 0 (default) picks a free one;
//                                                   JSON of CatalogOptions
// Bad arguments or config: a message on stderr and exit code 2.
import { parseArgs } from 'node:util'
import { type CatalogOptions, createCatalogServer, parseCatalogConfig } from '../catalog-server.js'
import { startConformanceHttpServer } from '../conformance-http.js'

const USAGE = `usage: catalog-http [--port <n>] [--config '<json of CatalogOptions>']`

let options: CatalogOptions
let port: number
try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { port: { type: 'string', default: '0' }, config: { type: 'string', default: '{}' } },
  })
  port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`invalid --port: ${values.port}`)
  options = parseCatalogConfig(values.config)
} catch (error) {
  process.stderr.write(`catalog-http: ${(error as Error).message}\n${USAGE}\n`)
  process.exit(2)
}

const server = await startConformanceHttpServer({
  port,
  server: () => createCatalogServer(options),
  resumable: false,
})
process.stdout.write(`LISTENING ${server.url}\n`)
const stop = () => void server.close().finally(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
