import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProxy } from '@mcpx/core'
import { metrics } from '@mcpx/metrics'
import { metricsHandler } from '@mcpx/metrics/node'
import { forward, inProcess, upstream } from '@mcpx/transports'
import { createStreamableHttpHandler } from '@mcpx/transports/node'
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'
import { createMathServer } from '../servers/math.js'

/** Options for {@link start}. */
export interface StartOptions {
  /** @defaultValue 0 (a free port) */
  port?: number
  /** Where spans go. @defaultValue a `ConsoleSpanExporter` (stdout) */
  exporter?: SpanExporter
}

/**
 * The math example behind a proxy that counts and traces every message: MCP
 * at `${origin}/mcp`, the Prometheus scrape at `${origin}/metrics`, one
 * SERVER span per message and one CLIENT span per upstream attempt.
 */
export async function start({ port = 0, exporter = new ConsoleSpanExporter() }: StartOptions = {}) {
  // Your exporter here (OTLPTraceExporter, …). Simple, not Batch: each span is
  // exported as it ends, so the demo prints it at once.
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const m = metrics({ tracing: { tracer: provider.getTracer('mcpx-example') } })

  const math = upstream('math', inProcess(createMathServer()))
  const proxy = createProxy({ terminal: forward(math) })
  proxy.use(m, m.attempts()) // metrics first: it times everything below it

  const mcp = createStreamableHttpHandler(proxy, { path: '/mcp' })
  const scrape = metricsHandler(m)
  const server = createServer((req, res) =>
    mcp(req, res, () => (req.url === '/metrics' ? scrape(req, res) : res.writeHead(404).end())),
  )
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: new URL('/mcp', origin),
    metricsUrl: new URL('/metrics', origin),
    async close() {
      await mcp.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await proxy.close()
      await provider.shutdown()
    },
  }
}
