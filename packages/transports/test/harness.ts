import { createProxy } from '@mcpx/core'
import { descendants, e2eBinPath, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { forward } from '../src/forward.js'
import { type ServeHttpOptions, serveHttp } from '../src/node.js'
import type { Connector } from '../src/protocol/channel.js'
import { stdio } from '../src/stdio.js'
import { streamableHttp } from '../src/upstream/streamable-http.js'
import { type UpstreamMode, type UpstreamOptions, upstream } from '../src/upstream/upstream.js'

/** The e2e fixture as a real child process. */
export function fixtureStdio(): Connector {
  return stdio({ command: process.execPath, args: [e2eBinPath('stdio')] })
}

const fixtures: StartedProcess[] = []

/** Stop the fixture servers this file started. */
export function stopFixtures(): void {
  for (const fixture of fixtures.splice(0)) void fixture.stop()
}

/**
 * The e2e fixture served over Streamable HTTP by a real child process; the
 * child is started once per test file and killed when the test process exits.
 */
export function fixtureHttp(): Connector {
  let url: string | undefined
  const fixture = startProcess(process.execPath, [e2eBinPath('http'), '--port', '0'], {
    name: 'e2e fixture (http)',
  })
  fixtures.push(fixture)
  // The connector is made lazily, once the child says where it listens.
  let inner: Connector | undefined
  return {
    transport: 'streamable-http',
    relatesRequests: true,
    describe: 'e2e fixture (http)',
    open() {
      if (!inner) throw new Error('fixtureHttp: await fixtureReady() first')
      return inner.open()
    },
    async ready() {
      url ??= await fixture.ready
      inner ??= streamableHttp({ url })
    },
  } as Connector & { ready(): Promise<void> }
}

/** The Accept header a Streamable HTTP POST must carry. */
export const ACCEPT = 'application/json, text/event-stream'

/** A raw initialize request, as a JSON body. */
export const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
})

/** POST a raw initialize to `url` and read the answer: its status and the new session's id. */
export async function initialize(url: string): Promise<{ status: number; sessionId: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT },
    body: INIT,
  })
  const sessionId = response.headers.get('mcp-session-id')!
  await response.text()
  return { status: response.status, sessionId }
}

/** A gateway in this process: proxy + forward + Streamable HTTP front end on 127.0.0.1:0. */
export async function startGateway(
  connector: Connector,
  mode: UpstreamMode,
  http: ServeHttpOptions = {},
  options: Omit<UpstreamOptions, 'mode' | 'log'> = {},
) {
  await (connector as { ready?: () => Promise<void> }).ready?.()
  const logs: string[] = []
  const up = upstream('fixture', connector, {
    ...options,
    mode,
    log: (_name, line) => logs.push(line),
  })
  const errors: unknown[] = []
  const proxy = createProxy({ terminal: forward(up), onError: (error) => errors.push(error) })
  const server = await serveHttp(proxy, { port: 0, ...http })
  return {
    url: server.url,
    upstream: up,
    server,
    proxy,
    errors,
    logs,
    async close() {
      await server.close()
      await up.close()
    },
  }
}

export type Gateway = Awaited<ReturnType<typeof startGateway>>

/** The SDK's real client, declaring sampling, elicitation and roots. */
export async function connectClient(url: string): Promise<Client> {
  const client = new Client(
    { name: 'e2e-client', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } },
  )
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  return client
}

/** Text of the first content block of a tool result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content
  return content?.[0]?.text ?? ''
}

/** Direct children of this process (Linux /proc). */
export function childPids(): number[] {
  return descendants(process.pid)
    .filter((stat) => stat.ppid === process.pid)
    .map((stat) => stat.pid)
}
