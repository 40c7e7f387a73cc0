import { createProxy, type Middleware } from '@mcpx/core'
import { type CatalogOptions, createCatalogServer } from '@mcpx/test-utils'
import {
  type Connector,
  forward,
  inProcess,
  type UpstreamOptions,
  upstream,
} from '@mcpx/transports'
import { serveHttp } from '@mcpx/transports/node'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { type Router, type RouterOptions, router } from '../src/index.js'

/** An upstream for the gateway: a connector, or a catalog fixture served in process. */
export type UpstreamSpec = Connector | CatalogOptions

export interface GatewaySpec {
  readonly upstreams: Readonly<Record<string, UpstreamSpec>>
  readonly router: Omit<RouterOptions, 'log'>
  /** Middleware in front of the router (an access predicate, a principal). */
  readonly before?: readonly Middleware[]
  readonly upstreamOptions?: UpstreamOptions
}

const isConnector = (spec: UpstreamSpec): spec is Connector =>
  typeof (spec as Connector).open === 'function'

/** A gateway in this process: proxy → router → forward, on Streamable HTTP at 127.0.0.1:0. */
export async function startGateway(spec: GatewaySpec) {
  const logs: string[] = []
  const errors: unknown[] = []
  const ups = Object.entries(spec.upstreams).map(([name, one]) =>
    upstream(name, isConnector(one) ? one : inProcess(() => createCatalogServer(one)), {
      listChangedDebounce: 0,
      ...spec.upstreamOptions,
      log: (_name, line) => logs.push(`${name}: ${line}`),
    }),
  )
  const routing: Router = router({ ...spec.router, log: (line) => logs.push(line) })
  const proxy = createProxy({ terminal: forward(ups), onError: (error) => errors.push(error) })
  proxy.use(...(spec.before ?? []), routing)
  const server = await serveHttp(proxy, { port: 0 })
  return {
    url: server.url,
    logs,
    errors,
    router: routing,
    upstreams: ups,
    async close() {
      await server.close()
      await proxy.close()
    },
  }
}

export type Gateway = Awaited<ReturnType<typeof startGateway>>

/** The SDK's real client, connected to `url`. */
export async function connect(url: string, name = 'router-test'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' }, { capabilities: {} })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  return client
}

/** Text of the first content block of a result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content
  return content?.[0]?.text ?? ''
}
