import { z } from 'zod/v4'
import { dflt, int, ms, opt, texts } from './config-schema-parts.js'

// The `timeouts`, `retry`, `breaker`, `concurrency` (@mcpx/breaker), `metrics`
// (@mcpx/metrics) and `logging` (the gateway's log) sections' schema. Defaults are the packages' own.

export const timeoutsSchema = z
  .strictObject({
    total: opt(ms(1), 'ms the whole request may take, retries included (timeout() above retry())'),
    perAttempt: opt(ms(1), 'ms each attempt may take (timeout() below retry()); ≤ total'),
  })
  .describe('Deadlines that abort the work upstream (@mcpx/breaker timeout())')

const backoff = z
  .strictObject({
    baseDelay: dflt(ms(0), 100, 'the cap before the first retry, in ms'),
    maxDelay: opt(
      ms(0),
      'the largest cap, in ms (≥ baseDelay); default the larger of 2000 and baseDelay',
    ),
    factor: dflt(z.number().min(1), 2, 'how much the cap grows per retry (≥ 1)'),
    jitter: dflt(
      z.number().min(0).max(1),
      1,
      'the random share of the cap, 0 to 1 (1: full jitter)',
    ),
  })
  .describe('The wait before each retry')

export const retrySchema = z
  .strictObject({
    attempts: dflt(int().min(1), 3, 'attempts in all, the first included'),
    backoff: opt(backoff, 'the wait before each retry: full jitter by default'),
    maxRetryAfter: dflt(
      ms(0),
      10_000,
      "the longest wait an upstream's Retry-After may impose, in ms",
    ),
    budget: opt(
      z
        .strictObject({
          ratio: dflt(z.number().min(0), 0.2, 'retries allowed per request in the window'),
          minRetries: dflt(int().min(0), 10, 'retries allowed in any window whatever the traffic'),
          window: dflt(int().min(10), 10_000, 'the window the counts cover, in ms'),
        })
        .describe('The retry budget per upstream'),
      'the retry budget: one per upstream, shared by every request to it',
    ),
    maxUpstreams: dflt(int().min(1), 1024, 'upstream names given a budget of their own'),
  })
  .describe(
    'Retry a failed request under a budget (@mcpx/breaker retry()); a tools/call only when it never left the gateway or its tool is idempotent',
  )

const strategy = z.union([
  z
    .strictObject({
      kind: opt(z.literal('consecutive'), "'consecutive' (the default kind)"),
      failures: dflt(int().min(1), 5, 'failures in a row that open it'),
    })
    .describe('Open after so many failures in a row'),
  z
    .strictObject({
      kind: z.literal('rate').describe("'rate'"),
      threshold: dflt(
        z.number().gt(0).max(1),
        0.5,
        'the share of failures, in (0, 1], that opens it',
      ),
      window: dflt(ms(1), 10_000, 'the sliding window the rate is measured over, in ms'),
      minRequests: dflt(int().min(1), 20, 'outcomes the window must hold before the rate counts'),
      buckets: dflt(int().min(1).max(1000), 10, 'buckets the window is kept in (≤ window ms)'),
    })
    .describe('Open at a failure rate'),
])

const openBackoff = z
  .strictObject({
    baseDelay: dflt(ms(1), 30_000, 'the first open duration, in ms'),
    maxDelay: opt(ms(1), 'the longest, in ms; default the larger of 300000 and baseDelay'),
    factor: dflt(z.number().min(1), 2, 'how much longer each re-open lasts'),
    jitter: dflt(z.number().min(0).max(1), 0, 'the random share of each duration, 0 to 1'),
  })
  .describe('An open duration that grows with each re-open')

export const breakerSchema = z
  .strictObject({
    strategy: dflt(strategy, { kind: 'consecutive', failures: 5 }, 'when a closed circuit opens'),
    openDuration: dflt(
      z.union([ms(1), openBackoff]),
      30_000,
      'how long it stays open, in ms, or a growing duration',
    ),
    halfOpenProbes: dflt(int().min(1), 1, 'trial calls let through at once while half-open'),
    halfOpenSuccesses: dflt(int().min(1), 1, 'successful trial calls that close it'),
    per: dflt(
      z.enum(['upstream', 'tool']),
      'upstream',
      'one circuit per upstream, or per upstream and tool',
    ),
    maxCircuits: dflt(int().min(1), 1024, 'the most circuits kept'),
  })
  .describe('A circuit breaker in front of each upstream replica (@mcpx/breaker breaker())')

export const concurrencySchema = z
  .strictObject({
    limit: int().min(1).describe('requests in flight to one replica at once (required)'),
    queue: dflt(int().min(0), 0, 'requests that may wait for a slot beyond limit'),
    queueTimeout: dflt(ms(1), 1_000, 'ms a queued request waits at most'),
    maxUpstreams: dflt(int().min(1), 1024, 'the most upstreams limited'),
  })
  .describe('A bulkhead per upstream replica (@mcpx/breaker concurrencyLimit())')

const accessLog = z
  .strictObject({
    requests: dflt(z.boolean(), true, 'log requests that succeeded'),
    errors: dflt(
      z.boolean(),
      true,
      "log requests that did not (an error answer, or a tool's own error)",
    ),
    notifications: dflt(z.boolean(), false, 'log notifications, in both directions'),
    health: dflt(z.boolean(), false, 'log health checks (ping)'),
    arguments: dflt(
      z.boolean(),
      false,
      "log each tools/call's arguments as the client sent them (they may hold secrets)",
    ),
    maxFieldLength: dflt(int().min(16), 1024, 'strings longer are cut, with a marker'),
    maxArgumentsBytes: dflt(
      int().min(16),
      4096,
      'logged arguments over this many bytes are replaced by their size',
    ),
  })
  .describe('Structured access log lines on stderr (@mcpx/metrics accessLog())')

export const metricsSchema = z
  .strictObject({
    enabled: dflt(z.boolean(), true, 'false: as if the section were absent'),
    path: dflt(
      z.string().regex(/^\/[^?#\s]*$/),
      '/metrics',
      "where the Prometheus exposition is served, on the front end's listener (not the MCP path)",
    ),
    maxUpstreams: dflt(
      int().min(1),
      100,
      'upstream names with a label value of their own; later ones are other',
    ),
    maxTools: dflt(
      int().min(1),
      100,
      'tool names with a label value of their own; later ones are other',
    ),
    maxClients: dflt(
      int().min(0),
      100,
      'clients with a label value of their own; 0: no client family',
    ),
    methods: opt(texts(), "methods beyond the MCP specification's with a label value of their own"),
    buckets: opt(
      z.array(z.number()).min(1).max(100),
      'upper bounds of the duration histogram, in seconds, increasing; default 25 µs … 300 s',
    ),
    tracing: dflt(
      z.boolean(),
      true,
      'OpenTelemetry spans when an SDK is registered globally, and trace context passed on; false: none',
    ),
    accessLog: opt(accessLog, 'an access log; absent: none'),
  })
  .describe('Counters, latency histograms and Prometheus exposition (@mcpx/metrics)')

export const loggingSchema = z
  .strictObject({
    format: dflt(
      z.enum(['auto', 'json', 'text']),
      'auto',
      'pino JSON entries (one per line) or text lines; auto: JSON when stderr is not a terminal, text on one. MCPX_LOG_FORMAT overrides it',
    ),
    level: dflt(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      'info',
      'the least severe level logged (pino levels; silent: nothing). MCPX_LOG_LEVEL overrides it',
    ),
  })
  .describe("The gateway's log on stderr: its format and level")
