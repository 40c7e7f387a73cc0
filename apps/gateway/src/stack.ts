import { fileURLToPath } from 'node:url'
import { createProxy, type McpProxy } from '@mcpx/core'
import { router } from '@mcpx/router'
import { type Connector, forward, type Upstream, upstream } from '@mcpx/transports'
import { DEFAULT_INHERITED_ENV, stdio } from '@mcpx/transports/stdio'
import { createAuth, type GatewayAuth } from './auth.js'
import type { GatewayConfig, UpstreamSource } from './config-types.js'

const EXAMPLE_SERVER = fileURLToPath(new URL('./example-server.js', import.meta.url))

/** Where the gateway's own diagnostics go. */
export type Log = (line: string) => void

/** A built gateway: its proxy, and what its front end needs of the `auth` section. */
export interface Gateway extends Omit<GatewayAuth, 'middleware'> {
  proxy: McpProxy
}

/**
 * The gateway's proxy for a checked config: the auth middleware (stdio's
 * `authenticate()`, the scope rules' `access()`), then the router in front
 * of `forward()`, which knows one `upstream()` per replica. Throws a
 * `TypeError` if a package refuses what the config check let through.
 */
export async function createGateway(config: GatewayConfig, log: Log): Promise<Gateway> {
  const { middleware, ...auth } = createAuth(config)
  const upstreams: Upstream[] = []
  for (const settings of Object.values(config.upstreams)) {
    for (const name of settings.replicas) {
      const options = { mode: settings.mode, timeout: settings.timeout }
      upstreams.push(upstream(name, await connector(settings.source), options))
    }
  }
  const routing = router({ ...config.router, log: (line) => log(`[mcpx router] ${line}`) })
  const proxy = createProxy({
    terminal: forward(upstreams),
    strict: false,
    onError: (error) => log(`[mcpx] ${(error as Error)?.stack ?? error}`),
  })
  for (const layer of middleware) proxy.use(layer)
  proxy.use(routing)
  return { proxy, ...auth }
}

/** A connector per replica: each opens its own connections (a command, its own children). */
async function connector(source: UpstreamSource): Promise<Connector> {
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
      return (await import('@mcpx/transports')).streamableHttp(target)
    }
  }
}
