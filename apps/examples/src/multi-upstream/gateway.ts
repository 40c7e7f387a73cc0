import { fileURLToPath } from 'node:url'
import { createProxy } from '@mcpx/core'
import { router } from '@mcpx/router'
import { forward, upstream } from '@mcpx/transports'
import { serveHttp } from '@mcpx/transports/node'
import { stdio } from '@mcpx/transports/stdio'
import { exampleServerPath } from '../server-path.js'

// Once built, this code sits in dist/multi-upstream.js, beside dist/bin/.
const mathReplicaPath = fileURLToPath(new URL('./bin/math-replica.js', import.meta.url))

/** Options for {@link start}. */
export interface StartOptions {
  /** @defaultValue 0 (a free port) */
  port?: number
  /** The stdio example server (`--flavour data|admin`). @defaultValue `exampleServerPath` */
  serverPath?: string
  /** The math server with a `whoami` tool, run twice. @defaultValue `dist/bin/math-replica.js` */
  replicaPath?: string
}

/**
 * Four child processes as one MCP server at `${url}`: `math` (two replicas,
 * round robin), `data` and `admin`, each namespaced (`math_add`, `data_query`,
 * `admin_status`, …).
 */
export async function start({
  port = 0,
  serverPath = exampleServerPath,
  replicaPath = mathReplicaPath,
}: StartOptions = {}) {
  const node = (...args: string[]) => stdio({ command: process.execPath, args })
  const upstreams = [
    upstream('math-1', node(replicaPath)),
    upstream('math-2', node(replicaPath)),
    upstream('data', node(serverPath, '--flavour', 'data')),
    upstream('admin', node(serverPath, '--flavour', 'admin')),
  ]
  const proxy = createProxy({ terminal: forward(upstreams) })
  proxy.use(
    router({
      upstreams: {
        math: { namespace: true, replicas: ['math-1', 'math-2'], balance: 'round-robin' },
        data: { namespace: true },
        admin: { namespace: true },
      },
      // Resource URIs are never namespaced: a route places them.
      routes: [{ resources: 'data://**', to: 'data' }],
    }),
  )
  const http = await serveHttp(proxy, { port })
  return { url: new URL(http.url), close: () => http.close() }
}
