// The end-to-end report: one markdown table per upstream, the issue #4
// acceptance checks for the mcpx gateway when it ran, and issue 11's for its
// pooled targets.

/**
 * @typedef {object} Row
 * @property {string} upstream
 * @property {string} target
 * @property {'limit' | 'peer' | 'mcpx'} role
 * @property {number | undefined} concurrency
 * @property {'ok' | 'n/a'} status
 * @property {string} [reason]
 * @property {number} [reqPerSec]
 * @property {{ p50: number, p90: number, p99: number }} [latencyMs]
 * @property {number} [ok]
 * @property {number} [errors]
 * @property {number} [unfinished]
 * @property {string[]} [errorSamples]
 * @property {{ proc: number, tree: number } | null} [cpuUsPerRequest]
 * @property {number} [coreUsPerRequest]  busy time of the target's pinned core per request
 * @property {{ cpuUsPerRequest: number, coreUtilisation: number }} [loadgen]
 * @property {{ proc: number, tree: number } | null} [peakRssMB]
 * @property {number} [ratioToBestPeer]
 */

/** Ratio of each row's req/s to the best peer's at the same upstream and concurrency. */
export function addRatios(/** @type {Row[]} */ rows) {
  for (const row of rows) {
    if (row.status !== 'ok') continue
    const best = bestPeer(rows, row.upstream, row.concurrency, (r) => r.reqPerSec ?? 0, Math.max)
    row.ratioToBestPeer = best ? (row.reqPerSec ?? 0) / best : undefined
  }
}

/**
 * @param {Row[]} rows
 * @param {string} upstream
 * @param {number | undefined} concurrency
 * @param {(r: Row) => number | undefined} value
 * @param {(...v: number[]) => number} pick
 */
function bestPeer(rows, upstream, concurrency, value, pick) {
  const values = rows
    .filter(
      (r) =>
        r.role === 'peer' &&
        r.status === 'ok' &&
        r.upstream === upstream &&
        r.concurrency === concurrency,
    )
    .map(value)
    .filter((v) => v !== undefined && Number.isFinite(v) && v > 0)
  return values.length > 0 ? pick(.../** @type {number[]} */ (values)) : undefined
}

/** @param {number | undefined | null} v @param {number} digits */
const fmt = (v, digits = 0) =>
  v === undefined || v === null || !Number.isFinite(v)
    ? '–'
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

/** @param {number | undefined} v */
const ms = (v) =>
  v === undefined || !Number.isFinite(v) ? '–' : v < 10 ? fmt(v, 2) : v < 100 ? fmt(v, 1) : fmt(v)

const HEADER = [
  'target',
  'conc.',
  'req/s',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'errors',
  'CPU µs/req proxy',
  'CPU µs/req tree',
  'target core µs/req',
  'loadgen CPU µs/req',
  'loadgen core %',
  'peak RSS MB proxy',
  'peak RSS MB tree',
  '× best peer',
]

/**
 * @param {Row[]} rows
 * @param {string} upstream
 */
export function table(rows, upstream) {
  const out = [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
  ]
  for (const r of rows.filter((x) => x.upstream === upstream)) {
    if (r.status !== 'ok') {
      const cells = [
        r.target,
        fmt(r.concurrency),
        `n/a: ${r.reason}`,
        ...HEADER.slice(3).map(() => ''),
      ]
      out.push(`| ${cells.join(' | ')} |`)
      continue
    }
    const errors = (r.errors ?? 0) + (r.unfinished ?? 0)
    out.push(
      `| ${[
        r.target,
        fmt(r.concurrency),
        fmt(r.reqPerSec, r.reqPerSec !== undefined && r.reqPerSec < 10 ? 1 : 0),
        ms(r.latencyMs?.p50),
        ms(r.latencyMs?.p90),
        ms(r.latencyMs?.p99),
        fmt(errors),
        fmt(r.cpuUsPerRequest?.proc),
        fmt(r.cpuUsPerRequest?.tree),
        fmt(r.coreUsPerRequest),
        fmt(r.loadgen?.cpuUsPerRequest),
        fmt((r.loadgen?.coreUtilisation ?? Number.NaN) * 100),
        fmt(r.peakRssMB?.proc),
        fmt(r.peakRssMB?.tree),
        r.ratioToBestPeer === undefined ? '–' : fmt(r.ratioToBestPeer, 2),
      ].join(' | ')} |`,
    )
  }
  return out.join('\n')
}

/**
 * The acceptance checks of issue #4 that one run can decide, for mcpx on `upstream`.
 * @param {Row[]} rows
 * @param {string} upstream
 * @returns {string[]} one line per check, or none if mcpx did not run
 */
export function acceptance(rows, upstream) {
  const at = (/** @type {string} */ target, /** @type {number} */ c) =>
    rows.find(
      (r) =>
        r.upstream === upstream && r.target === target && r.concurrency === c && r.status === 'ok',
    )
  const lines = []
  /** @param {boolean} pass @param {string} text */
  const check = (pass, text) => lines.push(`- [${pass ? 'x' : ' '}] ${text}`)
  const g32 = at('mcpx', 32)
  if (g32) {
    const bestRps = bestPeer(rows, upstream, 32, (r) => r.reqPerSec, Math.max)
    const bestP99 = bestPeer(rows, upstream, 32, (r) => r.latencyMs?.p99, Math.min)
    const bestCpu = bestPeer(rows, upstream, 32, (r) => r.cpuUsPerRequest?.proc, Math.min)
    const raw = at('raw', 32)
    const rps = g32.reqPerSec ?? 0
    if (bestRps)
      check(
        rps >= 2.5 * bestRps,
        `c=32 req/s ${fmt(rps)} ≥ 2.5 × best peer ${fmt(bestRps)} (${fmt(rps / bestRps, 2)}×)`,
      )
    if (bestP99 && g32.latencyMs) {
      check(
        g32.latencyMs.p99 <= bestP99 / 3,
        `c=32 p99 ${ms(g32.latencyMs.p99)} ms ≤ ⅓ of the lowest peer p99 ${ms(bestP99)} ms`,
      )
    }
    if (raw?.reqPerSec) {
      check(
        rps >= 0.55 * raw.reqPerSec,
        `c=32 req/s is ${fmt((100 * rps) / raw.reqPerSec)}% of raw ${fmt(raw.reqPerSec)} (≥ 55%)`,
      )
    }
    if (bestCpu && g32.cpuUsPerRequest) {
      check(
        g32.cpuUsPerRequest.proc <= bestCpu / 4,
        `c=32 proxy CPU ${fmt(g32.cpuUsPerRequest.proc)} µs/req ≤ ¼ of the lowest peer's ${fmt(bestCpu)} µs/req`,
      )
    }
    if (g32.peakRssMB)
      check(
        g32.peakRssMB.proc <= 100,
        `peak RSS through c=32 ${fmt(g32.peakRssMB.proc, 1)} MB ≤ 100 MB`,
      )
  }
  const g1 = at('mcpx', 1)
  if (g1?.latencyMs) {
    const peerP50 = bestPeer(rows, upstream, 1, (r) => r.latencyMs?.p50, Math.min)
    if (peerP50)
      check(
        g1.latencyMs.p50 < peerP50,
        `c=1 p50 ${ms(g1.latencyMs.p50)} ms < every peer's (lowest ${ms(peerP50)} ms)`,
      )
  }
  return lines
}

/**
 * Issue 11's figures that one run can decide, on `upstream`, at each level where
 * `mcpx` ran: a shared pool of one connection (`mcpx-pool-shared`) within 5 % of
 * `mcpx`'s throughput (the same gateway over a plain shared `upstream()`), and the
 * throughput of a per-request pool of 4 (no bar: each of its requests holds a child).
 * @param {Row[]} rows
 * @param {string} upstream
 * @returns {string[]} one line per figure, or none if neither pool target ran beside mcpx
 */
export function poolAcceptance(rows, upstream) {
  const ok = (/** @type {string} */ target, /** @type {number | undefined} */ c) =>
    rows.find(
      (r) =>
        r.upstream === upstream &&
        r.target === target &&
        r.concurrency === c &&
        r.status === 'ok' &&
        (r.reqPerSec ?? 0) > 0,
    )
  const lines = []
  for (const base of rows.filter((r) => r.upstream === upstream && r.target === 'mcpx')) {
    const mcpx = ok('mcpx', base.concurrency)
    if (!mcpx) continue
    const rps = /** @type {number} */ (mcpx.reqPerSec)
    const c = `c=${fmt(mcpx.concurrency)}`
    const shared = ok('mcpx-pool-shared', mcpx.concurrency)
    if (shared) {
      const ratio = /** @type {number} */ (shared.reqPerSec) / rps
      lines.push(
        `- [${ratio >= 0.95 ? 'x' : ' '}] ${c} mcpx-pool-shared req/s ${fmt(shared.reqPerSec)} is ${fmt(ratio, 3)} × mcpx ${fmt(rps)} (within 5 %: ≥ 0.95)`,
      )
    }
    const perRequest = ok('mcpx-pool-per-request-4', mcpx.concurrency)
    if (perRequest) {
      const ratio = /** @type {number} */ (perRequest.reqPerSec) / rps
      lines.push(
        `- ${c} mcpx-pool-per-request-4 req/s ${fmt(perRequest.reqPerSec)}, ${fmt(ratio, 2)} × mcpx (no bar)`,
      )
    }
  }
  return lines
}
