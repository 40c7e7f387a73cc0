import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createProxy } from '@mcpx/core'
import { e2eBinPath } from '@mcpx/test-utils'
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

const fixtures: ChildProcess[] = []

/** Stop the fixture servers this file started. */
export function stopFixtures(): void {
  for (const child of fixtures.splice(0)) child.kill()
}

/**
 * The e2e fixture served over Streamable HTTP by a real child process; the
 * child is started once per test file and killed when the test process exits.
 */
export function fixtureHttp(): Connector {
  let url: string | undefined
  const child = spawn(process.execPath, [e2eBinPath('http'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  fixtures.push(child)
  const ready = new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk
      const match = /LISTENING (\S+)/.exec(out)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)))
  })
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
      url ??= await ready
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
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === process.pid) pids.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return pids
}
