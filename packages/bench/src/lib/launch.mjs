// Starting a target and the load generator as child processes, each pinned to its
// own core where taskset exists, and waiting for the target to be ready.

import { spawn, spawnSync } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stopTree } from './proc.mjs'
import { repoRoot } from './targets.mjs'

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

/** A free loopback port, for targets that cannot be told to pick one themselves. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address())
      s.close(() => resolve(port))
    })
  })
}

/** @param {number} port */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * @typedef {object} Running
 * @property {number} pid
 * @property {string} url
 * @property {string[]} argv    exactly what was executed
 * @property {() => string} tail  the target's last output lines
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
  const child = spawn(argv[0], argv.slice(1), {
    cwd: repoRoot,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  /** @type {string[]} */
  const lines = []
  let exitedWith = /** @type {string | undefined} */ (undefined)
  /** @type {(url: string) => void} */
  let onListening = () => {}
  const keep = (/** @type {string} */ line) => {
    lines.push(line)
    if (lines.length > 40) lines.shift()
  }
  let partial = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (/** @type {string} */ chunk) => {
    const parts = (partial + chunk).split('\n')
    partial = /** @type {string} */ (parts.pop())
    for (const line of parts) {
      keep(line)
      const m = /^LISTENING (\S+)/.exec(line)
      if (m) onListening(m[1])
    }
  })
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (/** @type {string} */ chunk) => {
    for (const line of chunk.split('\n')) if (line) keep(line)
  })
  child.stdin.on('error', () => {})
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitedWith = `exited (code ${code}, signal ${signal})`
      resolve(undefined)
    })
    child.once('error', (e) => {
      exitedWith = `failed to start: ${e.message}`
      resolve(undefined)
    })
  })
  const pid = /** @type {number} */ (child.pid)
  const stop = async () => {
    child.stdin.end()
    if (pid !== undefined && exitedWith === undefined) await stopTree(pid)
  }
  const tail = () => lines.join('\n')

  const timeoutMs = o.readyTimeoutMs ?? 30_000
  const deadline = Date.now() + timeoutMs
  /** @type {Promise<string | undefined>} */
  const ready =
    launch.ready === 'stdout'
      ? new Promise((resolve) => {
          onListening = resolve
        })
      : (async () => {
          const port = Number(new URL(/** @type {string} */ (launch.url)).port)
          while (Date.now() < deadline && exitedWith === undefined) {
            if (await accepts(port)) return launch.url
            await new Promise((r) => setTimeout(r, 100))
          }
          return undefined
        })()
  let timer
  const url = await Promise.race([
    ready,
    exited.then(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs)
    }),
  ])
  clearTimeout(timer)
  if (url === undefined) {
    await stop()
    const why = exitedWith ?? `not ready within ${timeoutMs} ms`
    throw new Error(`${why}; last output:\n${tail()}`)
  }
  return {
    pid,
    url: /** @type {string} */ (url),
    argv,
    tail,
    exited: () => exitedWith !== undefined,
    stop,
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
