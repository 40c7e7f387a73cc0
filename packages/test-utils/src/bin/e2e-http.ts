#!/usr/bin/env node
// The end-to-end fixture over Streamable HTTP; prints "LISTENING <url>".
import { startConformanceHttpServer } from '../conformance-http.js'
import { createE2eServer } from '../e2e-server.js'

const portIndex = process.argv.indexOf('--port')
const port = portIndex === -1 ? 0 : Number(process.argv[portIndex + 1])
const server = await startConformanceHttpServer({ port, server: createE2eServer, resumable: false })
process.stdout.write(`LISTENING ${server.url}\n`)
const stop = () => void server.close().finally(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
