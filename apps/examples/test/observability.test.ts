import { eventually } from '@mcpx/test-utils'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it } from 'vitest'
import { start } from '../src/observability/gateway.js'
import { connect, runExample } from './helpers.js'

// Child processes and HTTP on a loaded machine: generous, and above runExample's own limit.
describe('observability', { timeout: 30_000 }, () => {
  let running: Awaited<ReturnType<typeof start>> | undefined
  afterEach(async () => {
    await running?.close()
    running = undefined
  })

  it('counts a tools/call in mcpx_requests_total on the /metrics scrape', async () => {
    running = await start({ exporter: new InMemorySpanExporter() })
    const client = await connect(running.url)
    await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })
    const scrape = await fetch(running.metricsUrl)
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(await scrape.text()).toContain(
      'mcpx_requests_total{method="tools/call",upstream="",tool="add",outcome="ok"} 1\n',
    )
    await client.close()
  })

  it('exports a SERVER span and a CLIENT span for a tools/call, in one trace', async () => {
    const exporter = new InMemorySpanExporter()
    running = await start({ exporter })
    const client = await connect(running.url)
    await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })
    const calls = () => exporter.getFinishedSpans().filter((span) => span.name === 'tools/call add')
    await eventually(() => calls().length === 2, 10_000)
    const spans = calls()
    expect(spans.map((span) => span.kind).sort()).toEqual([1, 2]) // SpanKind.SERVER, CLIENT
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1)
    await client.close()
  })

  it('the program prints the spans of its call and its scrape, then exits 0', async () => {
    const stdout = await runExample('observability')
    expect(stdout).toContain("name: 'tools/call add'")
    expect(stdout).toContain("'gen_ai.tool.name': 'add'")
    expect(stdout).toMatch(
      /^mcpx_requests_total\{method="tools\/call",.*tool="add",outcome="ok"\} 1$/m,
    )
  })
})
