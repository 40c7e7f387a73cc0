import {
  type Context,
  cacheStatusKey,
  createKey,
  type Key,
  type Middleware,
  type Next,
  principalKey,
  type StatsRegistry,
  sourceKey,
  targetKey,
  toolKey,
} from '@mcpx/core'
import type { Tracer } from '@opentelemetry/api'
import { AttemptCells } from './attempt-cells.js'
import { attemptsMiddleware } from './attempts.js'
import { boundsOf, bucketOf } from './buckets.js'
import { mcpMethods } from './mcp-methods.js'
import {
  CACHE_HIT,
  NOT_FOUND,
  OK,
  outcomeOfCode,
  outcomeOfThrown,
  outcomes,
  TOOL_ERROR,
} from './outcomes.js'
import { createMetricsRegistry, internalsOf, type MetricsRegistry } from './registry.js'
import { RequestCells } from './request-cells.js'
import { requestBlocks } from './request-families.js'
import { type MetricsStats, sumCells } from './stats.js'
import { sourceStats, statsBlock } from './stats-sources.js'
import { endingOf, endSpan, type MessageTrace, startMessage, tracerSource } from './tracing.js'
import { fail, fn, integer, options as known, line } from './validate.js'

/** Options of {@link metrics}. */
export interface MetricsOptions {
  /** Where its families live, beside the user's own. @defaultValue a new `createMetricsRegistry()` */
  readonly registry?: MetricsRegistry
  /**
   * Core's stats registry of the proxy: each source (pools, breakers,
   * bulkheads, caches, pins) is exposed as `mcpx_<kind>_<stat>{name}` and
   * read into `getStats().sources`. @defaultValue none
   */
  readonly statsRegistry?: StatsRegistry
  /** Upstream names with a label value of their own; later ones are `other`. @defaultValue 100 */
  readonly maxUpstreams?: number
  /**
   * Tool names with a label value of their own; later ones are `other`. A
   * name takes one when the router's catalog knows it (core's `toolKey`),
   * or when a call of it succeeded: a made-up name (refused, rate limited,
   * or answered by the upstream with an error) never takes one.
   * @defaultValue 100
   */
  readonly maxTools?: number
  /** Clients with a label value of their own in `mcpx_client_requests_total`; later ones are `other`. 0: no client family. @defaultValue 100 */
  readonly maxClients?: number
  /** Methods beyond the MCP specification's that get a label value of their own (the rest are `other`). @defaultValue none */
  readonly methods?: readonly string[]
  /** Upper bounds of the duration histogram, in seconds. @defaultValue `defaultDurationBuckets` (25 µs … 300 s) */
  readonly buckets?: readonly number[]
  /**
   * Who the client of a message is, read once it was answered.
   * @defaultValue the principal's `clientId`, else its `subject` (core's `principalKey`); '' without one
   */
  readonly client?: (ctx: Context) => string | undefined
  /**
   * The key a response cache below sets on a message it answered; `hit`
   * and `stale` count as the outcome `cache_hit`. Another only for a cache
   * of your own that sets its own key.
   * @defaultValue core's `cacheStatusKey` (which `@mcpx/transformers`' `cache()` sets)
   */
  readonly cacheStatusKey?: Key<string>
  /**
   * OpenTelemetry spans (the MCP semantic conventions): a SERVER span per
   * message and, through {@link Metrics.attempts}, a CLIENT span per
   * upstream attempt, with W3C trace context taken from the client and sent
   * to each upstream. `true`: spans when an OTel SDK is registered globally
   * (`trace.setGlobalTracerProvider`), found by a ~5 ns check per message
   * until one is; without one, the attempts still pass a client's trace
   * context on unchanged. `{ tracer }`: that tracer's spans. `false`: no
   * spans and no propagation work (a client's `_meta` still reaches the
   * upstream as any `_meta` does).
   * @defaultValue true
   */
  readonly tracing?: boolean | { readonly tracer: Tracer }
  /** Receives a line when a stats source fails to read or the `client` option throws. @defaultValue console.warn */
  readonly log?: (line: string) => void
}

/** The `metrics()` middleware, its numbers and its exposition. */
export interface Metrics extends Middleware {
  /** The registry its families are in: register your own counters and histograms there. */
  readonly registry: MetricsRegistry
  /** Counts, outcomes and latency since the start or the last reset, in total and per method, upstream, tool and client. */
  getStats(): MetricsStats
  /** Start counting afresh: drops every label set and label value it holds (the stats sources are not its own). */
  reset(): void
  /** `registry.exposition()`: the Prometheus text. */
  exposition(): string
  /**
   * The middleware of each upstream attempt, to place just above
   * `forward()`, below the retry and failover layers: it counts every
   * attempt (`mcpx_upstream_attempts_total{upstream, outcome}`, and
   * `getStats().attempts` and `retries`), makes its CLIENT span and sends
   * its trace context to the upstream, in the params' `_meta` and as an
   * HTTP `traceparent` header (core's `upstreamHeadersKey`). The same
   * middleware on every call.
   *
   * @example
   * ```ts
   * const m = metrics()
   * proxy.use(m, router({ upstreams }), retry({ idempotentTools: ['search'] }), m.attempts())
   * ```
   */
  attempts(): Middleware
}

const KEYS = [
  'registry',
  'statsRegistry',
  'maxUpstreams',
  'maxTools',
  'maxClients',
  'methods',
  'buckets',
  'client',
  'cacheStatusKey',
  'tracing',
  'log',
]

const warn = (text: string) => console.warn(`[@mcpx/metrics] ${text}`)

/** The client a principal is: its OAuth client id, else its subject. */
function principalClient(ctx: Context): string {
  const principal = ctx.get(principalKey)
  return principal === undefined ? '' : (principal.clientId ?? principal.subject)
}

/** A tools/call's tool name, or '' (not a tools/call, or no name). */
function toolOf(ctx: Context): string {
  if (ctx.method !== 'tools/call') return ''
  const name = (ctx.params as { name?: unknown } | undefined)?.name
  return typeof name === 'string' ? name : ''
}

/** The tracing option: undefined (off), or where the tracer comes from. */
function tracingOf(value: unknown): (() => Tracer | undefined) | undefined {
  if (value === false) return undefined
  if (value === undefined || value === true) return tracerSource(undefined)
  const tracer = (value as { tracer?: { startSpan?: unknown } } | null)?.tracer
  if (typeof tracer?.startSpan !== 'function') {
    fail('tracing', 'a boolean or { tracer } with an OpenTelemetry Tracer')
  }
  return tracerSource(tracer as Tracer)
}

function methodsOf(extra: unknown): Set<string> {
  if (extra === undefined) return new Set(mcpMethods)
  if (!Array.isArray(extra)) fail('methods', 'an array of method names')
  return new Set([...mcpMethods, ...extra.map((method, i) => line(`methods[${i}]`, method, 128))])
}

/**
 * Count and time every message: `mcpx_requests_total{method, upstream,
 * tool, outcome}`, the `mcpx_request_duration_seconds` histogram, per
 * client `mcpx_client_requests_total`, in-flight, and the proxy's stats
 * sources, exposed for Prometheus and summed by `getStats()`. Every label
 * is bounded (see the options), so hostile names cannot grow the series.
 * Put it first in the stack: it times everything below it, and sees the
 * upstream (core's `targetKey`), the principal and the outcome after them.
 *
 * @example
 * ```ts
 * const stats = createStatsRegistry()
 * const m = metrics({ statsRegistry: stats })
 * // Spans once an OTel SDK is registered; m.attempts() once per upstream attempt, above forward().
 * proxy.use(m, router({ upstreams }), breaker({ statsRegistry: stats }), m.attempts())
 * createServer((req, res) => (req.url === '/metrics' ? metricsHandler(m)(req, res) : res.end()))
 * m.getStats().tools.search?.latency.p99Ms
 * ```
 */
export function metrics(options: MetricsOptions = {}): Metrics {
  const o = known('', options, KEYS, 'metrics() options')
  const registry = o.registry ?? createMetricsRegistry()
  const inner = internalsOf('registry', registry)
  const statsRegistry = o.statsRegistry
  if (statsRegistry !== undefined && typeof statsRegistry?.sources !== 'function') {
    fail('statsRegistry', "core's createStatsRegistry()")
  }
  const maxClients = integer('maxClients', o.maxClients, 100, 0)
  const limits = {
    methods: methodsOf(o.methods),
    maxUpstreams: integer('maxUpstreams', o.maxUpstreams, 100, 1),
    maxTools: integer('maxTools', o.maxTools, 100, 1),
    maxClients,
  }
  const bounds = boundsOf('buckets', o.buckets)
  const boundsMs = bounds.values.map((seconds) => seconds * 1000)
  const clientOf = o.client === undefined ? undefined : fn('client', o.client, principalClient)
  const cacheKey = o.cacheStatusKey ?? cacheStatusKey
  if (typeof cacheKey?.name !== 'string') {
    fail('cacheStatusKey', "a key made by core's createKey()")
  }
  const log = fn('log', o.log, warn)
  const tracerOf = tracingOf(o.tracing)
  // Per instance: the attempts of one metrics() read only its own messages.
  const traceKey = createKey<MessageTrace>('mcpx.metrics.trace')
  const attemptCells = new AttemptCells(inner, limits.maxUpstreams)
  let attemptsMw: Middleware | undefined

  // The clock: the performance object as it is now, captured (a global lookup is a getter in
  // Node, ~8 ns a read); fake timers installed before the factory runs still drive it.
  const clock = globalThis.performance
  const cells = new RequestCells(inner, limits, bounds)
  let inFlight = 0
  let startedAt = Date.now()
  let clientFailed = false
  for (const block of requestBlocks(cells, bounds, maxClients > 0, () => inFlight)) {
    inner.add(block)
  }
  if (statsRegistry !== undefined) inner.add(statsBlock(statsRegistry, log))

  /** The outcome of a message that threw nothing through here. */
  function outcomeOf(ctx: Context): number {
    const error = ctx.error
    if (error !== undefined) return outcomeOfCode(error.code)
    const status = ctx.get(cacheKey)
    if (status === 'hit' || status === 'stale') return CACHE_HIT
    const result = ctx.result as { isError?: unknown } | undefined
    if (result === undefined) return ctx.kind === 'request' ? NOT_FOUND : OK
    return result.isError === true ? TOOL_ERROR : OK
  }

  function clientIdOf(ctx: Context): string {
    if (clientOf === undefined) return principalClient(ctx)
    try {
      const id = clientOf(ctx)
      return typeof id === 'string' ? id : ''
    } catch (error) {
      if (!clientFailed) {
        clientFailed = true
        log(
          `the client option threw (${error instanceof Error ? error.message : 'unknown error'}); such messages count without a client`,
        )
      }
      return ''
    }
  }

  function record(ctx: Context, tool: string, thrown: number, ms: number): void {
    const slot = thrown >= 0 ? thrown : outcomeOf(ctx)
    const upstream =
      ctx.get(targetKey)?.upstream ??
      (ctx.direction === 'toClient' ? ctx.get(sourceKey) : undefined) ??
      ''
    const bucket = bucketOf(boundsMs, ms)
    // A tool in the router's catalog (core's toolKey) is a real one, whatever its outcome.
    const known = tool !== '' && ctx.get(toolKey) !== undefined
    cells.cell(ctx.method, upstream, tool, slot, known).add(slot, bucket, ms)
    if (maxClients > 0) cells.client(clientIdOf(ctx)).add(slot, bucket, ms)
  }

  /** The message's trace record, for the attempts below (none when nothing below reads it). */
  function begin(ctx: Context): MessageTrace | undefined {
    const tracer = tracerOf === undefined ? undefined : tracerOf()
    if (tracer === undefined && attemptsMw === undefined) return undefined
    const trace = startMessage(tracer, ctx, tracerOf !== undefined)
    ctx.set(traceKey, trace)
    return trace
  }

  const middleware = async function metrics(ctx: Context, next: Next): Promise<void> {
    const start = clock.now()
    const tool = toolOf(ctx)
    const trace = begin(ctx)
    inFlight++
    try {
      await next()
    } catch (error) {
      inFlight--
      record(ctx, tool, outcomeOfThrown(error), clock.now() - start)
      if (trace?.span !== undefined) endSpan(trace.span, endingOf(ctx, error, true))
      throw error
    }
    inFlight--
    record(ctx, tool, -1, clock.now() - start)
    if (trace?.span !== undefined) endSpan(trace.span, endingOf(ctx, undefined, false))
  }

  return Object.assign(middleware, {
    registry,
    exposition: () => registry.exposition(),
    attempts(): Middleware {
      if (attemptsMw === undefined) {
        inner.add(attemptCells.block())
        attemptsMw = attemptsMiddleware({
          key: traceKey,
          cells: attemptCells,
          propagate: tracerOf !== undefined,
          outcomeOf,
        })
      }
      return attemptsMw
    },
    reset() {
      cells.reset()
      attemptCells.reset()
      startedAt = Date.now()
    },
    getStats(): MetricsStats {
      const messages = sumCells(
        cells.cells,
        boundsMs,
        (cell) => cell.method,
        (cell) => cell.upstream,
        (cell) => cell.tool,
      )
      const clients = sumCells(cells.clientCells, boundsMs, (cell) => cell.client)
      const { sources, retries: sourceRetries } = sourceStats(statsRegistry, log)
      const attempts = attemptsMw === undefined ? undefined : attemptCells.attempts
      const [methods = {}, upstreams = {}, tools = {}] = messages.by
      return {
        ...messages.total,
        startedAt,
        inFlight,
        attempts,
        retries: attempts === undefined ? sourceRetries : attemptCells.retries,
        upstreamAttempts: Object.fromEntries(
          attemptCells.rows.map((row) => [
            row.upstream,
            Object.fromEntries(outcomes.map((o, i) => [o, row.outcomes[i] as number])),
          ]),
        ) as MetricsStats['upstreamAttempts'],
        methods,
        upstreams,
        tools,
        clients: clients.by[0] ?? {},
        folded: {
          method: cells.folds.method.n,
          upstream: cells.folds.upstream.n,
          tool: cells.folds.tool.n,
          client: cells.clientFolds.client.n,
          series: cells.folds.series.n + cells.clientFolds.series.n,
        },
        sources,
      }
    },
  })
}
