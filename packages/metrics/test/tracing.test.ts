// Issue 14's tracing acceptance, end to end: the SDK's real Client over
// Streamable HTTP into a gateway of the real packages (metrics, router,
// breaker's retry, m.attempts(), forward), three real upstreams — the
// fault-injecting server in process, a Streamable HTTP server on 127.0.0.1
// and a stdio child process — and an in-memory span exporter.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { retry } from '@mcpx/breaker'
import { createProxy } from '@mcpx/core'
import { router } from '@mcpx/router'
import { createFaultController, createFaultyServer, seededRandom } from '@mcpx/test-utils'
import { forward, inProcess, streamableHttp, upstream } from '@mcpx/transports'
import { type HttpServer, serveHttp } from '@mcpx/transports/node'
import { stdio } from '@mcpx/transports/stdio'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it } from 'vitest'
import { type MetricsOptions, metrics } from '../src/metrics.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const CLIENT_SPAN = '00f067aa0ba902b7'
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN}-01`
const STDIO_FIXTURE = fileURLToPath(new URL('./fixtures/meta-stdio.mjs', import.meta.url))

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

/** A seed whose first draw fails a call at errorRate 0.5 and whose second passes: one retry, exactly. */
function failOnceSeed(): number {
  for (let seed = 1; seed < 10_000; seed++) {
    const draw = seededRandom(seed)
    if (draw() < 0.5 && draw() >= 0.5) return seed
  }
  throw new Error('no seed')
}

/** A Streamable HTTP upstream (stateless, the SDK's McpServer) that keeps the headers of every POST. */
async function httpUpstream(): Promise<{ url: string; posts: IncomingHttpHeaders[] }> {
  const posts: IncomingHttpHeaders[] = []
  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end()
      return
    }
    posts.push(req.headers)
    const mcp = new McpServer({ name: 'web', version: '1.0.0' })
    mcp.registerTool('seen_http', {}, (extra) => ({
      content: [{ type: 'text', text: JSON.stringify(extra._meta ?? null) }],
    }))
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    res.on('close', () => {
      void transport.close()
      void mcp.close()
    })
    await mcp.connect(transport)
    await transport.handleRequest(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(() => new Promise((resolve) => server.close(resolve)))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, posts }
}

async function gateway(tracing: MetricsOptions['tracing']) {
  const controller = createFaultController({ errorRate: 0.5, seed: failOnceSeed() })
  const web = await httpUpstream()
  const m = metrics({ tracing, log: () => {} })
  const proxy = createProxy({
    terminal: forward([
      upstream('faulty', inProcess(createFaultyServer(controller)), { mode: 'shared' }),
      upstream('web', streamableHttp({ url: web.url }), { mode: 'shared', log: () => {} }),
      upstream('local', stdio({ command: process.execPath, args: [STDIO_FIXTURE] }), {
        mode: 'shared',
        log: () => {},
      }),
    ]),
  })
  proxy.use(
    m,
    router({
      upstreams: { faulty: {}, web: {}, local: {} },
      routes: [
        { tools: 'echo', to: 'faulty' },
        { tools: 'seen_http', to: 'web' },
        { tools: 'seen_stdio', to: 'local' },
      ],
      log: () => {},
    }),
    retry({ idempotentTools: ['echo'], backoff: { baseDelay: 1, maxDelay: 2 } }),
    m.attempts(),
  )
  const server: HttpServer = await serveHttp(proxy, { port: 0 })
  cleanup.push(
    () => proxy.close(),
    () => server.close(),
  )
  const connect = async (headers: Record<string, string> = {}) => {
    const client = new Client({ name: 'tracing-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers } }),
    )
    cleanup.push(() => client.close())
    return client
  }
  return { m, web, controller, connect }
}

function sdk(): { tracer: Tracer; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  cleanup.push(() => provider.shutdown())
  return { tracer: provider.getTracer('tracing-test'), exporter }
}

const textOf = (result: unknown) =>
  ((result as { content: { text: string }[] }).content[0] as { text: string }).text
const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name)

describe('tracing through a real gateway', () => {
  it('makes one SERVER span for a tools/call with one retry and a CLIENT child per attempt, the first ERROR, in the trace _meta named', async () => {
    const { tracer, exporter } = sdk()
    const g = await gateway({ tracer })
    const client = await g.connect()
    const result = await client.callTool({
      name: 'echo',
      arguments: { text: 'hi' },
      _meta: { traceparent: TRACEPARENT, tracestate: 'rojo=00f067aa0ba902b7' },
    })
    expect(textOf(result)).toBe('hi')
    expect(g.controller.stats()).toMatchObject({ received: 2, errors: 1 })

    const spans = exporter.getFinishedSpans()
    const [server, ...others] = byName(spans, 'tools/call echo').sort((a, b) => a.kind - b.kind)
    expect(others).toHaveLength(2)
    expect(server?.kind).toBe(SpanKind.SERVER)
    expect(server?.spanContext().traceId).toBe(TRACE_ID)
    expect(server?.parentSpanContext?.spanId).toBe(CLIENT_SPAN)
    expect(server?.status.code).toBe(SpanStatusCode.UNSET)
    expect(server?.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'mcp.protocol.version': expect.any(String),
      'mcp.session.id': expect.any(String),
      'jsonrpc.request.id': expect.any(String),
    })
    const attempts = others.sort(
      (a, b) => Number(a.attributes['mcpx.attempt']) - Number(b.attributes['mcpx.attempt']),
    )
    for (const attempt of attempts) {
      expect(attempt.kind).toBe(SpanKind.CLIENT)
      expect(attempt.spanContext().traceId).toBe(TRACE_ID)
      expect(attempt.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
      expect(attempt.attributes['mcpx.upstream']).toBe('faulty')
    }
    expect(attempts[0]?.status).toEqual({
      code: SpanStatusCode.ERROR,
      // What the client was answered: the gateway's word for it, not the upstream's text.
      message: 'Upstream "faulty" had an internal error',
    })
    expect(attempts[0]?.attributes).toMatchObject({
      'error.type': '-32603',
      'rpc.response.status_code': '-32603',
    })
    expect(attempts[1]?.status.code).toBe(SpanStatusCode.UNSET)
    expect(attempts[1]?.attributes['error.type']).toBeUndefined()
    // The tracestate the client sent rides along.
    expect(attempts[1]?.spanContext().traceState?.serialize()).toBe('rojo=00f067aa0ba902b7')

    const stats = g.m.getStats()
    // The router's tools/list at initialize went to each upstream: attempts, not retries.
    expect(stats.attempts).toBe(5)
    expect(stats.retries).toBe(1)
    expect(stats.upstreamAttempts.faulty).toMatchObject({ internal: 1, ok: 2 })
    expect(g.m.exposition()).toContain(
      'mcpx_upstream_attempts_total{upstream="faulty",outcome="internal"} 1\n',
    )
  })

  it('sends an HTTP upstream the trace of a client that sent it as an HTTP header, as a traceparent header and in _meta', async () => {
    const { tracer, exporter } = sdk()
    const g = await gateway({ tracer })
    const client = await g.connect({ traceparent: TRACEPARENT })
    const meta = JSON.parse(textOf(await client.callTool({ name: 'seen_http', arguments: {} })))
    const attempt = byName(exporter.getFinishedSpans(), 'tools/call seen_http').find(
      (s) => s.kind === SpanKind.CLIENT,
    )!
    const sent = `00-${TRACE_ID}-${attempt.spanContext().spanId}-01`
    const call = g.web.posts.at(-1)!
    expect(call.traceparent).toBe(sent)
    expect(meta.traceparent).toBe(sent)
    // Only the message's own POST carries it.
    expect(g.web.posts[0]?.traceparent).toBeUndefined()
  })

  it("sends a stdio upstream the trace in _meta, keeping the client's other _meta keys", async () => {
    const { tracer, exporter } = sdk()
    const g = await gateway({ tracer })
    const client = await g.connect()
    const params = {
      name: 'seen_stdio',
      arguments: {},
      _meta: { traceparent: TRACEPARENT, 'example.com/mine': 7 },
    }
    const meta = JSON.parse(textOf(await client.callTool(params)))
    const attempt = byName(exporter.getFinishedSpans(), 'tools/call seen_stdio').find(
      (s) => s.kind === SpanKind.CLIENT,
    )!
    expect(meta).toEqual({
      traceparent: `00-${TRACE_ID}-${attempt.spanContext().spanId}-01`,
      'example.com/mine': 7,
    })
    expect(attempt.spanContext().spanId).not.toBe(CLIENT_SPAN)
  })

  it("passes a client's trace context on unchanged when no SDK is registered", async () => {
    const g = await gateway(true)
    const client = await g.connect({ traceparent: TRACEPARENT, tracestate: 'rojo=1' })
    const meta = JSON.parse(textOf(await client.callTool({ name: 'seen_http', arguments: {} })))
    expect(meta).toEqual({ traceparent: TRACEPARENT, tracestate: 'rojo=1' })
    expect(g.web.posts.at(-1)).toMatchObject({ traceparent: TRACEPARENT, tracestate: 'rojo=1' })
    const local = await g.connect()
    const seen = JSON.parse(
      textOf(
        await local.callTool({
          name: 'seen_stdio',
          arguments: {},
          _meta: { traceparent: TRACEPARENT },
        }),
      ),
    )
    expect(seen).toEqual({ traceparent: TRACEPARENT })
  })

  it('sends no trace context when the client sent none and there is no SDK, and none at all with tracing off', async () => {
    for (const tracing of [true, false]) {
      const g = await gateway(tracing)
      const client = await g.connect({ traceparent: tracing ? 'not-a-traceparent' : TRACEPARENT })
      const meta = JSON.parse(textOf(await client.callTool({ name: 'seen_http', arguments: {} })))
      expect(meta).toBeNull()
      expect(g.web.posts.at(-1)?.traceparent).toBeUndefined()
      expect(g.m.getStats()).toMatchObject({ attempts: 4, retries: 0 })
    }
  })
})
