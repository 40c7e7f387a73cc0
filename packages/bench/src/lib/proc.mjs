// Process accounting from Linux /proc (proc(5)): CPU time and peak RSS of a process
// and of its whole tree. Elsewhere every function returns null so that the harness
// still runs and the table says "n/a". Walking and stopping a tree is the shared helper
// in @mcpx/test-utils (the conformance script uses it too).

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { descendants, hasProc, readStat, stopTree } from '@mcpx/test-utils'

export { hasProc, stopTree }

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()
const US_PER_TICK = 1e6 / CLK_TCK

/**
 * CPU time in µs of `pid` alone, and of its tree: every live descendant's own time
 * plus, for every member, the time of children it has already reaped (so a child
 * that lived and died between two samples still counts, once its parent waited).
 * @param {number} pid
 * @returns {{ procUs: number, treeUs: number, processes: number } | null}
 */
export function cpu(pid) {
  if (!hasProc) return null
  const self = readStat(pid)
  if (self === null) return null
  let ticks = self.ticks + self.childTicks
  const tree = descendants(pid)
  for (const d of tree) ticks += d.ticks + d.childTicks
  return {
    procUs: self.ticks * US_PER_TICK,
    treeUs: ticks * US_PER_TICK,
    processes: tree.length + 1,
  }
}

/**
 * Busy time of one CPU since boot, in µs (user, nice, system, irq, softirq), from
 * /proc/stat. With the target's tree pinned to that core, its growth over a level is
 * everything the target cost, including processes that escaped the tree (orphans
 * re-parented to init take their CPU time with them) and kernel network work, but
 * also whatever else the machine ran there.
 * @param {number} core
 * @returns {number | null}
 */
export function coreBusyUs(core) {
  if (!hasProc) return null
  const m = new RegExp(`^cpu${core} (\\d+) (\\d+) (\\d+) \\d+ \\d+ (\\d+) (\\d+)`, 'm').exec(
    readFileSync('/proc/stat', 'latin1'),
  )
  if (!m) return null
  return (Number(m[1]) + Number(m[2]) + Number(m[3]) + Number(m[4]) + Number(m[5])) * US_PER_TICK
}

/**
 * @param {number} pid
 * @returns {{ hwm: number, rss: number } | null} kB
 */
function memory(pid) {
  let text
  try {
    text = readFileSync(`/proc/${pid}/status`, 'latin1')
  } catch {
    return null
  }
  const hwm = /^VmHWM:\s+(\d+)/m.exec(text)
  const rss = /^VmRSS:\s+(\d+)/m.exec(text)
  return { hwm: hwm ? Number(hwm[1]) : 0, rss: rss ? Number(rss[1]) : 0 }
}

/**
 * Peak RSS (VmHWM, since the process started) of `pid`, and the sum over the tree's
 * live processes of each one's own peak, in MB.
 * @param {number} pid
 * @returns {{ procMB: number, treeMB: number } | null}
 */
export function peakRss(pid) {
  if (!hasProc) return null
  const self = memory(pid)
  if (self === null) return null
  let tree = self.hwm
  for (const d of descendants(pid)) tree += memory(d.pid)?.hwm ?? 0
  return { procMB: self.hwm / 1024, treeMB: tree / 1024 }
}
