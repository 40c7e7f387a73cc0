/**
 * Building blocks the transports tests share: per-test cleanups, polling,
 * servers on 127.0.0.1:0, echo and conformance upstreams, SDK clients, and
 * channel recorders. Register `afterEach(runCleanups)` in every file that
 * uses `cleanups` (or a helper here that closes things after the test).
 */
import { createServer, type RequestListener, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Context, createProxy, type McpProxy, type Message } from '@mcpx/core'
import { conformanceBinPath } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { WebSocket } from 'ws'
import type { Channel, ChannelEvents, Connector } from '../src/protocol/channel.js'
import { stdio } from '../src/stdio.js'
import { type Upstream, type UpstreamMode, upstream } from '../src/upstream/upstream.js'

/** What to undo after the current test, run last first by {@link runCleanups}. */
export const cleanups: (() => Promise<unknown> | void)[] = []

/** Run and forget every cleanup, last first: `afterEach(runCleanups)`. */
export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}

export { eventually } from '@mcpx/test-utils'

// The SDK's WebSocketClientTransport uses the global WebSocket, which Node 20 only has behind a flag.
const globals = globalThis as { WebSocket?: unknown }
let installedWebSocket = false

/** Give this runtime a global WebSocket (from `ws`) if it has none: `beforeAll(installWebSocketGlobal)`. */
export function installWebSocketGlobal(): void {
  if (globals.WebSocket !== undefined) return
  globals.WebSocket = WebSocket
  installedWebSocket = true
}

/** Take back the global WebSocket {@link installWebSocketGlobal} gave: `afterAll(removeWebSocketGlobal)`. */
export function removeWebSocketGlobal(): void {
  if (!installedWebSocket) return
  delete globals.WebSocket
  installedWebSocket = false
}

/** Drop every connection of `server` and close it. */
export function stopServer(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

/**
 * Listen on 127.0.0.1:0 and stop the server after the test.
 * Resolves to its base URL, `http://127.0.0.1:<port>` (or `ws://…`).
 */
export async function listen(server: Server, scheme: 'http' | 'ws' = 'http'): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => stopServer(server))
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A `node:http` server on 127.0.0.1:0 running `handler`; stopped after the test. Resolves to its base URL. */
export function serveRequests(handler: RequestListener): Promise<string> {
  return listen(createServer(handler))
}

/** The status of a request with a raw Host header, which fetch cannot set. */
export function statusWithHost(
  url: string,
  host: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? 'GET', headers: { ...init.headers, host } },
      (res) => {
        res.resume()
        resolve(res.statusCode!)
      },
    )
    req.on('error', reject)
    req.end(init.body)
  })
}

/** The JSON-RPC error code of a response body. */
export async function errorCode(response: Response): Promise<number> {
  return ((await response.json()) as { error: { code: number } }).error.code
}

/** The conformance fixture as a real child process behind an upstream; closed after the test. */
export function conformanceUpstream(mode: UpstreamMode = 'shared'): Upstream {
  const up = upstream(
    'fixture',
    stdio({ command: process.execPath, args: [conformanceBinPath('stdio')] }),
    {
      mode,
      log: () => {},
    },
  )
  cleanups.push(() => up.close())
  return up
}

/** A proxy that answers every request itself: `{ method }`, or whatever `answer` does. */
export function echoProxy(answer?: (ctx: Context) => Promise<void>): McpProxy {
  return createProxy({
    terminal: async (ctx) => {
      if (answer) await answer(ctx)
      if (ctx.result === undefined) ctx.result = { method: ctx.method }
    },
  })
}

/** Connect an SDK client (by default a bare one) over `transport`; closed after the test. */
export async function connectSdkClient(
  transport: Transport,
  client = new Client({ name: 'transports-test', version: '1.0.0' }),
): Promise<Client> {
  await client.connect(transport)
  cleanups.push(() => client.close())
  return client
}

/** An SDK client declaring sampling that answers every sampling request with `text`. */
export function samplingClient(text: string): Client {
  const client = new Client(
    { name: 'transports-test', version: '1.0.0' },
    { capabilities: { sampling: {} } },
  )
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    model: 'test-model',
    role: 'assistant' as const,
    content: { type: 'text' as const, text },
  }))
  return client
}

/** Channel events that record what arrives: messages, log lines, and the first close reason. */
export function recorder() {
  const messages: unknown[] = []
  const logs: string[] = []
  const state: { closed: string | undefined } = { closed: undefined }
  const events: ChannelEvents = {
    message: (message) => messages.push(message),
    close: (reason) => {
      state.closed ??= reason
    },
    log: (line) => logs.push(line),
  }
  return { messages, logs, state, events }
}

/**
 * `openChannel(url, options)` for a connector factory such as `sse` or `websocket`:
 * opens a channel to `url`, closed after the test.
 */
export function channelOpener<Options extends { url: string | URL }>(
  connector: (options: Options) => Connector,
): (url: string, options?: Omit<Options, 'url'>) => Channel {
  return (url, options) => {
    const channel = connector({ url, ...options } as Options).open()
    cleanups.push(() => channel.close())
    return channel
  }
}

/** A JSON-RPC ping request. */
export const ping = (id: number): Message => ({ jsonrpc: '2.0', id, method: 'ping' })
