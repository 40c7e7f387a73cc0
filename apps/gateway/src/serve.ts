import type { Authenticator, ProtectedResourceHandler } from '@mcpx/auth'
import type { McpProxy } from '@mcpx/core'
import { type ExpositionSource, metricsHandler } from '@mcpx/metrics/node'
import {
  createSseHandler,
  createStreamableHttpHandler,
  listen,
  type NodeHandler,
  type SessionRegistryOptions,
  type ShutdownResult,
} from '@mcpx/transports/node'
import { answerHealth, createHealthState, type HealthState } from './health.js'

/** The client-facing transports the gateway can serve. */
export type FrontEnd = 'http' | 'sse' | 'websocket' | 'stdio'

/** A running network front end. */
export interface Served {
  url: string
  /** Stop listening and end every session (the proxy is closed by the caller). */
  close(): Promise<void>
  /**
   * Graceful close: `/readyz` turns 503, no new connections, new requests
   * get 503 with `reason`, the requests in flight have `timeout` ms to be
   * answered, the rest get a JSON-RPC error with `reason` (and their
   * `ctx.signal` aborts); then as `close()`.
   */
  shutdown(timeout: number, reason: string): Promise<ShutdownResult>
  /** What `/healthz` and `/readyz` answer from. */
  readonly health: HealthState
}

interface Options {
  host: string
  port: number
  path: string
  allowedHosts: readonly string[]
  /** Runs on every HTTP request (and the WebSocket upgrade) before anything is dispatched. */
  authenticate?: Authenticator | undefined
  /** The RFC 9728 metadata, answered on the same server ahead of the MCP endpoint. */
  wellKnown?: ProtectedResourceHandler | undefined
  /** The Prometheus exposition, answered at `path` on the same server ahead of the MCP endpoint. */
  metrics?: { path: string; source: ExpositionSource } | undefined
  /**
   * Streamable HTTP only: the session registry's options, given the origin
   * the server listens on (known once it does: port 0 picks one), which is
   * this replica's own address unless the config advertises another.
   */
  registry?: ((origin: string) => SessionRegistryOptions) | undefined
  /** With `registry`: the front end's errors (the directory's outage, once per outage), as log lines. */
  log?: ((line: string) => void) | undefined
}

/**
 * Serve the proxy on one network front end, on its own `node:http` server:
 * Streamable HTTP, legacy HTTP+SSE (GET /sse, POST /messages) or WebSocket.
 * Every front end has the same shape, so this is one `listen()`.
 */
export async function serve(
  proxy: McpProxy,
  kind: Exclude<FrontEnd, 'stdio'>,
  options: Options,
): Promise<Served> {
  const common = {
    allowedHosts: options.allowedHosts,
    ...(options.authenticate && { authenticate: options.authenticate }),
  }
  let handler: NodeHandler
  let path = options.path
  // The registry needs the origin, which port 0 makes known only once the server listens.
  const late = kind === 'http' && options.registry ? lateHandler() : undefined
  if (late) handler = late.handler
  else if (kind === 'http') handler = createStreamableHttpHandler(proxy, { ...common, path })
  else if (kind === 'sse') {
    handler = createSseHandler(proxy, common)
    path = '/sse'
  } else {
    // Loaded only when asked for: `ws` and its module graph cost memory every other gateway would carry.
    const { createWebSocketHandler } = await import('@mcpx/transports/websocket')
    handler = createWebSocketHandler(proxy, { ...common, path })
  }
  if (options.wellKnown) handler = withWellKnown(handler, options.wellKnown)
  if (options.metrics) handler = withMetrics(handler, options.metrics.path, options.metrics.source)
  const health = createHealthState()
  handler = withHealth(handler, health, options.allowedHosts)
  const listening = await listen(handler, { host: options.host, port: options.port })
  // Set before anything else runs: no request is read before this turn of the event loop ends.
  late?.set(
    createStreamableHttpHandler(proxy, {
      ...common,
      path,
      registry: options.registry!(listening.origin),
      ...(options.log && { onError: reporter(options.log) }),
    }),
  )
  const origin = kind === 'websocket' ? listening.origin.replace(/^http/, 'ws') : listening.origin
  return {
    url: `${origin}${path}`,
    close: listening.close,
    health,
    shutdown: (timeout, reason) => {
      health.shuttingDown = true
      return listening.shutdown({ timeout, reason })
    },
  }
}

/** `onError` as log lines: `[mcpx transports] <message> (<cause>)`. */
function reporter(log: (line: string) => void) {
  return (error: unknown) => {
    const message = String((error as Error)?.message ?? error).replace(
      /^\[@mcpx\/transports\] /,
      '',
    )
    const cause = (error as Error)?.cause as Error | undefined
    log(`[mcpx transports] ${message}${cause?.message ? ` (${cause.message})` : ''}`)
  }
}

/**
 * A handler that is made after `listen()` (see `registry`): until `set`,
 * a request gets 503 (none can arrive before, the server being one
 * event-loop turn old), and closing it closes the one it was given.
 */
function lateHandler(): { handler: NodeHandler; set(handler: NodeHandler): void } {
  let inner: NodeHandler | undefined
  const handler = Object.assign(
    (...[req, res, next]: Parameters<NodeHandler>) => {
      if (inner) return inner(req, res, next)
      res.writeHead(503, { 'retry-after': '1' }).end()
    },
    {
      upgrade: (...args: Parameters<NonNullable<NodeHandler['upgrade']>>) =>
        inner?.upgrade?.(...args),
      close: async (reason?: string) => inner?.close(reason),
    },
  ) as NodeHandler
  Object.defineProperty(handler, 'sessionCount', { get: () => inner?.sessionCount ?? 0 })
  return {
    handler,
    set: (made) => {
      inner = made
    },
  }
}

/** `/healthz` and `/readyz`, ahead of everything else (see `answerHealth`). */
function withHealth(
  handler: NodeHandler,
  state: HealthState,
  allowedHosts: readonly string[],
): NodeHandler {
  const allowed = new Set(allowedHosts.map((host) => host.toLowerCase()))
  return wrapped(handler, (req, res) => answerHealth(req, res, pathOf(req.url), state, allowed))
}

/**
 * The exposition at `path`, before the front end's checks: no authenticator
 * (a scraper has no MCP token; the README says to keep the listener on
 * loopback or behind the network). GET and HEAD; any other method is a 405.
 */
function withMetrics(handler: NodeHandler, path: string, source: ExpositionSource): NodeHandler {
  const scrape = metricsHandler(source, (line) => process.stderr.write(`[mcpx metrics] ${line}\n`))
  return wrapped(handler, (req, res) => {
    if (pathOf(req.url) !== path) return false
    scrape(req, res)
    return true
  })
}

/** The path of a request target, without its query (`/metrics?x` is `/metrics`). */
const pathOf = (url: string | undefined): string => (url ?? '').split('?', 1)[0]!

/** `handler`, with `first` answering ahead of it when it says it did. */
function wrapped(
  handler: NodeHandler,
  first: (...args: Parameters<NodeHandler>) => boolean,
): NodeHandler {
  const both: NodeHandler = Object.assign(
    (...args: Parameters<NodeHandler>) => {
      if (!first(...args)) handler(...args)
    },
    { upgrade: handler.upgrade, close: (reason?: string) => handler.close(reason) },
  ) as NodeHandler
  Object.defineProperty(both, 'sessionCount', { get: () => handler.sessionCount })
  return both
}

/**
 * The metadata document is public (RFC 9728 §3: no credentials to fetch it)
 * and served before the front end's own checks; every other request goes on.
 */
function withWellKnown(handler: NodeHandler, wellKnown: ProtectedResourceHandler): NodeHandler {
  return wrapped(handler, (req, res) => wellKnown.node(req, res))
}
