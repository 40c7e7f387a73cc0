import { type ClientCredentials, clientCredentials } from '@mcpx/auth'
import {
  createHealthRegistry,
  createProxy,
  type McpProxy,
  type StatsRegistry,
  type UpstreamHealth,
} from '@mcpx/core'
import { exampleServerPath } from '@mcpx/examples/server-path'
import type { Metrics } from '@mcpx/metrics'
import { pool } from '@mcpx/pool'
import { type Router, router } from '@mcpx/router'
import type { PinTools } from '@mcpx/transformers'
import { type Connector, forward, type UpstreamSource as Source, upstream } from '@mcpx/transports'
import { DEFAULT_INHERITED_ENV, stdio } from '@mcpx/transports/stdio'
import { createAuth, type GatewayAuth } from './auth.js'
import type { GatewayConfig, UpstreamConfig, UpstreamSource } from './config-types.js'
import { createObservability, type Observability } from './observability.js'
import { createRateLimit } from './ratelimit.js'
import { CircuitHealth } from './reload-health.js'
import { resilienceLayers, routerHealth } from './resilience.js'
import { createTransformers } from './transformers.js'

// The examples package's built stdio entry, spawned as a real child like any command upstream.
const EXAMPLE_SERVER = exampleServerPath

/** Where the gateway's own diagnostics go. */
export type Log = (line: string) => void

/** A built gateway: its proxy, and what its front end needs of the `auth` section. */
export interface Gateway extends Omit<GatewayAuth, 'middleware'> {
  proxy: McpProxy
  /** The `metrics` section's middleware, to serve at its path; undefined without the section. */
  metrics: Metrics | undefined
  /** `transformers.pinTools`' layer, for `mcpx-gateway pins`; undefined without the section. */
  pins: PinTools | undefined
  /** What the pools and circuit breakers report to: `/readyz` reads it. */
  health: UpstreamHealth
  /** Its router, for what it knows of each upstream (`upstreams()`: the start-up lines). */
  router: Router
  /** What a reload hands to the next generation (see `Carried`). */
  carried: Carried
  /**
   * Close what this gateway holds, but the sources in `keep` (carried into
   * the next generation) and the `metrics` section's layers (always carried):
   * for a generation a reload replaced. `proxy.close()` closes it all.
   */
  release(keep: ReadonlySet<Source>): Promise<void>
  /** Take back what this gateway's circuit breaker said of its replicas: a reload replaced it. */
  resetCircuits(): void
}

/** What a reload carries from one generation into the next, the same objects. */
export interface Carried {
  health: UpstreamHealth
  circuits: CircuitHealth
  observed: Observability
  /** The sources by `sourceKey`: a replica whose upstream's config is unchanged keeps its own. */
  sources: ReadonlyMap<string, Source>
}

/** A replica's source is carried over when its name and its upstream's whole config are unchanged. */
const sourceKey = (name: string, upstreamConfig: UpstreamConfig): string =>
  `${name}\u0000${JSON.stringify(upstreamConfig)}`

/**
 * The gateway's proxy for a checked config: the access log and `metrics()`
 * (when the `metrics` section is on), the auth middleware (stdio's
 * `authenticate()`, the scope rules' `access()`), the rate limits,
 * `metadata()`, the router, then the other transformers (argument
 * validation, tool rewriting, pinning, the response cache, redaction), then
 * the timeouts, retries, failover, concurrency limits and circuit breakers,
 * then `metrics()`' per-attempt layer, in front of `forward()`, which knows one `upstream()` or `pool()` per
 * replica (backups included). Pools and circuits write their state to one
 * health registry, which the router reads to skip a replica that is down or
 * open. With metrics on, pools, breakers, bulkheads, the cache and the pins
 * report to one stats registry, which `metrics()` exposes. Throws a `TypeError` if a package refuses what the config check let
 * through (after closing what it opened). A `pinTools.lockFile` must have
 * been read (`withPinLock`).
 */
export async function createGateway(
  config: GatewayConfig,
  log: Log,
  carry?: Carried,
): Promise<Gateway> {
  const { middleware, ...auth } = createAuth(config)
  const health = carry?.health ?? createHealthRegistry()
  const circuits = carry?.circuits ?? new CircuitHealth(health)
  const generation = {}
  const observed = carry?.observed ?? createObservability(config.metrics, log)
  const { stats } = observed
  /** The sources made here (a carried one belongs to the running generation until it is kept). */
  const sources: Source[] = []
  const byKey = new Map<string, Source>()
  /** What holds resources besides the sources (a Redis connection), closed if a later step throws. */
  const closable: object[] = []
  try {
    for (const upstreamConfig of Object.values(config.upstreams)) {
      const carried = upstreamConfig.replicas.map((name) =>
        carry?.sources.get(sourceKey(name, upstreamConfig)),
      )
      // An upstream is carried whole or made anew: its replicas share one token.
      if (carried.every((source) => source !== undefined)) {
        for (const source of carried) byKey.set(sourceKey(source.name, upstreamConfig), source)
        continue
      }
      const made = sources.length
      await addReplicas(sources, upstreamConfig, health, stats, log)
      for (const source of sources.slice(made))
        byKey.set(sourceKey(source.name, upstreamConfig), source)
    }
    const all = [...byKey.values()]
    const routing = router({
      ...config.router,
      health: routerHealth(health, config.failover.guarded),
      log: (line) => log(`[mcpx router] ${line}`),
    })
    const proxy = createProxy({
      terminal: forward(all),
      strict: false,
      onError: (error) => log(`[mcpx] ${(error as Error)?.stack ?? error}`),
    })
    // @mcpx/metrics' order: accessLog → metrics → auth, so that what auth refuses is logged and counted.
    for (const layer of observed.above) proxy.use(layer)
    for (const layer of middleware) proxy.use(layer)
    // DESIGN's order: auth → ratelimit → router. After auth, so that per-client limits see the
    // principal; before the router, so that tool patterns match the names clients call.
    if (config.rateLimits) {
      const limits = await createRateLimit(config.rateLimits, log)
      closable.push(limits)
      proxy.use(limits)
    }
    const transformers = await createTransformers(config.transformers, log, stats)
    // Leases first: closed in reverse, after the layers that use them.
    closable.push(...transformers.leases, ...transformers.above, ...transformers.below)
    // @mcpx/transformers' order: metadata above the router (one request id for a fanned-out list,
    // the merged answer stamped); after auth, so that it names the client.
    for (const layer of transformers.above) proxy.use(layer)
    proxy.use(routing)
    // DESIGN's order: router → transformers → breaker → forward. Below the router, so that each
    // layer knows the replica a message goes to (its `targetKey`); the transformers above the
    // resilience layers, so that a cache hit or a refused call costs no attempt, slot or circuit.
    for (const layer of transformers.below) proxy.use(layer)
    const resilience = resilienceLayers(config, circuits.view(generation), stats)
    for (const layer of resilience) proxy.use(layer)
    // Below retry and failover: one CLIENT span (and one traceparent) per upstream attempt.
    if (observed.attempts) proxy.use(observed.attempts)
    const own = [...middleware, ...closable, routing, ...resilience]
    const release = async (keep: ReadonlySet<Source>) => {
      for (const layer of own.reverse() as { close?: () => unknown }[]) await layer.close?.()
      await Promise.all(all.filter((source) => !keep.has(source)).map((source) => source.close()))
      resetCircuits()
    }
    const resetCircuits = () => circuits.reset(generation)
    const carried = { health, circuits, observed, sources: byKey }
    const { pins } = transformers
    const { metrics } = observed
    return {
      proxy,
      metrics,
      pins,
      health,
      router: routing,
      carried,
      release,
      resetCircuits,
      ...auth,
    }
  } catch (error) {
    // A pool has started its `min` connections (children, for a command) already; carried
    // sources still serve the running generation.
    await Promise.all([
      ...sources.map((source) => source.close()),
      ...closable.map(async (layer) => (layer as { close?: () => unknown }).close?.()),
    ])
    throw error
  }
}

/**
 * One `upstream()` or `pool()` per replica, each with its own connector,
 * added to `sources` as each is made (so that a refusal leaves none unclosed).
 */
async function addReplicas(
  sources: Source[],
  { source, replicas, timeout, connectTimeout, ...connection }: UpstreamConfig,
  healthRegistry: UpstreamHealth,
  statsRegistry: StatsRegistry | undefined,
  log: Log,
): Promise<void> {
  const token =
    source.kind === 'url' && source.credentials ? clientCredentials(source.credentials) : undefined
  for (const name of replicas) {
    const connect = await connector(source, token)
    sources.push(
      connection.pool
        ? pool(name, connect, {
            ...connection.pool,
            timeout,
            ...(connectTimeout !== undefined && { connectTimeout }),
            healthRegistry,
            ...(statsRegistry && { statsRegistry }),
            log: (upstream, line) => log(`[mcpx pool ${upstream}] ${line}`),
          })
        : upstream(name, connect, {
            mode: connection.mode,
            timeout,
            ...(connectTimeout !== undefined && { connectTimeout }),
            log: (upstream, line) => log(`[mcpx upstream ${upstream}] ${line}`),
          }),
    )
  }
}

/**
 * A connector per replica: each opens its own connections (a command, its
 * own children). `token` is the upstream's client-credentials header
 * source, one for all its replicas.
 */
async function connector(
  source: UpstreamSource,
  token: ClientCredentials | undefined,
): Promise<Connector> {
  switch (source.kind) {
    case 'example':
      return stdio({
        command: process.execPath,
        args: [EXAMPLE_SERVER, '--flavour', source.example],
      })
    case 'command':
      return stdio({
        command: source.command,
        args: source.args,
        env: source.env,
        inheritEnv: [...DEFAULT_INHERITED_ENV, ...source.inheritEnv],
      })
    case 'url': {
      const target = { url: source.url, headers: source.headers }
      if (source.transport === 'sse') return (await import('@mcpx/transports')).sse(target)
      if (source.transport === 'websocket') {
        // Loaded only when asked for: `ws` and its module graph cost memory every other gateway would carry.
        return (await import('@mcpx/transports/websocket')).websocket(target)
      }
      const { streamableHttp } = await import('@mcpx/transports')
      if (token === undefined) return streamableHttp(target)
      // Asked for on every HTTP request: the token is cached, and refreshed before it expires.
      return streamableHttp({
        url: source.url,
        headers: async () => ({ ...source.headers, ...(await token()) }),
      })
    }
  }
}
