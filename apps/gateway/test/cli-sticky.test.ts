// Issue 16, item 1's simpler alternative: sticky sessions at the load balancer, and no session
// registry. A real HAProxy (Debian's package, installed when missing, as root) in front of two
// gateway processes that share nothing. Its `mcp` frontend has the stick table that
// docs/scaling-out.md gives: it learns each session's replica from the `Mcp-Session-Id` of the
// initialize answer. Its `plain` frontend balances the same way without the table. The
// balancing is round robin rather than the docs' leastconn, so that a session's requests would
// spread if nothing kept them together.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ensureDebianTool,
  faultyBinPath,
  freePort,
  runProcess,
  type StartedProcess,
  startProcess,
} from '@mcpx/test-utils'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  call,
  openSession,
  type Replicas,
  samplingClient,
  startReplicas,
  text,
} from './fixtures/replicas.js'

const config = {
  upstreams: {
    faulty: { command: process.execPath, args: [faultyBinPath('stdio')], mode: 'per-session' },
  },
}

function haproxyConfig(sticky: number, plain: number, [a, b]: readonly string[]): string {
  const servers = [`    server a ${new URL(a!).host}`, `    server b ${new URL(b!).host}`]
  return [
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 60s',
    '    timeout server 60s',
    'frontend mcp',
    `    bind 127.0.0.1:${sticky}`,
    '    default_backend mcpx_gateways',
    'backend mcpx_gateways',
    '    balance roundrobin',
    '    stick-table type string len 64 size 1m expire 30m',
    '    stick on req.hdr(mcp-session-id)',
    '    stick store-response res.hdr(mcp-session-id)',
    ...servers,
    'frontend plain',
    `    bind 127.0.0.1:${plain}`,
    '    default_backend mcpx_spread',
    'backend mcpx_spread',
    '    balance roundrobin',
    ...servers,
    '',
  ].join('\n')
}

let dir: string
let replicas: Replicas
let haproxy: StartedProcess
let sticky: string
let plain: string

beforeAll(async () => {
  const binary = await ensureDebianTool({
    binary: 'haproxy',
    pkg: 'haproxy',
    howToInstall:
      'haproxy is needed by the sticky-session test: `sudo apt-get install -y haproxy` (Debian, Ubuntu), `brew install haproxy` (macOS). As root with apt-get, the test installs it itself.',
  })
  replicas = await startReplicas(config, ['gateway A', 'gateway B'])
  dir = await mkdtemp(join(tmpdir(), 'mcpx-haproxy-'))
  const [stickyPort, plainPort] = [await freePort(), await freePort()]
  const file = join(dir, 'haproxy.cfg')
  await writeFile(file, haproxyConfig(stickyPort, plainPort, replicas.urls))
  sticky = `http://127.0.0.1:${stickyPort}/mcp`
  plain = `http://127.0.0.1:${plainPort}/mcp`
  const checked = await runProcess(binary, ['-c', '-f', file], { timeoutMs: 10_000 })
  expect(checked.code, checked.stdout + checked.stderr).toBe(0)
  // -db: in the foreground, logging to stderr.
  haproxy = startProcess(binary, ['-db', '-f', file], { name: 'haproxy', ready: { url: plain } })
  await haproxy.ready
}, 600_000) // an apt-get install of haproxy on a fresh machine included
afterAll(async () => {
  await haproxy?.stop()
  await replicas?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('two gateways without a registry behind HAProxy', () => {
  it('serve every request of a session on the replica that answered its initialize, when HAProxy sticks on Mcp-Session-Id', async () => {
    // Every request meets the balancer: calls, a sampling round trip, and the state that one
    // upstream session holds.
    const client = samplingClient()
    await client.connect(new StreamableHTTPClientTransport(new URL(sticky)))
    try {
      await client.callTool({ name: 'stateful_set', arguments: { key: 'k', value: 'kept' } })
      for (let i = 0; i < 3; i++) {
        const got = await client.callTool({ name: 'stateful_get', arguments: { key: 'k' } })
        expect(text(got)).toBe('kept')
      }
      const sampled = await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } })
      expect(text(sampled)).toBe('sampled on the client')
    } finally {
      await client.close()
    }
    // Sessions opened one after the other (round robin: on A, then B) each stay where they are.
    const sessions = [await openSession(sticky), await openSession(sticky)]
    for (let i = 0; i < 4; i++) {
      for (const session of sessions) {
        expect((await call(sticky, session, 'echo', { text: `${i}` })).status).toBe(200)
      }
    }
  })

  it('lose the session without the stick table: round robin sends its next request to the other replica, which answers 404', async () => {
    const client = samplingClient()
    // initialize reaches one replica, notifications/initialized the other.
    await expect(client.connect(new StreamableHTTPClientTransport(new URL(plain)))).rejects.toThrow(
      /404|Session not found/,
    )
    await client.close()
    expect(replicas.alive()).toEqual([undefined, undefined])
  })
})
