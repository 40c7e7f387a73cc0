// OpenTelemetry spans of metrics(): one SERVER span per message and one
// CLIENT span per upstream attempt, named and attributed per the MCP
// semantic conventions (https://opentelemetry.io/docs/specs/semconv/gen-ai/mcp/,
// status Development), with W3C trace context read from the client
// (`params._meta`, SEP-414, else its HTTP `traceparent`) and written to each
// upstream attempt. The api's propagator is not used: it is a no-op until an
// SDK registers one, and a proxy must pass a client's context on even then.

import { type Context, McpxError, type Target } from '@mcpx/core'
import {
  createTraceState,
  type Context as OtelContext,
  context as otelContext,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { checkTracestate, formatTraceparent, parseTraceparent } from './traceparent.js'
import { capped, withoutUserinfo } from './uri.js'

/** The methods whose spans carry `mcp.resource.uri` (OTel MCP semconv: conditionally required). */
const RESOURCE_METHODS: ReadonlySet<string> = new Set([
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'notifications/resources/updated',
])

const TRACER_NAME = '@mcpx/metrics'

/** What the top middleware keeps for the attempts below it, one per message (copied into forks). */
export interface MessageTrace {
  /** Attempts made so far. */
  attempts: number
  /** The targets attempted so far (one more attempt of one of them is a retry). */
  readonly targets: Target[]
  /** The tracer of the message's spans, when there is one. */
  readonly tracer: Tracer | undefined
  /** The SERVER span, when a tracer made one. */
  readonly span: Span | undefined
  /** The parent context of the attempts' CLIENT spans. */
  readonly parent: OtelContext | undefined
  /** The client's own trace context, passed on as it is when no span is made. */
  readonly traceparent: string | undefined
  readonly tracestate: string | undefined
}

/** How a message ended, for its span. */
export interface Ending {
  /** A JSON-RPC error code, or undefined. */
  readonly code: number | undefined
  readonly message: string | undefined
  readonly toolError: boolean
}

/** The tracer to use now: the explicit one, else the registered SDK's (cached once found), else none. */
export function tracerSource(explicit: Tracer | undefined): () => Tracer | undefined {
  if (explicit !== undefined) return () => explicit
  let found: Tracer | undefined
  return () => {
    if (found !== undefined) return found
    const provider = trace.getTracerProvider()
    // ~5 ns and undefined until an SDK is registered (public API of the api's proxy provider).
    found =
      provider instanceof ProxyTracerProvider
        ? provider.getDelegateTracer(TRACER_NAME)
        : provider.getTracer(TRACER_NAME)
    return found
  }
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  // Two traceparent headers: invalid (W3C §3.2.1: a receiver must treat it as absent).
  return undefined
}

/** The client's trace context: `params._meta` wins over the HTTP headers (SEP-414). */
export function incomingOf(
  ctx: Context,
): { traceparent: string; tracestate: string | undefined } | undefined {
  const meta = (ctx.params as { _meta?: unknown } | undefined)?._meta as
    | { traceparent?: unknown; tracestate?: unknown }
    | undefined
  // What goes on is the parsed fields as version 00, never the client's text: a later
  // version's tail is not ours to pass (it may hold what a header cannot carry, or a megabyte).
  const fromMeta =
    typeof meta === 'object' && meta !== null ? parseTraceparent(meta.traceparent) : undefined
  if (fromMeta !== undefined) {
    return {
      traceparent: formatTraceparent(fromMeta),
      tracestate: checkTracestate(meta?.tracestate),
    }
  }
  const headers = ctx.session.headers
  if (headers === undefined) return undefined
  const parsed = parseTraceparent(stringOf(headers.traceparent))
  if (parsed === undefined) return undefined
  const state = headers.tracestate
  // Several tracestate headers are one list (W3C §3.3.1.1, RFC 9110 §5.3).
  return {
    traceparent: formatTraceparent(parsed),
    tracestate: checkTracestate(Array.isArray(state) ? state.join(',') : state),
  }
}

/** The name of a span per the semconv: `{mcp.method.name} {target}`, the target a tool or prompt name. */
export function targetName(method: string, params: unknown): string | undefined {
  if (method !== 'tools/call' && method !== 'prompts/get') return undefined
  const name = (params as { name?: unknown } | undefined)?.name
  return typeof name === 'string' && name !== '' ? name : undefined
}

function transportAttributes(transport: string, attributes: Record<string, string>): void {
  switch (transport) {
    case 'stdio':
      attributes['network.transport'] = 'pipe'
      return
    case 'streamable-http':
    case 'sse':
      attributes['network.transport'] = 'tcp'
      attributes['network.protocol.name'] = 'http'
      return
    case 'websocket':
      attributes['network.transport'] = 'tcp'
      attributes['network.protocol.name'] = 'websocket'
  }
}

function nameAttributes(
  method: string,
  target: string | undefined,
  attributes: Record<string, string>,
) {
  attributes['mcp.method.name'] = capped(method)
  if (target === undefined) return
  if (method === 'tools/call') {
    attributes['gen_ai.tool.name'] = capped(target)
    attributes['gen_ai.operation.name'] = 'execute_tool'
  } else {
    attributes['gen_ai.prompt.name'] = capped(target)
  }
}

/**
 * Start the SERVER span of a message (with a tracer), parented on the
 * client's context, else the active one; `propagate`: read the client's
 * context for the attempts below.
 */
export function startMessage(
  tracer: Tracer | undefined,
  ctx: Context,
  propagate: boolean,
): MessageTrace {
  const incoming = propagate ? incomingOf(ctx) : undefined
  if (tracer === undefined) {
    return {
      attempts: 0,
      targets: [],
      tracer: undefined,
      span: undefined,
      parent: undefined,
      traceparent: incoming?.traceparent,
      tracestate: incoming?.tracestate,
    }
  }
  let base = otelContext.active()
  if (incoming !== undefined) {
    const parent = parseTraceparent(incoming.traceparent)!
    const remote: SpanContext = {
      traceId: parent.traceId,
      spanId: parent.spanId,
      traceFlags: parent.flags,
      isRemote: true,
      traceState:
        incoming.tracestate === undefined ? undefined : createTraceState(incoming.tracestate),
    }
    base = trace.setSpanContext(ROOT_CONTEXT, remote)
  }
  const target = targetName(ctx.method, ctx.params)
  const attributes: Record<string, string> = {}
  nameAttributes(ctx.method, target, attributes)
  const uri = (ctx.params as { uri?: unknown } | undefined)?.uri
  if (RESOURCE_METHODS.has(ctx.method) && typeof uri === 'string') {
    attributes['mcp.resource.uri'] = capped(withoutUserinfo(uri))
  }
  if (ctx.id !== undefined && ctx.id !== null) attributes['jsonrpc.request.id'] = String(ctx.id)
  const session = ctx.session
  if (session.id !== undefined) attributes['mcp.session.id'] = session.id
  if (session.protocolVersion !== undefined) {
    attributes['mcp.protocol.version'] = session.protocolVersion
  }
  transportAttributes(session.transport, attributes)
  // The client chose these strings: bounded, so a megabyte name is no megabyte span.
  const span = tracer.startSpan(
    capped(target === undefined ? ctx.method : `${ctx.method} ${target}`),
    { kind: SpanKind.SERVER, attributes },
    base,
  )
  return {
    attempts: 0,
    targets: [],
    tracer,
    span,
    parent: trace.setSpan(base, span),
    traceparent: incoming?.traceparent,
    tracestate: incoming?.tracestate,
  }
}

/** How `ctx` ended (or what `thrown` tells the client), for a span. */
export function endingOf(ctx: Context, thrown: unknown, threw: boolean): Ending {
  if (threw) {
    if (McpxError.is(thrown))
      return { code: thrown.code, message: thrown.message, toolError: false }
    // What core's error boundary answers for anything else.
    return { code: -32603, message: 'Internal error', toolError: false }
  }
  const error = ctx.error
  if (error !== undefined) return { code: error.code, message: error.message, toolError: false }
  const result = ctx.result as { isError?: unknown } | undefined
  return { code: undefined, message: undefined, toolError: result?.isError === true }
}

/** Set the outcome on a span (semconv: status ERROR iff error.type is set, described by the JSON-RPC message) and end it. */
export function endSpan(span: Span, ending: Ending): void {
  if (ending.code !== undefined) {
    const code = String(ending.code)
    span.setAttribute('error.type', code)
    span.setAttribute('rpc.response.status_code', code)
    span.setStatus({ code: SpanStatusCode.ERROR, message: ending.message })
  } else if (ending.toolError) {
    span.setAttribute('error.type', 'tool_error')
    span.setStatus({ code: SpanStatusCode.ERROR })
  }
  span.end()
}

/** The CLIENT span of one upstream attempt, a child of the message's SERVER span. */
export function startAttempt(
  tracer: Tracer,
  parent: OtelContext,
  method: string,
  params: unknown,
  upstream: string | undefined,
  attempt: number,
): Span {
  const target = targetName(method, params)
  const attributes: Record<string, string | number> = {}
  nameAttributes(method, target, attributes as Record<string, string>)
  const uri = (params as { uri?: unknown } | undefined)?.uri
  if (RESOURCE_METHODS.has(method) && typeof uri === 'string') {
    attributes['mcp.resource.uri'] = capped(withoutUserinfo(uri))
  }
  if (upstream !== undefined) attributes['mcpx.upstream'] = upstream
  attributes['mcpx.attempt'] = attempt
  return tracer.startSpan(
    capped(target === undefined ? method : `${method} ${target}`),
    { kind: SpanKind.CLIENT, attributes },
    parent,
  )
}

/** The `traceparent` and `tracestate` an attempt sends: its own span's, else the client's as they came. */
export function outgoingOf(
  span: Span | undefined,
  message: MessageTrace,
): { traceparent: string; tracestate: string | undefined } | undefined {
  if (span !== undefined) {
    const sc = span.spanContext()
    const traceparent = formatTraceparent({
      traceId: sc.traceId,
      spanId: sc.spanId,
      flags: sc.traceFlags,
    })
    // A no-op tracer's span has all-zero ids: nothing of ours to send, so the client's goes on.
    if (parseTraceparent(traceparent) !== undefined) {
      return { traceparent, tracestate: checkTracestate(sc.traceState?.serialize()) }
    }
  }
  if (message.traceparent === undefined) return undefined
  return { traceparent: message.traceparent, tracestate: message.tracestate }
}
