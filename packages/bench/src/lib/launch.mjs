// Starting a target and the load generator as child processes, each pinned to its
// own core where taskset exists, and waiting for the target to be ready.

import { spawn, spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, startProcess } from '@mcpx/test-utils'
import { repoRoot } from './targets.mjs'

/** A free loopback port, for targets that cannot be told to pick one themselves. */
export { freePort }

const loadgenPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'loadgen.mjs')

export const hasTaskset = (() => {
  if (process.platform !== 'linux') return false
  const r = spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' })
  return r.status === 0
})()

/**
 * @param {string[]} argv
 * @param {number | undefined} core
 */
function pinned(argv, core) {
  return core === undefined || !hasTaskset ? argv : ['taskset', '-c', String(core), ...argv]
}

/** Pins this process (the orchestrator) too, so it never competes with the target. */
export function pinSelf(/** @type {number | undefined} */ core) {
  if (core === undefined || !hasTaskset) return false
  return spawnSync('taskset', ['-cp', String(core), String(process.pid)]).status === 0
}

/**
 * @typedef {object} Running
 * @property {number} pid
 * @property {string} url
 * @property {string[]} argv    exactly what was executed
 * @property {() => string} tail  the target's last output lines
 * @property {{ headers?: Record<string, string>, tools?: string[] }} load  what the load generator sends it
 * @property {() => boolean} exited
 * @property {() => Promise<void>} stop
 */

/**
 * Starts a target in its own process group with stdin held open (supergateway exits
 * when its stdin closes) and waits until it is ready.
 * @param {import('./targets.mjs').Launch} launch
 * @param {{ core?: number, readyTimeoutMs?: number }} o
 * @returns {Promise<Running>}
 */
export async function startTarget(launch, o) {
  const argv = pinned(launch.argv, o.core)
  const proc = startProcess(/** @type {string} */ (argv[0]), argv.slice(1), {
    name: launch.argv.join(' '),
    cwd: repoRoot,
    stdin: 'pipe',
    ...(launch.env && { env: { ...process.env, ...launch.env } }),
    ready: launch.ready === 'stdout' ? 'listening' : { url: /** @type {string} */ (launch.url) },
    readyTimeoutMs: o.readyTimeoutMs ?? 30_000,
  })
  try {
    const url = await proc.ready
    return {
      pid: proc.pid,
      url,
      argv,
      tail: proc.tail,
      load: launch.load ?? {},
      exited: () => proc.exitReason() !== undefined,
      stop: () => proc.stop(),
    }
  } catch (error) {
    await proc.stop()
    throw error
  }
}

/**
 * @typedef {object} Generator
 * @property {(options: import('./load.mjs').RunOptions) => Promise<number>} open  resolves with sessions opened
 * @property {() => Promise<any>} go     runs the measured loop, resolves with its result
 * @property {() => Promise<void>} close deletes the sessions and waits for the process to exit
 */

/**
 * Starts one load generator process (a fresh one per level).
 * @param {{ core?: number }} o
 * @returns {Generator}
 */
export function startGenerator(o) {
  const argv = pinned([process.execPath, loadgenPath], o.core)
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  /** @type {(m: any) => void} */
  let waiter = () => {}
  child.on('message', (m) => waiter(m))
  child.once('exit', (code) =>
    waiter({ type: 'failed', error: `load generator exited (code ${code})` }),
  )
  /**
   * @param {object} message
   * @param {string} expect
   */
  const ask = (message, expect) =>
    new Promise((resolve, reject) => {
      waiter = (m) => {
        waiter = () => {}
        if (m.type === expect) resolve(m)
        else reject(new Error(m.error ?? `unexpected ${m.type}`))
      }
      try {
        child.send(message)
      } catch (e) {
        waiter({ type: 'failed', error: /** @type {Error} */ (e).message })
      }
    })
  return {
    open: async (options) => (await ask({ type: 'run', options }, 'ready')).sessions,
    go: async () => (await ask({ type: 'go' }, 'done')).result,
    close: async () => {
      if (child.exitCode === null && child.connected) child.send({ type: 'close' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
