import { readdirSync, readFileSync } from 'node:fs'
import { createProxy } from '@mcpx/core'
import { e2eBinPath } from '@mcpx/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Connector } from '../src/channel.js'
import { forward } from '../src/forward.js'
import { type ServeHttpOptions, serveHttp } from '../src/node.js'
import { stdio } from '../src/stdio.js'
import { type UpstreamMode, upstream } from '../src/upstream.js'

/** The e2e fixture as a real child process. */
export function fixtureStdio(): Connector {
  return stdio({ command: process.execPath, args: [e2eBinPath('stdio')] })
}

/** A gateway in this process: proxy + forward + Streamable HTTP front end on 127.0.0.1:0. */
export async function startGateway(connector: Connector, mode: UpstreamMode, http: ServeHttpOptions = {}) {
  const logs: string[] = []
  const up = upstream('fixture', connector, { mode, log: (_name, line) => logs.push(line) })
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

/** Wait until `check` returns true, polling; throws after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`condition not met within ${ms} ms`)
}
