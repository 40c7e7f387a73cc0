#!/usr/bin/env node
// End-to-end benchmark (issue #4): the mcpx gateway, its npm peers, a hand-written
// SDK passthrough and the raw node:http limit, side by side in one run, over
// loopback, `tools/call echo` through Streamable HTTP to a stdio upstream.
//
// For each target: start it pinned to one core (its children inherit the pin), wait
// until it is ready, warm it up, then for each concurrency level start a fresh load
// generator pinned to the other core, let it open its sessions, sample the target's
// CPU time, run the measured loop, sample again, and finally stop the target's whole
// process tree by PID. Only ratios measured within one run mean anything: the
// machine's load moves every absolute figure.

import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, hasTaskset, pinSelf, startGenerator, startTarget } from './lib/launch.mjs'
import { coreBusyUs, cpu, hasProc, peakRss } from './lib/proc.mjs'
import { acceptance, addRatios, poolAcceptance, table } from './lib/report.mjs'
import { benchRoot, peerVersions, targets, upstreams } from './lib/targets.mjs'

const HELP = `Usage: pnpm --filter @mcpx/bench bench:e2e [options]
       node packages/bench/src/e2e.mjs [options]

  --targets <list>    comma-separated, default: ${targets
    .filter((t) => !t.optIn)
    .map((t) => t.name)
    .join(',')}
  --upstream <list>   min (hand-written, no SDK) and/or sdk (McpServer); default: min
  --levels <list>     concurrency levels, default: 1,8,32
  --duration <s>      time budget per level, default: 5
  --requests <n>      request budget per level, default: 100000
  --warmup <s>        warm-up at concurrency 8 before the levels, default: 2
  --timeout <s>       per-request timeout, default: 10
  --budget <s>        whole-run budget; levels that would start later are skipped, default: 480
  --no-pin            do not pin with taskset
  --out <dir>         where the JSON results go, default: packages/bench/.bench-results
  -h, --help
`

// `pnpm run x -- --flag` may hand the separator through.
const argv = process.argv.slice(2)
if (argv[0] === '--') argv.shift()
const { values: args } = parseArgs({
  args: argv,
  options: {
    targets: {
      type: 'string',
      default: targets
        .filter((t) => !t.optIn)
        .map((t) => t.name)
        .join(','),
    },
    upstream: { type: 'string', default: 'min' },
    levels: { type: 'string', default: '1,8,32' },
    duration: { type: 'string', default: '5' },
    requests: { type: 'string', default: '100000' },
    warmup: { type: 'string', default: '2' },
    timeout: { type: 'string', default: '10' },
    budget: { type: 'string', default: '480' },
    'no-pin': { type: 'boolean', default: false },
    out: { type: 'string', default: join(benchRoot, '.bench-results') },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (args.help) {
  process.stdout.write(HELP)
  process.exit(0)
}

/** @param {string} list */
const split = (list) =>
  list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
/** @param {string} name @param {string} v */
function positive(name, v) {
  const n = Number(v)
  if (!(n > 0)) {
    process.stderr.write(`--${name} must be a positive number, got ${JSON.stringify(v)}\n`)
    process.exit(2)
  }
  return n
}

const chosen = split(args.targets).map((name) => {
  const t = targets.find((x) => x.name === name)
  if (!t) {
    process.stderr.write(
      `unknown target ${name}; known: ${targets.map((x) => x.name).join(', ')}\n`,
    )
    process.exit(2)
  }
  return t
})
const upstreamNames = split(args.upstream).map((u) => {
  if (!(u in upstreams)) {
    process.stderr.write(`unknown upstream ${u}; known: ${Object.keys(upstreams).join(', ')}\n`)
    process.exit(2)
  }
  return /** @type {keyof typeof upstreams} */ (u)
})
const levels = split(args.levels).map((l) => Math.round(positive('levels', l)))
const durationMs = positive('duration', args.duration) * 1000
const maxRequests = Math.round(positive('requests', args.requests))
const warmupMs = Number(args.warmup) * 1000
const requestTimeoutMs = positive('timeout', args.timeout) * 1000
const budgetMs = positive('budget', args.budget) * 1000

const pin = !args['no-pin'] && hasTaskset && cpus().length >= 2
const TARGET_CORE = pin ? 0 : undefined
const LOADGEN_CORE = pin ? 1 : undefined
if (pin) pinSelf(LOADGEN_CORE)

function machine() {
  let model = cpus()[0]?.model ?? 'unknown'
  try {
    const m = /^Model name:\s*(.+)$/m.exec(execFileSync('lscpu', { encoding: 'utf8' }))
    if (m) model = m[1].trim()
  } catch {}
  return {
    nproc: cpus().length,
    cpu: model,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  }
}

const started = Date.now()
const meta = {
  date: new Date().toISOString(),
  // Other work on the machine moves every absolute figure; this says how much there was.
  /** @type {{ start: number[], end?: number[] }} */
  loadavg: { start: loadavg() },
  machine: machine(),
  pinning: pin
    ? `target tree on core ${TARGET_CORE}, load generator on core ${LOADGEN_CORE}`
    : 'none',
  procAccounting: hasProc,
  peers: peerVersions(),
  options: { levels, durationMs, maxRequests, warmupMs, requestTimeoutMs },
  /** @type {Record<string, string[]>} */
  argv: {},
}
const log = (/** @type {string} */ s) => process.stderr.write(`[bench:e2e] ${s}\n`)
log(
  `${meta.machine.cpu}, ${meta.machine.nproc} cores, node ${meta.machine.node}; pinning: ${meta.pinning}`,
)

/** @type {import('./lib/report.mjs').Row[]} */
const rows = []
/** @type {object[]} */
const warmups = []

/**
 * @param {import('./lib/targets.mjs').Target} target
 * @param {string} upstream
 * @param {string} reason
 */
function notAvailable(target, upstream, reason) {
  log(`${target.name}: n/a (${reason.split('\n')[0]})`)
  for (const c of levels) {
    rows.push({
      upstream,
      target: target.name,
      role: target.role,
      concurrency: c,
      status: 'n/a',
      reason: reason.split('\n')[0],
    })
  }
}

/**
 * One level against a running target. Session set-up happens before the first CPU
 * sample, and the sessions are deleted after the second.
 * @param {import('./lib/launch.mjs').Running} running
 * @param {number} concurrency
 * @param {number} levelMs
 */
async function level(running, concurrency, levelMs) {
  const gen = startGenerator({ core: LOADGEN_CORE })
  try {
    await gen.open({
      url: running.url,
      concurrency,
      maxRequests,
      durationMs: levelMs,
      requestTimeoutMs,
      ...running.load,
    })
    const core0 = TARGET_CORE === undefined ? null : coreBusyUs(TARGET_CORE)
    const before = cpu(running.pid)
    const result = await gen.go()
    const after = cpu(running.pid)
    const core1 = TARGET_CORE === undefined ? null : coreBusyUs(TARGET_CORE)
    const rss = peakRss(running.pid)
    const done = result.ok + result.errors
    return {
      result,
      cpuUsPerRequest:
        before && after && done > 0
          ? {
              proc: (after.procUs - before.procUs) / done,
              tree: (after.treeUs - before.treeUs) / done,
            }
          : null,
      coreUsPerRequest:
        core0 !== null && core1 !== null && done > 0 ? (core1 - core0) / done : undefined,
      processes: after?.processes,
      peakRssMB: rss ? { proc: rss.procMB, tree: rss.treeMB } : null,
    }
  } finally {
    await gen.close()
  }
}

for (const upstream of upstreamNames) {
  const upstreamArgv = [process.execPath, upstreams[upstream]]
  for (const target of chosen) {
    const unavailable = target.unavailable()
    if (unavailable) {
      notAvailable(target, upstream, unavailable)
      continue
    }
    if (Date.now() - started > budgetMs) {
      notAvailable(target, upstream, `skipped: whole-run budget of ${budgetMs / 1000} s spent`)
      continue
    }
    /** @type {import('./lib/launch.mjs').Running | undefined} */
    let running
    try {
      const launch = await target.launch({ upstream: upstreamArgv, port: await freePort() })
      running = await startTarget(launch, { core: TARGET_CORE })
    } catch (e) {
      notAvailable(target, upstream, `did not start: ${/** @type {Error} */ (e).message}`)
      continue
    }
    meta.argv[`${upstream}/${target.name}`] = running.argv
    log(`${target.name} (upstream ${upstream}) ready at ${running.url}, pid ${running.pid}`)
    try {
      if (warmupMs > 0) {
        const w = await level(running, Math.min(8, Math.max(...levels)), warmupMs)
        warmups.push({ upstream, target: target.name, ...w.result })
        log(`  warm-up: ${Math.round(w.result.reqPerSec)} req/s, ${w.result.errors} errors`)
      }
      for (const c of levels) {
        if (Date.now() - started > budgetMs) {
          const reason = `skipped: whole-run budget of ${budgetMs / 1000} s spent`
          rows.push({
            upstream,
            target: target.name,
            role: target.role,
            concurrency: c,
            status: 'n/a',
            reason,
          })
          continue
        }
        if (running.exited()) {
          rows.push({
            upstream,
            target: target.name,
            role: target.role,
            concurrency: c,
            status: 'n/a',
            reason: 'target exited',
          })
          continue
        }
        try {
          const m = await level(running, c, durationMs)
          const r = m.result
          rows.push({
            upstream,
            target: target.name,
            role: target.role,
            concurrency: c,
            status: 'ok',
            reqPerSec: r.reqPerSec,
            latencyMs: r.latencyMs,
            ok: r.ok,
            errors: r.errors,
            unfinished: r.unfinished,
            errorSamples: r.errorSamples,
            cpuUsPerRequest: m.cpuUsPerRequest,
            coreUsPerRequest: m.coreUsPerRequest,
            loadgen: r.loadgen,
            peakRssMB: m.peakRssMB,
          })
          log(
            `  c=${c}: ${Math.round(r.reqPerSec)} req/s, p99 ${r.latencyMs.p99?.toFixed(2) ?? '–'} ms, ` +
              `${r.errors + r.unfinished} errors${r.errorSamples.length ? ` (${r.errorSamples[0]})` : ''}, ` +
              `${m.processes ?? '?'} processes in tree`,
          )
        } catch (e) {
          const reason = /** @type {Error} */ (e).message.split('\n')[0]
          log(`  c=${c}: failed: ${reason}`)
          rows.push({
            upstream,
            target: target.name,
            role: target.role,
            concurrency: c,
            status: 'n/a',
            reason,
          })
        }
      }
    } finally {
      if (running.exited())
        log(`  ${target.name} exited during the run; last output:\n${running.tail()}`)
      await running.stop()
    }
  }
}

addRatios(rows)
meta.loadavg.end = loadavg()
const elapsedS = (Date.now() - started) / 1000

const load = (/** @type {number[] | undefined} */ l) => l?.map((x) => x.toFixed(2)).join(' ')
const report = [
  `End to end, ${meta.date}, ${meta.machine.cpu} × ${meta.machine.nproc}, node ${meta.machine.node}, pinning: ${meta.pinning}`,
  `Load average at start ${load(meta.loadavg.start)}, at end ${load(meta.loadavg.end)}.`,
]
for (const upstream of upstreamNames) {
  report.push(
    '',
    `Upstream: ${upstream === 'min' ? 'echo-min (hand-written, no SDK)' : 'echo-sdk (SDK McpServer)'}`,
    '',
  )
  report.push(table(rows, upstream))
  const checks = acceptance(rows, upstream)
  if (checks.length > 0) report.push('', 'Issue #4 acceptance (this run):', ...checks)
  const pools = poolAcceptance(rows, upstream)
  if (pools.length > 0) report.push('', 'Issue 11 acceptance, the pool (this run):', ...pools)
}
report.push('', `Finished in ${elapsedS.toFixed(0)} s.`)
process.stdout.write(report.join('\n') + '\n')

mkdirSync(args.out, { recursive: true })
const file = join(args.out, `e2e-${meta.date.replaceAll(':', '-')}.json`)
writeFileSync(file, JSON.stringify({ meta: { ...meta, elapsedS }, rows, warmups }, null, 2) + '\n')
log(`results written to ${file}`)
