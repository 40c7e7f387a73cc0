// Closed-loop load generator for MCP Streamable HTTP (the library; src/loadgen.mjs
// is the process the orchestrator starts).
//
// N virtual clients, each with its own MCP session: POST initialize, read
// Mcp-Session-Id, POST notifications/initialized, then `tools/call echo` in a loop,
// one request in flight per client, until the request budget or the time budget is
// spent. Every answer is checked (status, JSON-RPC id, echoed text); bodies may be
// application/json or text/event-stream.
//
// It is kept lean on purpose (undici `dispatch` with a reused handler per client, no
// streams, latencies in a preallocated Float64Array): a generator that saturates its
// own core caps every fast target, so it reports its own CPU time.

import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'

const PROTOCOL_VERSION = '2025-06-18'
const ACCEPT = 'application/json, text/event-stream'
const MAX_ERROR_SAMPLES = 5

/**
 * @typedef {object} RunOptions
 * @property {string} url               Streamable HTTP endpoint
 * @property {number} concurrency       virtual clients (one session and one connection each)
 * @property {number} maxRequests       request budget for the measured loop
 * @property {number} durationMs        time budget for the measured loop
 * @property {number} requestTimeoutMs  per-request headers/body timeout
 * @property {Record<string, string>} [headers]  sent with every request (`authorization` for a
 *   gateway with auth on); a refusal (401, 429) is not HTTP 200 and counts as an error
 * @property {string[]} [tools]  tool names to call, client i calling tools[i % length]
 *   (namespaced names behind a router); default `['echo']`
 * @property {number} [setupTimeoutMs]  budget for opening all sessions (default 30 s: a
 *   stateful peer may spawn one upstream child per session, and 32 of them take a while)
 */

/**
 * Extracts the JSON-RPC message with the given id from a response body.
 * @param {string} contentType
 * @param {string} body
 * @param {number} id
 * @returns {any}
 */
export function findMessage(contentType, body, id) {
  if (contentType.startsWith('application/json')) {
    const msg = JSON.parse(body)
    if (Array.isArray(msg)) return msg.find((m) => m.id === id)
    return msg
  }
  if (contentType.startsWith('text/event-stream')) {
    // SSE: events end with a blank line; an event's data is its `data:` lines joined
    // by '\n'. Other messages (notifications) may precede the response.
    let data = ''
    for (const raw of body.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
      if (line === '') {
        if (data !== '') {
          const msg = JSON.parse(data)
          if (msg.id === id) return msg
          data = ''
        }
      } else if (line.startsWith('data:')) {
        const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5)
        data = data === '' ? value : data + '\n' + value
      }
    }
    if (data !== '') {
      const msg = JSON.parse(data)
      if (msg.id === id) return msg
    }
    return undefined
  }
  throw new Error(`unexpected content-type ${JSON.stringify(contentType)}`)
}

/**
 * One HTTP exchange with a handler reused for every request of a virtual client.
 * It implements undici's original handler interface (onConnect/onHeaders/onData/
 * onComplete/onError) rather than the newer controller one: that one is wrapped per
 * request and parses every header into an object, which costs the generator CPU it
 * cannot spare. Only two headers are ever read, so they are picked from the raw list.
 * Resolves with status, content-type, session id and the body; never rejects.
 */
class Exchange {
  constructor() {
    /** @type {(value: Answer) => void} */
    this.resolve = () => {}
    this.status = 0
    this.contentType = ''
    /** @type {string | undefined} */
    this.sessionId = undefined
    /** @type {Buffer[]} */
    this.chunks = []
  }

  /**
   * @param {Pool} pool
   * @param {import('undici').Dispatcher.DispatchOptions} opts
   * @returns {Promise<Answer>}
   */
  run(pool, opts) {
    this.status = 0
    this.contentType = ''
    this.sessionId = undefined
    this.chunks.length = 0
    return new Promise((resolve) => {
      this.resolve = resolve
      pool.dispatch(opts, /** @type {any} */ (this))
    })
  }

  onConnect() {}

  /** @param {number} status @param {Buffer[]} raw */
  onHeaders(status, raw) {
    this.status = status
    for (let i = 0; i < raw.length; i += 2) {
      const len = raw[i].length
      if (len === 12 && raw[i].toString('latin1').toLowerCase() === 'content-type') {
        this.contentType = raw[i + 1].toString('latin1')
      } else if (len === 14 && raw[i].toString('latin1').toLowerCase() === 'mcp-session-id') {
        this.sessionId = raw[i + 1].toString('latin1')
      }
    }
    return true
  }

  /** @param {Buffer} chunk */
  onData(chunk) {
    this.chunks.push(chunk)
    return true
  }

  onComplete() {
    const { chunks } = this
    const body =
      chunks.length === 0
        ? ''
        : chunks.length === 1
          ? chunks[0].toString()
          : Buffer.concat(chunks).toString()
    this.resolve({
      status: this.status,
      contentType: this.contentType,
      sessionId: this.sessionId,
      body,
    })
  }

  /** @param {Error} error */
  onError(error) {
    this.resolve({
      status: this.status,
      contentType: this.contentType,
      sessionId: undefined,
      body: '',
      error,
    })
  }
}

/**
 * @typedef {object} Answer
 * @property {number} status
 * @property {string} contentType
 * @property {string | undefined} sessionId
 * @property {string} body
 * @property {Error} [error]
 */

class VirtualClient {
  /**
   * @param {Pool} pool
   * @param {string} path
   * @param {number} index
   * @param {number} timeoutMs
   * @param {Record<string, string>} [extra]
   * @param {string} [tool]
   */
  constructor(pool, path, index, timeoutMs, extra = {}, tool = 'echo') {
    this.pool = pool
    this.path = path
    this.index = index
    this.timeoutMs = timeoutMs
    this.exchange = new Exchange()
    /** @type {Record<string, string>} */
    this.headers = {
      'content-type': 'application/json',
      accept: ACCEPT,
      ...extra,
    }
    this.tool = tool
    /** @type {string | undefined} */
    this.sessionId = undefined
    this.seq = 0
  }

  /** @param {string} body @param {number} [timeoutMs] */
  post(body, timeoutMs = this.timeoutMs) {
    return this.exchange.run(this.pool, {
      path: this.path,
      method: 'POST',
      headers: this.headers,
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
  }

  /** @param {number} timeoutMs */
  async open(timeoutMs) {
    const init = await this.post(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'mcpx-bench-loadgen', version: '0.0.0' },
        },
      }),
      timeoutMs,
    )
    if (init.error) throw new Error(`initialize: ${init.error.message}`)
    if (init.status !== 200)
      throw new Error(`initialize: HTTP ${init.status} ${init.body.slice(0, 200)}`)
    const msg = findMessage(init.contentType, init.body, 0)
    if (!msg?.result?.protocolVersion)
      throw new Error(`initialize: bad answer ${init.body.slice(0, 200)}`)
    // Stateless servers (supergateway's default mode) issue no session id.
    this.sessionId = init.sessionId
    if (this.sessionId !== undefined) this.headers['mcp-session-id'] = this.sessionId
    this.headers['mcp-protocol-version'] = PROTOCOL_VERSION
    const note = await this.post(
      '{"jsonrpc":"2.0","method":"notifications/initialized"}',
      timeoutMs,
    )
    if (note.error) throw new Error(`notifications/initialized: ${note.error.message}`)
    if (note.status !== 202 && note.status !== 200 && note.status !== 204) {
      throw new Error(`notifications/initialized: HTTP ${note.status} ${note.body.slice(0, 200)}`)
    }
  }

  /**
   * One tools/call; returns undefined when the answer is right, else why not.
   * @param {string} tag
   * @returns {Promise<string | undefined>}
   */
  async call(tag) {
    const id = ++this.seq
    const text = `${tag}:${this.index}:${id}`
    const r = await this.post(
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${this.tool}","arguments":{"text":"${text}"}}}`,
    )
    if (r.error) return `${r.error.name}: ${r.error.message}`
    if (r.status !== 200) return `HTTP ${r.status} ${r.body.slice(0, 120)}`
    let msg
    try {
      msg = findMessage(r.contentType, r.body, id)
    } catch (e) {
      return `unparseable answer: ${/** @type {Error} */ (e).message}`
    }
    if (msg === undefined) return `no answer with id ${id} in ${r.body.slice(0, 120)}`
    if (msg.id !== id) return `wrong id ${msg.id} (expected ${id})`
    if (msg.result?.content?.[0]?.text !== text)
      return `wrong answer ${JSON.stringify(msg).slice(0, 160)}`
    return undefined
  }

  async close() {
    if (this.sessionId === undefined) return
    await this.exchange.run(this.pool, {
      path: this.path,
      method: 'DELETE',
      headers: this.headers,
      headersTimeout: 2000,
      bodyTimeout: 2000,
    })
  }
}

/**
 * Nearest-rank percentile of an ascending array.
 * @param {Float64Array} sorted
 * @param {number} q in (0, 1]
 */
function percentile(sorted, q) {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}

/**
 * Opens the sessions; returns a function that runs the measured loop.
 * @param {RunOptions} o
 */
export async function prepare(o) {
  const url = new URL(o.url)
  const pool = new Pool(url.origin, {
    connections: o.concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
  })
  const clients = Array.from(
    { length: o.concurrency },
    (_, i) =>
      new VirtualClient(
        pool,
        url.pathname + url.search,
        i,
        o.requestTimeoutMs,
        o.headers,
        o.tools?.[i % o.tools.length],
      ),
  )
  const setupTimeoutMs = o.setupTimeoutMs ?? 30_000
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`session set-up exceeded ${setupTimeoutMs} ms`)),
      setupTimeoutMs,
    )
  })
  try {
    await Promise.race([Promise.all(clients.map((c) => c.open(setupTimeoutMs))), timeout])
  } catch (e) {
    await pool.destroy()
    throw new Error(`session set-up: ${/** @type {Error} */ (e).message}`)
  } finally {
    clearTimeout(timer)
  }

  async function run() {
    const latencies = new Float64Array(o.maxRequests)
    /** @type {string[]} */
    const errorSamples = []
    let issued = 0
    let ok = 0
    let errors = 0
    const tag = `r${process.pid}`
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const deadline = t0 + o.durationMs
    let last = t0

    /** @param {VirtualClient} c */
    async function loop(c) {
      while (issued < o.maxRequests && performance.now() < deadline) {
        issued++
        const start = performance.now()
        const why = await c.call(tag)
        const end = performance.now()
        last = end
        if (why === undefined) {
          latencies[ok++] = end - start
        } else {
          errors++
          if (errorSamples.length < MAX_ERROR_SAMPLES) errorSamples.push(why)
          // A failing target must not turn the loop into a busy spin.
          await new Promise((r) => setTimeout(r, 10))
        }
      }
    }

    // Requests still in flight at the deadline get their own timeout to finish; the
    // pool is destroyed after that so the run is bounded whatever the target does.
    let hard
    const hardStop = new Promise((resolve) => {
      hard = setTimeout(resolve, o.durationMs + o.requestTimeoutMs + 1000)
    })
    await Promise.race([Promise.all(clients.map(loop)), hardStop])
    clearTimeout(hard)
    const cpu = process.cpuUsage(cpu0)
    const elapsedMs = last - t0
    const sorted = latencies.subarray(0, ok).sort()
    const completed = ok + errors
    const genCpuUs = cpu.user + cpu.system
    return {
      concurrency: o.concurrency,
      issued,
      ok,
      errors,
      unfinished: issued - completed,
      errorSamples,
      elapsedMs,
      reqPerSec: elapsedMs > 0 ? (ok * 1000) / elapsedMs : 0,
      latencyMs: {
        p50: percentile(sorted, 0.5),
        p90: percentile(sorted, 0.9),
        p99: percentile(sorted, 0.99),
        max: percentile(sorted, 1),
        mean: ok > 0 ? sorted.reduce((a, b) => a + b, 0) / ok : Number.NaN,
      },
      loadgen: {
        cpuUs: genCpuUs,
        cpuUsPerRequest: completed > 0 ? genCpuUs / completed : Number.NaN,
        coreUtilisation: elapsedMs > 0 ? genCpuUs / 1000 / elapsedMs : Number.NaN,
      },
    }
  }

  async function close() {
    await Promise.race([
      Promise.allSettled(clients.map((c) => c.close())),
      new Promise((r) => setTimeout(r, 3000)),
    ])
    await pool.destroy()
  }

  return { sessions: clients.filter((c) => c.sessionId !== undefined).length, run, close }
}
