import type { McpProxy, UpstreamHealth } from '@mcpx/core'
import type { GatewayConfig } from './config-types.js'
import { notReadyUpstreams } from './health.js'
import type { Served } from './serve.js'

/** The error message of the calls still open at the deadline, and of requests refused while draining. */
export const SHUTDOWN_REASON = 'gateway shutting down'

/**
 * Milliseconds past the drain deadline for closing the upstreams (a stdio
 * child gets its stdin closed, then SIGTERM, then SIGKILL, 2 s apart) before
 * the process gives up and exits 1.
 */
const CLOSE_MARGIN = 10_000

/** Conventional exit codes of a process ended by a signal: 128 + its number. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 }

interface Lifecycle {
  server: Served
  proxy: McpProxy
  health: UpstreamHealth
  config: GatewayConfig
  log: (line: string) => void
  /** Closed after the proxy: the session registry's Redis lease (its sessions released their claims by then). */
  registry?: { close(): Promise<void> } | undefined
}

/**
 * Serve `/readyz` from the health registry, and shut down gracefully on
 * SIGTERM or SIGINT: `/readyz` turns 503, no new connections or requests,
 * the calls in flight get `serve.shutdownTimeout` ms, the rest are ended
 * (a JSON-RPC error saying the gateway is shutting down; their `ctx.signal`
 * aborts), then the proxy closes its upstreams and the
 * process exits 0. A second signal while draining exits at once with
 * 128 + the signal's number.
 */
export function manageLifecycle(lifecycle: Lifecycle): void {
  const { server, proxy, health, config, log, registry } = lifecycle
  server.health.notReady = notReadyUpstreams(health, config.upstreams)
  const timeout = config.serve.shutdownTimeout
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) {
      log(`mcpx-gateway: ${signal} again, exiting now`)
      process.exit(SIGNAL_EXIT[signal] ?? 1)
    }
    stopping = true
    log(`mcpx-gateway: ${signal}, shutting down (in-flight requests have ${timeout} ms)`)
    // Bounded whatever an upstream does: a process told to stop must stop.
    setTimeout(() => {
      log('mcpx-gateway: shutdown did not finish in time, exiting')
      process.exit(1)
    }, timeout + CLOSE_MARGIN).unref()
    try {
      const { aborted } = await server.shutdown(timeout, SHUTDOWN_REASON)
      if (aborted > 0)
        log(`mcpx-gateway: ended ${aborted} request(s) still in flight at the deadline`)
      await proxy.close()
      await registry?.close()
    } catch (error) {
      log(`mcpx-gateway: shutdown failed: ${(error as Error)?.message ?? error}`)
      process.exit(1)
    }
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}
