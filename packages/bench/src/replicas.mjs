#!/usr/bin/env node
// Throughput through two gateway replicas sharing a session registry in Redis
// (issue 16), side by side in one run with one replica alone: the cost of the
// registry's forwarding hop. Two replicas (A, B), each its own process with a
// shared stdio echo upstream (upstreams/echo-min.mjs) and the registry on; a
// real redis-server from @mcpx/test-utils. N virtual clients open their
// sessions on A, then call `tools/call echo` in a closed loop:
//
//   - plain:       a third replica without the registry, the single-replica path
//   - alone:       every call to A (the registry on, nothing forwarded)
//   - alternating: every other call to B, which forwards it to A
//
// Its own closed loop (lib/load.mjs's prepare() sends each client's requests to one
// origin, and this needs every other one elsewhere); answers are checked with
// lib/load.mjs's findMessage. Only the ratios between the
// rows mean anything (the machine's load moves absolute figures). Each phase is
// bounded by a time and a request budget; the defaults make a ~10 s smoke
// (three 2 s phases, warm-ups, start-up).
//
//   node packages/bench/src/replicas.mjs [--concurrency 8] [--duration 2] [--requests 50000]
//   node packages/bench/src/replicas.mjs --replica [--no-registry]   (one replica; used by the above)

import { createServer } from 'node:http'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { startProcess } from '@mcpx/test-utils'
import { startRedis } from '@mcpx/test-utils/redis'
import { Pool } from 'undici'
import { findMessage } from './lib/load.mjs'
import { upstreams } from './lib/targets.mjs'

const SECRET = 'bench-replicas-shared-secret'
const PROTOCOL_VERSION = '2025-06-18'
const ACCEPT = 'application/json, text/event-stream'

async function replica() {
  const { createProxy } = await import('@mcpx/core')
  const { forward, upstream } = await import('@mcpx/transports')
  const { createStreamableHttpHandler } = await import('@mcpx/transports/node')
  const { redisSessionDirectory } = await import('@mcpx/transports/redis')
  const { stdio } = await import('@mcpx/transports/stdio')
  const { Redis } = await import('ioredis')
  const client = new Redis(/** @type {string} */ (process.env.REDIS_URL), {
    enableOfflineQueue: false,
    socketTimeout: 1000,
  })
  client.on('error', () => {})
  await new Promise((resolve) => client.once('ready', resolve))
  const echo = stdio({ command: process.execPath, args: [upstreams.min] })
  const proxy = createProxy({ terminal: forward(upstream('echo', echo, { mode: 'shared' })) })
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const origin = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`
  const registry = process.argv.includes('--no-registry')
    ? undefined
    : { directory: redisSessionDirectory({ client }), self: origin, secret: SECRET }
  const mcp = createStreamableHttpHandler(proxy, { path: '/mcp', registry })
  server.on('request', mcp)
  process.stdout.write(`LISTENING ${origin}/mcp\n`)
}

/** One virtual client: a session opened on `home`, calls sent where `pick(n)` says. */
class VirtualClient {
  /** @param {number} index @param {number} timeoutMs */
  constructor(index, timeoutMs) {
    this.index = index
    this.timeoutMs = timeoutMs
    this.seq = 0
    /** @type {Record<string, string>} */
    this.headers = { 'content-type': 'application/json', accept: ACCEPT }
  }

  /** @param {Pool} pool @param {string} body */
  async post(pool, body) {
    const r = await pool.request({
      path: '/mcp',
      method: 'POST',
      headers: this.headers,
      body,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    })
    const text = await r.body.text()
    return {
      status: r.statusCode,
      contentType: String(r.headers['content-type'] ?? ''),
      sessionId: /** @type {string | undefined} */ (r.headers['mcp-session-id']),
      body: text,
    }
  }

  /** @param {Pool} home */
  async open(home) {
    const init = await this.post(
      home,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'mcpx-bench-replicas', version: '0.0.0' },
        },
      }),
    )
    if (init.status !== 200 || !init.sessionId) throw new Error(`initialize: HTTP ${init.status}`)
    this.headers['mcp-session-id'] = init.sessionId
    this.headers['mcp-protocol-version'] = PROTOCOL_VERSION
    const note = await this.post(home, '{"jsonrpc":"2.0","method":"notifications/initialized"}')
    if (note.status !== 202) throw new Error(`notifications/initialized: HTTP ${note.status}`)
  }

  /** @param {Pool} pool @returns {Promise<string | undefined>} why the answer is wrong */
  async call(pool) {
    const id = ++this.seq
    const text = `c${this.index}:${id}`
    const r = await this.post(
      pool,
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"${text}"}}}`,
    )
    if (r.status !== 200) return `HTTP ${r.status} ${r.body.slice(0, 120)}`
    const msg = findMessage(r.contentType, r.body, id)
    if (msg?.result?.content?.[0]?.text !== text) return `wrong answer ${r.body.slice(0, 120)}`
    return undefined
  }
}

/**
 * The closed loop: every client calls until the budgets are spent.
 * @param {VirtualClient[]} clients
 * @param {(client: VirtualClient) => Pool} pick
 * @param {{ durationMs: number, maxRequests: number }} o
 */
async function phase(clients, pick, o) {
  const latencies = new Float64Array(o.maxRequests)
  let issued = 0
  let ok = 0
  let errors = 0
  /** @type {string[]} */
  const samples = []
  const t0 = performance.now()
  const deadline = t0 + o.durationMs
  await Promise.all(
    clients.map(async (client) => {
      while (issued < o.maxRequests && performance.now() < deadline) {
        issued++
        const start = performance.now()
        const why = await client.call(pick(client)).catch((e) => String(e))
        if (why === undefined) latencies[ok++] = performance.now() - start
        else {
          errors++
          if (samples.length < 3) samples.push(why)
          await new Promise((r) => setTimeout(r, 10))
        }
      }
    }),
  )
  const elapsed = performance.now() - t0
  const sorted = latencies.subarray(0, ok).sort()
  const at = (/** @type {number} */ q) => sorted[Math.min(ok - 1, Math.ceil(q * ok) - 1)] ?? NaN
  return {
    ok,
    errors,
    samples,
    reqPerSec: (ok * 1000) / elapsed,
    p50: at(0.5),
    p99: at(0.99),
  }
}

async function orchestrate() {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string', default: '8' },
      duration: { type: 'string', default: '2' },
      requests: { type: 'string', default: '50000' },
      timeout: { type: 'string', default: '10' },
    },
  })
  const concurrency = Number(values.concurrency)
  const budget = {
    durationMs: Number(values.duration) * 1000,
    maxRequests: Number(values.requests),
  }
  const redis = await startRedis()
  const self = new URL(import.meta.url).pathname
  const started = ['A', 'B', 'plain'].map((name) =>
    startProcess(
      process.execPath,
      [self, '--replica', ...(name === 'plain' ? ['--no-registry'] : [])],
      {
        name: `replica ${name}`,
        env: { ...process.env, REDIS_URL: redis.url },
      },
    ),
  )
  /** @type {Pool[]} */
  let pools = []
  try {
    const urls = await Promise.all(started.map((proc) => proc.ready))
    pools = urls.map((url) => new Pool(new URL(url).origin, { connections: concurrency }))
    const [A, B, P] = /** @type {Pool[]} */ (pools)
    const clients = Array.from(
      { length: concurrency },
      (_, i) => new VirtualClient(i, Number(values.timeout) * 1000),
    )
    const plainClients = Array.from(
      { length: concurrency },
      (_, i) => new VirtualClient(i, Number(values.timeout) * 1000),
    )
    await Promise.all(clients.map((client) => client.open(A)))
    await Promise.all(plainClients.map((client) => client.open(P)))
    // Warm both paths (the forwarder's keep-alive sockets, the JIT) outside the measured phases.
    let turn = 0
    const warm = { durationMs: 500, maxRequests: 2000 }
    await phase(clients, () => (turn++ % 2 === 0 ? A : B), warm)
    await phase(plainClients, () => P, warm)
    const alone = await phase(clients, () => A, budget)
    const plain = await phase(plainClients, () => P, budget)
    const alternating = await phase(clients, () => (turn++ % 2 === 0 ? A : B), budget)
    const rows = { plain, alone, alternating }
    console.log(
      `concurrency ${concurrency}, ${values.duration} s per phase, echo over a shared stdio upstream`,
    )
    console.log('phase        req/s     p50 ms  p99 ms  errors')
    for (const [name, r] of Object.entries(rows)) {
      console.log(
        `${name.padEnd(12)} ${r.reqPerSec.toFixed(0).padStart(7)}  ${r.p50.toFixed(2).padStart(6)}  ${r.p99.toFixed(2).padStart(6)}  ${r.errors}${r.samples.length ? ` (${r.samples[0]})` : ''}`,
      )
    }
    console.log(
      `alternating / alone: ${(alternating.reqPerSec / alone.reqPerSec).toFixed(2)}× throughput`,
    )
    console.log(`alone / plain: ${(alone.reqPerSec / plain.reqPerSec).toFixed(2)}× throughput`)
    process.exitCode = plain.errors + alone.errors + alternating.errors > 0 ? 1 : 0
  } finally {
    await Promise.all(pools.map((pool) => pool.destroy()))
    await Promise.all(started.map((proc) => proc.stop()))
    await redis.stop()
  }
}

if (process.argv.includes('--replica')) await replica()
else await orchestrate()
