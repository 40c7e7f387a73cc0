import { createProxy, type Middleware } from '@mcpx/core'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import type { AccessLogEntry } from './access-entry.js'
import { accessLog } from './access-log.js'
import { metrics } from './metrics.js'
import { capped, withoutUserinfo } from './uri.js'

const answer: Middleware = async (ctx) => {
  ctx.result = { contents: [] }
}

describe('withoutUserinfo', () => {
  it.each([
    ['postgres://admin:hunter2@db/prod?sslkey=x', 'postgres://db/prod?sslkey=x'],
    ['https://user@example.com', 'https://example.com'],
    ['file:///etc/hosts', 'file:///etc/hosts'],
    ['docs://guide@v2', 'docs://v2'],
    ['https://example.com/a@b', 'https://example.com/a@b'],
    ['urn:isbn:123', 'urn:isbn:123'],
  ])('%s → %s', (uri, shown) => {
    expect(withoutUserinfo(uri)).toBe(shown)
  })
})

describe('client-chosen strings in logs and spans', () => {
  it('logs a resource URI without its credentials', async () => {
    const lines: AccessLogEntry[] = []
    const proxy = createProxy({ strict: false }).use(
      accessLog({ log: (e) => lines.push(e) }),
      answer,
    )
    await proxy.handle({
      jsonrpc: '2.0',
      id: 1,
      method: 'resources/read',
      params: { uri: 'postgres://admin:hunter2@db/prod' },
    })
    expect(lines[0]?.uri).toBe('postgres://db/prod')
  })

  it('gives a resources/read span mcp.resource.uri (no credentials), and bounds names', async () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    })
    const m = metrics({ log: () => {}, tracing: { tracer: provider.getTracer('t') } })
    const proxy = createProxy({ strict: false }).use(m, answer)
    await proxy.handle({
      jsonrpc: '2.0',
      id: 1,
      method: 'resources/read',
      params: { uri: 'postgres://admin:hunter2@db/prod' },
    })
    await proxy.handle({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'x'.repeat(1_000_000) },
    })
    const [read, call] = exporter.getFinishedSpans()
    expect(read?.attributes['mcp.resource.uri']).toBe('postgres://db/prod')
    expect(call?.name.length).toBeLessThanOrEqual(256)
    expect(String(call?.attributes['gen_ai.tool.name']).length).toBe(256)
    expect(capped('abc', 2)).toBe('ab')
  })
})
