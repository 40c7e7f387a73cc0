#!/usr/bin/env node
// Throughput through two gateway replicas sharing a session registry in Redis
// (issue 16), side by side in one run with one replica alone and with one plain
// HTTP hop: the cost of the registry's forwarding. Replicas A and B, each its own
// process with a shared stdio echo upstream (upstreams/echo-min.mjs) and the
// registry on; a real redis-server from @mcpx/test-utils. N virtual clients open
// their sessions on A, then call `tools/call echo` in a closed loop:
//
//   - plain:       a third replica without the registry, the single-replica path
//   - alone:       every call to A (the registry on, nothing forwarded)
//   - hop:         every call through H, a minimal keep-alive HTTP reverse proxy in
//                  front of A (its own process): what one extra loopback hop costs
//   - forwarded:   every call to B, which forwards it to A (the session's owner)
//   - alternating: every other call to B (forwarded), the rest to A
//   - alt-hop:     every other call through H, the rest to A
//
// Issue 16's bar: forwarding costs no more than one extra loopback hop. It holds
// when forwarded serves at least 0.9× hop's throughput and alternating at least
// 0.9× alt-hop's (0.9: the noise of one 2-core machine running five processes).
// Beside it, the CPU each process on the path spends per request (from
// /proc/<pid>/stat): the owner (A) and the front process (B or H). The phases
// run in rounds (default 3), each round all six in turn, the order of the
// forwarding and hop phases swapped every other round; the table shows each
// phase's median over the rounds and the ratios are medians of the per-round
// ratios. Only the ratios mean anything (the machine's load moves absolute
// figures). Each phase is bounded by a time and a request budget; the defaults
// take about 50 s.
//
// Its own closed loop (lib/load.mjs's prepare() sends each client's requests to one
// origin, and this needs every other one elsewhere); answers are checked with
// lib/load.mjs's findMessage.
//
//   node packages/bench/src/replicas.mjs [--concurrency 8] [--duration 2] [--rounds 3] [--requests 50000]
//                                        [--cpu-prof-dir DIR]   (V8 profiles of the replicas and the hop)
//   node packages/bench/src/replicas.mjs --replica [--no-registry]   (one replica; used by the above)
//   node packages/bench/src/replicas.mjs --hop <origin>             (the plain hop; used by the above)

import { Agent, createServer, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { readStat, startProcess } from '@mcpx/test-utils'
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

/**
 * One plain HTTP hop: a reverse proxy in front of `target` that does nothing but
 * pass requests and answers through, over keep-alive connections, as cheaply as
 * Node's http module allows (the headers as they came, no checks). The baseline
 * the registry's forward is held against.
 * @param {string} target
 */
async function hop(target) {
  const to = new URL(target)
  const agent = new Agent({ keepAlive: true, scheduling: 'lifo', noDelay: true })
  const server = createServer((req, res) => {
    const out = request(
      {
        hostname: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    out.on('error', () => {
      if (res.headersSent) res.destroy()
      else res.writeHead(502).end()
    })
    req.pipe(out)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port
  process.stdout.write(`LISTENING http://127.0.0.1:${port}/mcp\n`)
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

/** CPU seconds `pid` has used so far (itself, not its children), from /proc. */
function cpuSeconds(/** @type {number} */ pid) {
  const stat = readStat(pid)
  if (stat === null) throw new Error(`no /proc/${pid}/stat: the CPU figures need Linux`)
  return stat.ticks / CLOCK_TICKS
}

/** USER_HZ: the unit of /proc/<pid>/stat's times on every Linux Node runs on. */
const CLOCK_TICKS = 100

/** The median of `values` (not empty). */
function median(/** @type {number[]} */ values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function orchestrate() {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string', default: '8' },
      duration: { type: 'string', default: '2' },
      requests: { type: 'string', default: '50000' },
      rounds: { type: 'string', default: '3' },
      timeout: { type: 'string', default: '10' },
      'cpu-prof-dir': { type: 'string' },
    },
  })
  // `--cpu-prof-dir DIR`: each replica and the hop write a V8 CPU profile there when they stop.
  const node = values['cpu-prof-dir']
    ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}`]
    : []
  const concurrency = Number(values.concurrency)
  const rounds = Number(values.rounds)
  const budget = {
    durationMs: Number(values.duration) * 1000,
    maxRequests: Number(values.requests),
  }
  const redis = await startRedis()
  const self = new URL(import.meta.url).pathname
  const env = { ...process.env, REDIS_URL: redis.url }
  /** @type {import('@mcpx/test-utils').StartedProcess[]} */
  const started = ['A', 'B', 'plain'].map((name) =>
    startProcess(
      process.execPath,
      [...node, self, '--replica', ...(name === 'plain' ? ['--no-registry'] : [])],
      { name: `replica ${name}`, env },
    ),
  )
  /** @type {Pool[]} */
  let pools = []
  try {
    const urls = await Promise.all(started.map((proc) => proc.ready))
    const H = startProcess(process.execPath, [...node, self, '--hop', new URL(urls[0]).origin], {
      name: 'hop',
      env,
    })
    started.push(H)
    urls.push(await H.ready)
    pools = urls.map((url) => new Pool(new URL(url).origin, { connections: concurrency }))
    const [poolA, poolB, poolP, poolH] = /** @type {Pool[]} */ (pools)
    const [procA, procB, , procH] = started
    const timeoutMs = Number(values.timeout) * 1000
    const clients = Array.from({ length: concurrency }, (_, i) => new VirtualClient(i, timeoutMs))
    const plainClients = Array.from(
      { length: concurrency },
      (_, i) => new VirtualClient(i, timeoutMs),
    )
    await Promise.all(clients.map((client) => client.open(poolA)))
    await Promise.all(plainClients.map((client) => client.open(poolP)))
    let turn = 0
    const alternate = (/** @type {Pool} */ other) => () => (turn++ % 2 === 0 ? poolA : other)
    /** Each phase: its clients, where each call goes, and the processes whose CPU it reports. */
    const phases = {
      plain: { clients: plainClients, pick: () => poolP, front: undefined },
      alone: { clients, pick: () => poolA, front: undefined },
      hop: { clients, pick: () => poolH, front: procH },
      forwarded: { clients, pick: () => poolB, front: procB },
      alternating: { clients, pick: alternate(poolB), front: procB },
      'alt-hop': { clients, pick: alternate(poolH), front: procH },
    }
    /** @type {(keyof typeof phases)[][]} the two orders, taken in turn: each twin goes first once */
    const orders = [
      ['plain', 'alone', 'hop', 'forwarded', 'alternating', 'alt-hop'],
      ['plain', 'alone', 'forwarded', 'hop', 'alt-hop', 'alternating'],
    ]
    // Warm every path (keep-alive sockets, the JIT) outside the measured phases.
    const warm = { durationMs: 500, maxRequests: 2000 }
    for (const p of Object.values(phases)) await phase(p.clients, p.pick, warm)
    /** @type {Record<string, { reqPerSec: number, p50: number, p99: number, errors: number, ownerCpu: number, frontCpu: number }[]>} */
    const results = Object.fromEntries(Object.keys(phases).map((name) => [name, []]))
    let errorSample = ''
    for (let round = 0; round < rounds; round++) {
      for (const name of orders[round % 2]) {
        const p = phases[name]
        const owner = name === 'plain' ? started[2] : procA
        const before = [cpuSeconds(owner.pid), p.front ? cpuSeconds(p.front.pid) : 0]
        const r = await phase(p.clients, p.pick, budget)
        const after = [cpuSeconds(owner.pid), p.front ? cpuSeconds(p.front.pid) : 0]
        const perRequest = (/** @type {number} */ i) => ((after[i] - before[i]) * 1e6) / r.ok
        results[name].push({ ...r, ownerCpu: perRequest(0), frontCpu: perRequest(1) })
        if (r.samples.length && !errorSample) errorSample = `${name}: ${r.samples[0]}`
      }
    }
    const m = (/** @type {string} */ name, /** @type {string} */ key) =>
      median(results[name].map((r) => /** @type {any} */ (r)[key]))
    const ratio = (/** @type {string} */ a, /** @type {string} */ b, key = 'reqPerSec') =>
      median(
        results[a].map(
          (r, i) => /** @type {any} */ (r)[key] / /** @type {any} */ (results[b][i])[key],
        ),
      )
    console.log(
      `concurrency ${concurrency}, ${rounds} rounds of ${values.duration} s per phase, echo over a shared stdio upstream; medians over the rounds`,
    )
    console.log('phase          req/s   p50 ms  p99 ms  errors  owner CPU µs/req  front CPU µs/req')
    let errors = 0
    for (const name of Object.keys(phases)) {
      errors += results[name].reduce((sum, r) => sum + r.errors, 0)
      const front = phases[/** @type {keyof typeof phases} */ (name)].front
      console.log(
        `${name.padEnd(12)} ${m(name, 'reqPerSec').toFixed(0).padStart(7)}  ${m(name, 'p50').toFixed(2).padStart(6)}  ${m(name, 'p99').toFixed(2).padStart(6)}  ${String(results[name].reduce((sum, r) => sum + r.errors, 0)).padStart(6)}  ${m(name, 'ownerCpu').toFixed(1).padStart(16)}  ${front ? m(name, 'frontCpu').toFixed(1).padStart(16) : '               -'}`,
      )
    }
    if (errorSample) console.log(`first error: ${errorSample}`)
    const vsHop = ratio('forwarded', 'hop')
    const altVsHop = ratio('alternating', 'alt-hop')
    console.log(`alone / plain: ${ratio('alone', 'plain').toFixed(2)}× throughput`)
    console.log(
      `hop / alone: ${ratio('hop', 'alone').toFixed(2)}× throughput (one plain loopback hop)`,
    )
    console.log(`forwarded / hop: ${vsHop.toFixed(2)}× throughput`)
    console.log(`alternating / alt-hop: ${altVsHop.toFixed(2)}× throughput`)
    console.log(`alternating / alone: ${ratio('alternating', 'alone').toFixed(2)}× throughput`)
    console.log(
      `forwarded / hop, CPU per request: front ${ratio('forwarded', 'hop', 'frontCpu').toFixed(2)}×, owner ${ratio('forwarded', 'hop', 'ownerCpu').toFixed(2)}×`,
    )
    const pass = vsHop >= 0.9 && altVsHop >= 0.9
    console.log(
      `${pass ? 'PASS' : 'FAIL'}: forwarding costs no more than one extra loopback hop (forwarded ≥ 0.90× hop and alternating ≥ 0.90× alt-hop, in throughput)`,
    )
    process.exitCode = errors > 0 || !pass ? 1 : 0
  } finally {
    await Promise.all(pools.map((pool) => pool.destroy()))
    await Promise.all(started.map((proc) => proc.stop()))
    await redis.stop()
  }
}

const hopAt = process.argv.indexOf('--hop')
// An exit, not a kill, on the orchestrator's SIGTERM: `node --cpu-prof` writes its profile then.
if (process.argv.includes('--replica') || hopAt !== -1)
  process.once('SIGTERM', () => process.exit(0))
if (process.argv.includes('--replica')) await replica()
else if (hopAt !== -1) await hop(/** @type {string} */ (process.argv[hopAt + 1]))
else await orchestrate()
