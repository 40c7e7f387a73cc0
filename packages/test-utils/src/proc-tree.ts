// A process tree seen through Linux /proc (proc(5)), and stopping one. Elsewhere
// `hasProc` is false, `readStat` returns null and `descendants` an empty list, so
// `stopTree` falls back to signalling the process group alone.
import { readdirSync, readFileSync } from 'node:fs'

export const hasProc: boolean = (() => {
  try {
    readFileSync('/proc/self/stat', 'latin1')
    return true
  } catch {
    return false
  }
})()

/** The fields of `/proc/<pid>/stat` that the helpers and the bench use; times in clock ticks. */
export interface ProcStat {
  pid: number
  ppid: number
  /** utime + stime of the process itself */
  ticks: number
  /** cutime + cstime: children it has waited for */
  childTicks: number
  /** starttime, to tell a process from a later one that reuses its PID */
  start: number
  /** exited, not yet reaped */
  zombie: boolean
}

/** `/proc/<pid>/stat`, or null when the process is gone or there is no /proc. */
export function readStat(pid: number): ProcStat | null {
  let text: string
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
    ticks: Number(f[11]) + Number(f[12]),
    childTicks: Number(f[13]) + Number(f[14]),
    start: Number(f[19]),
    zombie: f[0] === 'Z',
  }
}

/** The live descendants of `root` (not root itself), found by walking every PPid. */
export function descendants(root: number): ProcStat[] {
  if (!hasProc) return []
  const byParent = new Map<number, ProcStat[]>()
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0)
    if (c < 48 || c > 57) continue
    const s = readStat(Number(name))
    if (s === null) continue
    const list = byParent.get(s.ppid)
    if (list) list.push(s)
    else byParent.set(s.ppid, [s])
  }
  const out: ProcStat[] = []
  const queue = [root]
  while (queue.length > 0) {
    for (const child of byParent.get(queue.pop()!) ?? []) {
      out.push(child)
      queue.push(child.pid)
    }
  }
  return out
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Stops a process we started and everything below it: SIGTERM, then SIGKILL after
 * `graceMs`, and resolves once they are gone (or a second after the SIGKILL). The root is expected to lead its own process group (spawned with
 * `detached: true`), but descendants may have left that group (supergateway starts
 * its children detached), so each one is also signalled by PID, and only while its
 * PID still names the process we saw (same start time).
 */
export async function stopTree(pid: number, graceMs = 3000): Promise<void> {
  const tree = descendants(pid)
  const same = (s: ProcStat) => {
    const now = readStat(s.pid)
    return now !== null && now.start === s.start && !now.zombie
  }
  const root = readStat(pid)
  const alive = () => (root ? same(root) : isAlive(pid)) || tree.some(same)
  signal(-pid, 'SIGTERM')
  for (const d of tree) if (same(d)) signal(d.pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  if (alive()) {
    signal(-pid, 'SIGKILL')
    for (const d of tree) if (same(d)) signal(d.pid, 'SIGKILL')
    // SIGKILL is sent, not yet done: wait (a little) until the kernel has taken them all.
    const killed = Date.now() + 1000
    while (alive() && Date.now() < killed) await new Promise((r) => setTimeout(r, 10))
  }
}
