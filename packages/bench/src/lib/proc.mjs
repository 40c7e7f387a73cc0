// Process accounting from Linux /proc (proc(5)): CPU time and peak RSS of a process
// and of its whole tree, and stopping a tree by PID. Elsewhere every function returns
// null so that the harness still runs and the table says "n/a".

import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

export const hasProc = (() => {
  try {
    readFileSync('/proc/self/stat', 'latin1')
    return true
  } catch {
    return false
  }
})()

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()
const US_PER_TICK = 1e6 / CLK_TCK

/**
 * @typedef {object} Stat
 * @property {number} pid
 * @property {number} ppid
 * @property {number} cpuUs     utime + stime of the process itself
 * @property {number} childUs   cutime + cstime: children it has waited for
 * @property {number} start     starttime, to tell a process from a later one with its PID
 * @property {boolean} zombie   exited, not yet reaped
 */

/**
 * @param {number} pid
 * @returns {Stat | null}
 */
export function stat(pid) {
  let text
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch {
    return null
  }
  // Fields after the command name, which is parenthesised and may hold spaces.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return {
    pid,
    ppid: Number(f[1]),
    cpuUs: (Number(f[11]) + Number(f[12])) * US_PER_TICK,
    childUs: (Number(f[13]) + Number(f[14])) * US_PER_TICK,
    start: Number(f[19]),
    zombie: f[0] === 'Z',
  }
}

/**
 * The live descendants of `root` (not root itself), found by walking every PPid.
 * @param {number} root
 * @returns {Stat[]}
 */
export function descendants(root) {
  /** @type {Map<number, Stat[]>} */
  const byParent = new Map()
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0)
    if (c < 48 || c > 57) continue
    const s = stat(Number(name))
    if (s === null) continue
    const list = byParent.get(s.ppid)
    if (list) list.push(s)
    else byParent.set(s.ppid, [s])
  }
  /** @type {Stat[]} */
  const out = []
  const queue = [root]
  while (queue.length > 0) {
    for (const child of byParent.get(/** @type {number} */ (queue.pop())) ?? []) {
      out.push(child)
      queue.push(child.pid)
    }
  }
  return out
}

/**
 * CPU time in µs of `pid` alone, and of its tree: every live descendant's own time
 * plus, for every member, the time of children it has already reaped (so a child
 * that lived and died between two samples still counts, once its parent waited).
 * @param {number} pid
 * @returns {{ procUs: number, treeUs: number, processes: number } | null}
 */
export function cpu(pid) {
  if (!hasProc) return null
  const self = stat(pid)
  if (self === null) return null
  let treeUs = self.cpuUs + self.childUs
  const tree = descendants(pid)
  for (const d of tree) treeUs += d.cpuUs + d.childUs
  return { procUs: self.cpuUs, treeUs, processes: tree.length + 1 }
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

/**
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function signal(pid, signal) {
  try {
    process.kill(pid, signal)
  } catch {
    // Already gone.
  }
}

/**
 * Stops a process we started and everything below it. The root was spawned as a
 * process-group leader, but descendants may have left its group (supergateway
 * starts its children detached), so each one is also signalled by PID. A process is
 * only signalled while its PID still names the one we saw (same start time).
 * @param {number} pid
 * @param {number} [graceMs]
 */
export async function stopTree(pid, graceMs = 3000) {
  const tree = hasProc ? descendants(pid) : []
  const same = (/** @type {Stat} */ s) => {
    const now = stat(s.pid)
    return now !== null && now.start === s.start && !now.zombie
  }
  signal(-pid, 'SIGTERM')
  for (const d of tree) if (same(d)) signal(d.pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  const root = hasProc ? stat(pid) : null
  const alive = () => (root ? same(root) : isAlive(pid)) || tree.some(same)
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  if (alive()) {
    signal(-pid, 'SIGKILL')
    for (const d of tree) if (same(d)) signal(d.pid, 'SIGKILL')
  }
}

/** @param {number} pid */
function isAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
