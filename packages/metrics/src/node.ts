// @mcpx/metrics/node: the /metrics endpoint for a node:http server.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { prometheusContentType } from './exposition.js'

/** What the handler serves: a registry, or the `metrics()` middleware itself. */
export interface ExpositionSource {
  exposition(): string
}

/**
 * A `node:http` handler that answers a Prometheus scrape with `source`'s
 * exposition: GET and HEAD (405 with `Allow` otherwise), never cached. It
 * does not look at the path: mount it where the scraper looks (`/metrics`).
 * A failure to write the exposition is a 500 with no detail, logged.
 *
 * @example
 * ```ts
 * const m = metrics()
 * const serveMetrics = metricsHandler(m)
 * createServer((req, res) => {
 *   if (req.url === '/metrics') return serveMetrics(req, res)
 *   res.writeHead(404).end()
 * }).listen(9464, '127.0.0.1')
 * ```
 */
export function metricsHandler(
  source: ExpositionSource,
  log: (line: string) => void = (line) => console.error(`[@mcpx/metrics] ${line}`),
): (req: IncomingMessage, res: ServerResponse) => void {
  if (typeof source?.exposition !== 'function') {
    throw new TypeError('[@mcpx/metrics] metricsHandler() takes a registry or metrics()')
  }
  if (typeof log !== 'function') throw new TypeError('[@mcpx/metrics] log must be a function')
  return function metricsHandler(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': '0' }).end()
      return
    }
    let body: string
    try {
      body = source.exposition()
    } catch (error) {
      log(`the exposition failed: ${error instanceof Error ? error.message : 'unknown error'}`)
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal error\n')
      return
    }
    res.writeHead(200, {
      'content-type': prometheusContentType,
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}
