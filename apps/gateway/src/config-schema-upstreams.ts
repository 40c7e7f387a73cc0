import { EXAMPLE_FLAVOURS } from '@mcpx/examples/server-path'
import { z } from 'zod/v4'
import {
  dflt,
  ENV_NAME,
  HEADER_NAME,
  headerName,
  int,
  ms,
  NAME,
  oneOrMore,
  opt,
  secret,
  text,
  texts,
  whole,
} from './config-schema-parts.js'

// The `upstreams` section's schema: three kinds of upstream (command, url, example), each with
// the keys every upstream takes, `@mcpx/pool`'s `pool` section and a URL upstream's credentials.

const count = (min: number) => int().min(min)

const httpHealth = z
  .strictObject({
    url: text().describe('the http(s) URL probed (required)'),
    interval: opt(ms(1), 'ms between probes'),
    timeout: opt(ms(1), 'ms a probe may take'),
    healthyThreshold: opt(count(1), 'successful probes in a row that make it healthy again'),
    unhealthyThreshold: opt(count(1), 'failed probes in a row that make it unhealthy'),
  })
  .describe('An HTTP health probe of the upstream, beside the MCP pings')

const health = z
  .strictObject({
    pingInterval: opt(ms(0), 'ms between MCP pings on each idle connection; 0: none'),
    pingTimeout: opt(ms(1), 'ms a ping may take before it counts as failed'),
    pingFailures: opt(count(1), 'failed pings in a row after which the connection is replaced'),
    keepAlive: opt(ms(0), 'ms between keep-alive pings on a busy connection; 0: none'),
    http: opt(httpHealth, 'an HTTP health probe'),
  })
  .describe("How the pool checks its connections' health")

const restart = z
  .strictObject({
    baseDelay: dflt(ms(0), 500, 'ms before the first restart of a dead connection'),
    maxDelay: opt(ms(0), 'the longest ms between restarts (≥ baseDelay)'),
    factor: opt(z.number().min(1), 'how much longer each further restart waits (≥ 1)'),
    jitter: opt(z.number().min(0).max(1), 'the random share of each delay, 0 to 1'),
    stableAfter: opt(ms(0), 'ms a connection must live for the backoff to start again'),
    crashLoop: opt(
      z
        .strictObject({
          failures: opt(count(1), 'exits within windowMs that stop the restarts (failed)'),
          windowMs: opt(ms(1), 'the window the exits are counted over, in ms'),
        })
        .describe('When to stop restarting'),
      'when restarts stop: so many exits within a window make the pool failed',
    ),
  })
  .describe('Supervised restart of dead connections, with backoff and a crash-loop limit')

const pool = z
  .strictObject({
    mode: dflt(
      z.enum(['shared', 'per-session', 'per-request']),
      'shared',
      'shared connections, one leased per client session, or one leased per request',
    ),
    min: opt(count(0), "connections kept open (≤ max); the mode's default"),
    max: opt(count(1), "most connections open at once; the mode's default"),
    maxInFlight: opt(count(1), 'requests one shared connection carries before another opens'),
    spares: opt(count(0), 'warm connections kept ready beyond those in use (≤ max)'),
    idleTimeout: opt(ms(1), 'ms an idle connection above min stays open'),
    maxLifetime: opt(ms(0), 'ms after which a connection is replaced; 0: never'),
    acquireTimeout: opt(ms(1), 'ms a request waits for a connection before -32011'),
    maxWaiting: opt(count(0), 'requests that may wait for a connection at once'),
    drainTimeout: opt(ms(0), 'ms in-flight requests get on shutdown before connections close'),
    leaseIdleTimeout: opt(ms(0), 'ms an idle lease (per-session) is kept; 0: the session’s life'),
    quarantine: opt(ms(0), 'ms a connection that failed is kept out of use'),
    onConnectionLost: opt(
      z.enum(['end-session', 'reopen']),
      "a leased connection lost: end the client's session ('per-session' only) or open another",
    ),
    health: opt(health, "health checks of the pool's connections"),
    restart: opt(restart, 'restart of dead connections'),
  })
  .describe("@mcpx/pool's options: each replica becomes a supervised pool of connections")

const hashKey = z.union([
  z.enum(['session', 'principal', 'client-address']),
  z
    .strictObject({ header: z.string().regex(HEADER_NAME).describe('a request header name') })
    .describe('A request header'),
])

const balance = z.union([
  z.enum(['round-robin', 'weighted-round-robin', 'least-inflight', 'random', 'power-of-two']),
  z
    .strictObject({
      type: z.enum(['consistent-hash', 'sticky-split']).describe('the sticky strategy (required)'),
      key: hashKey.describe(
        "what a message hashes on: 'session', 'principal', 'client-address' or { header } (required)",
      ),
    })
    .describe('A sticky strategy'),
])

/** The keys every kind of upstream takes. */
const common = {
  mode: dflt(
    z.enum(['shared', 'per-session']),
    'per-session',
    'one connection for every session, or one leased per client session; refused beside pool (use pool.mode)',
  ),
  pool: opt(
    pool,
    'a supervised pool of connections per replica instead of one upstream() (@mcpx/pool)',
  ),
  timeout: dflt(
    z.number().min(0),
    60_000,
    'ms a request may take before it is cancelled upstream (progress restarts the clock); 0: none',
  ),
  connectTimeout: opt(
    int().min(1),
    "ms the upstream has to start and finish initialize before it counts as failed (default: @mcpx/transports' own, 30000)",
  ),
  namespace: dflt(
    z.union([z.boolean(), z.string().regex(NAME)]),
    false,
    "prefix of the upstream's tool and prompt names: true uses its name, a string (1–32 of A-Z a-z 0-9 _ . -) is the prefix",
  ),
  priority: dflt(
    z.number(),
    0,
    'of two upstreams exposing one name, the higher priority serves it',
  ),
  replicas: dflt(
    whole().min(1).max(64),
    1,
    'identical copies, each its own upstream named <name>-1 … <name>-N; the router spreads messages over them',
  ),
  balance: dflt(balance, 'round-robin', 'how a message picks one of the replicas'),
  failover: opt(
    texts().min(1),
    "other upstreams of the file that serve this one's messages while it is down, in order",
  ),
  backup: dflt(
    z.boolean(),
    false,
    "reached only through another upstream's failover: not routed, listed or called directly",
  ),
  idempotentTools: opt(
    texts(),
    "tools (the upstream's own names) whose tools/call may run twice: retried, or failed over",
  ),
}

const command = z
  .strictObject({
    command: text().describe(
      'the executable, started without a shell; one child per connection (required)',
    ),
    args: dflt(texts(), [], 'its arguments'),
    env: dflt(z.record(z.string().regex(ENV_NAME), z.string()), {}, 'variables set for the child'),
    inheritEnv: dflt(
      z.array(z.string().regex(ENV_NAME)),
      [],
      "the gateway's own variables passed on to the child, besides PATH, HOME, locale and terminal basics",
    ),
    ...common,
  })
  .describe('A stdio upstream: a child process per connection')

const credentials = z
  .strictObject({
    clientCredentials: z
      .strictObject({
        tokenUrl: text().describe("the authorization server's http(s) token endpoint (required)"),
        clientId: text().describe('the client id (required)'),
        clientSecret: secret('the client secret (required)'),
        scope: opt(oneOrMore(), 'scopes asked for: a space-delimited string or an array'),
        resource: opt(text(), 'the RFC 8707 resource indicator sent'),
        audience: opt(text(), 'the audience parameter sent'),
        authMethod: dflt(
          z.enum(['client_secret_basic', 'client_secret_post']),
          'client_secret_basic',
          'how the client authenticates to the token endpoint',
        ),
      })
      .describe('RFC 6749 §4.4 client credentials (required)'),
  })
  .describe("The gateway's own OAuth token for the upstream (streamable-http only)")

const url = z
  .strictObject({
    url: text().describe(
      "the server's endpoint: http(s):// for streamable-http and sse, ws(s):// for websocket (required)",
    ),
    transport: dflt(
      z.enum(['streamable-http', 'sse', 'websocket']),
      'streamable-http',
      'how to reach it (sse: the legacy HTTP+SSE transport)',
    ),
    headers: dflt(
      z.record(headerName(), z.string()),
      {},
      "sent with every HTTP request or the WebSocket handshake: the gateway's own credentials",
    ),
    credentials: opt(
      credentials,
      "the gateway's own OAuth access token, sent as Authorization: Bearer (streamable-http only; not beside an Authorization header)",
    ),
    ...common,
  })
  .describe('An HTTP or WebSocket upstream')

const example = z
  .strictObject({
    example: z.enum(EXAMPLE_FLAVOURS).describe('the bundled example server’s flavour (required)'),
    ...common,
  })
  .describe('A bundled example upstream')

/** One upstream: exactly one of `command`, `url` or `example` says its kind. */
export const upstreamSchema = z.union([command, url, example])

export const upstreamsSchema = z
  .record(z.string().regex(NAME), upstreamSchema)
  .describe(
    'Names (1 to 32 of A-Z a-z 0-9 _ . -) to upstreams, at least one; each is a command, url or example upstream',
  )
