import {
  type Context,
  createProxy,
  type Middleware,
  targetKey,
  upstreamHeadersKey,
} from '@mcpx/core'
import { INVALID_SPAN_CONTEXT, type Tracer, trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { metrics } from './metrics.js'

const ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'

/** metrics(), a stand-in router, m.attempts(), an upstream that records what it was sent. */
function stack(m: ReturnType<typeof metrics>, seen: Context[] = []) {
  const upstream: Middleware = async (ctx) => {
    seen.push(ctx)
    ctx.result = { content: [] }
  }
  const router: Middleware = async (ctx, next) => {
    ctx.set(targetKey, { upstream: 'math', method: ctx.method, params: ctx.params })
    await next()
  }
  return createProxy({ strict: false, onError: () => {} }).use(m, router, m.attempts(), upstream)
}
const call = (traceparent: string) => ({
  jsonrpc: '2.0' as const,
  id: 1,
  method: 'tools/call',
  params: { name: 'add', _meta: { traceparent } },
})

describe('trace context from a client, passed on without an SDK', () => {
  it("passes a later version's context on as version 00 of its fields, never its tail", async () => {
    for (const tail of ['\u0000', '\n', 'a'.repeat(1_000_000)]) {
      const m = metrics({ log: () => {} }) // tracing on, no SDK registered
      const seen: Context[] = []
      const answer = (await stack(m, seen).handle(call(`01-${ID}-${SPAN}-01-${tail}`))) as {
        error?: unknown
      }
      expect(answer.error).toBeUndefined()
      expect(seen).toHaveLength(1)
      const sent = `00-${ID}-${SPAN}-01`
      expect(seen[0]!.get(upstreamHeadersKey)?.traceparent).toBe(sent)
      const target = seen[0]!.get(targetKey)!.params as { _meta: { traceparent: string } }
      expect(target._meta.traceparent).toBe(sent)
      const stats = m.getStats()
      const counted = Object.values(stats.upstreamAttempts)
        .flatMap((row) => Object.values(row))
        .reduce((a, b) => a + b, 0)
      expect(counted).toBe(stats.attempts)
    }
  })

  it("ends every span it starts when a tracer's spans carry no ids and the client's context goes on", async () => {
    const started: { ended: boolean }[] = []
    const noop = trace.getTracer('x')
    const tracer: Tracer = {
      startSpan() {
        // A tracer whose spans carry no ids: the client's context is what goes on.
        const span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
        const record = { ended: false }
        started.push(record)
        const end = span.end.bind(span)
        span.end = (time?: number) => {
          record.ended = true
          end(time)
        }
        return span
      },
      startActiveSpan: noop.startActiveSpan.bind(noop) as Tracer['startActiveSpan'],
    }
    const m = metrics({ log: () => {}, tracing: { tracer } })
    await stack(m).handle(call(`01-${ID}-${SPAN}-01-\u0001`))
    expect(started.length).toBe(2)
    expect(started.every((span) => span.ended)).toBe(true)
  })
})
