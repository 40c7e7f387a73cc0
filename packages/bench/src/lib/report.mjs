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
  const full = at('mcpx-full', 32)
  if (full) {
    const bestRps = bestPeer(rows, upstream, 32, (r) => r.reqPerSec, Math.max)
    const rps = full.reqPerSec ?? 0
    const errors = (full.errors ?? 0) + (full.unfinished ?? 0)
    if (bestRps)
      check(
        rps >= 2.5 * bestRps && errors === 0,
        `issue 15: mcpx-full (whole default stack) c=32 req/s ${fmt(rps)} ≥ 2.5 × best peer ${fmt(bestRps)} (${fmt(rps / bestRps, 2)}×), ${fmt(errors)} errors; p99 ${ms(full.latencyMs?.p99)} ms, peak RSS ${fmt(full.peakRssMB?.proc, 1)} MB proxy, ${fmt(full.peakRssMB?.tree, 1)} MB tree`,
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

/** @param {number[]} values */
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Issue 11's figures that one run can decide, on `upstream`, at each level where
 * `mcpx` ran: a shared pool of one connection (`mcpx-pool-shared`) within 5 % of
 * `mcpx`'s throughput (the same gateway over a plain shared `upstream()`), and the
 * throughput of a per-request pool of 4 (no bar: each of its requests holds a child).
 * A target listed several times (`--targets mcpx,mcpx-pool-shared,mcpx,mcpx-pool-shared`)
 * is paired by order, the n-th `mcpx` with the n-th pool, and the median ratio decides.
 * @param {Row[]} rows
 * @param {string} upstream
 * @returns {string[]} one line per figure, or none if neither pool target ran beside mcpx
 */
export function poolAcceptance(rows, upstream) {
  const runs = (/** @type {string} */ target, /** @type {number | undefined} */ c) =>
    rows.filter(
      (r) =>
        r.upstream === upstream &&
        r.target === target &&
        r.concurrency === c &&
        r.status === 'ok' &&
        (r.reqPerSec ?? 0) > 0,
    )
  const levels = [...new Set(rows.filter((r) => r.upstream === upstream).map((r) => r.concurrency))]
  const lines = []
  for (const level of levels) {
    const mcpx = runs('mcpx', level)
    const c = `c=${fmt(level)}`
    const shared = pairs(mcpx, runs('mcpx-pool-shared', level))
    if (shared.length === 1) {
      const [[base, pool]] = shared
      const ratio = /** @type {number} */ (pool.reqPerSec) / /** @type {number} */ (base.reqPerSec)
      lines.push(
        `- [${ratio >= 0.95 ? 'x' : ' '}] ${c} mcpx-pool-shared req/s ${fmt(pool.reqPerSec)} is ${fmt(ratio, 3)} × mcpx ${fmt(base.reqPerSec)} (within 5 %: ≥ 0.95); proxy CPU ${fmt(pool.cpuUsPerRequest?.proc)} against ${fmt(base.cpuUsPerRequest?.proc)} µs/req`,
      )
    } else if (shared.length > 1) {
      const ratios = shared.map(([base, pool]) => (pool.reqPerSec ?? 0) / (base.reqPerSec ?? 1))
      const m = median(ratios)
      lines.push(
        `- [${m >= 0.95 ? 'x' : ' '}] ${c} mcpx-pool-shared / mcpx req/s, median of ${ratios.length} pairs ${fmt(m, 3)} (${ratios.map((r) => fmt(r, 3)).join(', ')}) (within 5 %: ≥ 0.95)`,
      )
    }
    const perRequest = pairs(mcpx, runs('mcpx-pool-per-request-4', level))
    if (perRequest.length > 0) {
      const rps = perRequest.map(([, pool]) => pool.reqPerSec ?? 0)
      const ratios = perRequest.map(([base, pool]) => (pool.reqPerSec ?? 0) / (base.reqPerSec ?? 1))
      const several = perRequest.length > 1 ? `, median of ${perRequest.length} pairs` : ''
      lines.push(
        `- ${c} mcpx-pool-per-request-4 req/s ${fmt(median(rps))}, ${fmt(median(ratios), 2)} × mcpx${several} (no bar)`,
      )
    }
  }
  return lines
}

/**
 * The n-th of `a` with the n-th of `b`, as many pairs as the shorter has.
 * @param {Row[]} a
 * @param {Row[]} b
 * @returns {[Row, Row][]}
 */
const pairs = (a, b) => b.slice(0, a.length).map((row, i) => [/** @type {Row} */ (a[i]), row])
