import { createProxy, ErrorCode, McpxError, type Middleware, on } from '@mcpx/core'
import { forward, upstream } from '@mcpx/transports'
import { createStreamableHttpHandler, listen } from '@mcpx/transports/node'
import { stdio } from '@mcpx/transports/stdio'
import { exampleServerPath } from '../server-path.js'

/** Tags every `tools/call` result with the milliseconds it took, in its `_meta`. */
export function elapsed(): Middleware {
  return on('tools/call', async function elapsed(ctx, next) {
    const started = performance.now()
    await next()
    if (ctx.result) {
      const ms = Math.round((performance.now() - started) * 100) / 100
      ctx.result._meta = { ...ctx.result._meta, 'example.mcpx/elapsedMs': ms }
    }
  })
}

/** Refuses calls of the named tools before they reach the upstream. */
export function refuse(...names: string[]): Middleware {
  return on('tools/call', async function refuse(ctx, next) {
    if (names.includes(ctx.params.name)) {
      throw new McpxError(ErrorCode.InvalidParams, `Tool ${ctx.params.name} is disabled here`)
    }
    await next()
  })
}

/** Options for {@link start}. */
export interface StartOptions {
  /** @defaultValue 0 (a free port) */
  port?: number
  /** The stdio example server to spawn. @defaultValue `exampleServerPath` */
  serverPath?: string
}

/**
 * The math example server as a child process, behind a proxy with the two
 * middleware above, served over Streamable HTTP at `${url}`.
 */
export async function start({ port = 0, serverPath = exampleServerPath }: StartOptions = {}) {
  const math = upstream('math', stdio({ command: process.execPath, args: [serverPath] }))
  const proxy = createProxy({ terminal: forward(math) })
  proxy.use(elapsed(), refuse('echo'))
  const http = await listen(createStreamableHttpHandler(proxy, { path: '/mcp' }), { port })
  return {
    url: new URL('/mcp', http.origin),
    async close() {
      await http.close() // the sessions end
      await proxy.close() // the child's stdin closes, and it exits
    },
  }
}
