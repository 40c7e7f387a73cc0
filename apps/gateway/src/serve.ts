import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { McpProxy } from '@mcpx/core'
import { createSseHandler, type ServeHttpOptions, serveHttp } from '@mcpx/transports/node'
import { createWebSocketHandler } from '@mcpx/transports/websocket'

/** The client-facing transports the gateway can serve. */
export type FrontEnd = 'http' | 'sse' | 'websocket' | 'stdio'

/** A running network front end. */
export interface Served {
  url: string
  close(): Promise<void>
}

type Options = Required<Pick<ServeHttpOptions, 'host' | 'port' | 'path' | 'allowedHosts'>>

/**
 * Serve the proxy on one network front end, on its own `node:http` server:
 * Streamable HTTP, legacy HTTP+SSE (GET /sse, POST /messages) or WebSocket.
 */
export async function serve(
  proxy: McpProxy,
  kind: Exclude<FrontEnd, 'stdio'>,
  options: Options,
): Promise<Served> {
  if (kind === 'http') return serveHttp(proxy, options)
  const server = createServer()
  let close: () => void
  let path = options.path
  if (kind === 'sse') {
    const handler = createSseHandler(proxy, { allowedHosts: options.allowedHosts })
    server.on('request', (req, res) => handler(req, res))
    close = handler.close
    path = '/sse'
  } else {
    const handler = createWebSocketHandler(proxy, {
      server,
      path,
      allowedHosts: options.allowedHosts,
    })
    server.on('request', (_req, res) => res.writeHead(426, { upgrade: 'websocket' }).end())
    close = handler.close
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  const scheme = kind === 'websocket' ? 'ws' : 'http'
  return {
    url: `${scheme}://${host}:${port}${path}`,
    close: async () => {
      close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
