// Child processes for tests, benchmarks and the conformance script: start a server and
// wait until it says where it listens, run a command to completion within a deadline,
// stop a whole process tree, and kill everything still running when the caller exits.
import { type ChildProcess, spawn } from 'node:child_process'
import { connect } from 'node:net'
import { stopTree } from './proc-tree.js'

/** How {@link startProcess} knows the process is ready. */
export type Readiness =
  /** a `LISTENING <url>` line on stdout (every mcpx fixture and the gateway print one) */
  | 'listening'
  /** the port of `url` accepts TCP connections (servers that print nothing useful) */
  | { url: string }
  /** ready at once */
  | 'none'

export interface StartProcessOptions {
  /** Names the process in error messages. @defaultValue the command */
  name?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** @defaultValue `'listening'` */
  ready?: Readiness
  /** @defaultValue 30000 */
  readyTimeoutMs?: number
  /**
   * `'pipe'` holds stdin open until `stop()` (supergateway exits when its stdin
   * closes); `'ignore'` gives the child /dev/null.
   * @defaultValue `'ignore'`
   */
  stdin?: 'ignore' | 'pipe'
  /** Output lines kept for error messages. @defaultValue 40 */
  tailLines?: number
}

export interface StartedProcess {
  readonly name: string
  readonly pid: number
  readonly child: ChildProcess
  /** The URL it listens on; rejects, with the last output, if it exits or times out first. */
  readonly ready: Promise<string>
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Why it is no longer running, or undefined while it runs. */
  exitReason(): string | undefined
  /** Its last output lines, stdout and stderr interleaved. */
  tail(): string
  /** Stops it and its descendants (SIGTERM, SIGKILL after `graceMs`); resolves once it exited. */
  stop(graceMs?: number): Promise<void>
}

/** Every child started here and not yet exited, for {@link killStartedSync}. */
const running = new Set<ChildProcess>()

function track(child: ChildProcess): void {
  running.add(child)
  child.once('exit', () => running.delete(child))
  child.once('error', () => running.delete(child))
}

/**
 * SIGKILLs every process group started by this module that is still running. For
 * `process.on('exit')`, where nothing asynchronous can run.
 */
export function killStartedSync(): void {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

/** Calls `fn` with each complete line of `stream`. */
function onLines(stream: NodeJS.ReadableStream, fn: (line: string) => void): void {
  let buffer = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffer += chunk
    let at = buffer.indexOf('\n')
    while (at >= 0) {
      fn(buffer.slice(0, at).replace(/\r$/, ''))
      buffer = buffer.slice(at + 1)
      at = buffer.indexOf('\n')
    }
  })
}

function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * Starts `command` as the leader of its own process group (so that stopping it also
 * stops the children it spawned, such as a gateway's stdio upstream) and watches its
 * output for readiness.
 *
 * @example
 * ```ts
 * const fixture = startProcess(process.execPath, [conformanceBinPath('http'), '--port', '0'])
 * const url = await fixture.ready
 * await fixture.stop()
 * ```
 */
export function startProcess(
  command: string,
  args: readonly string[],
  options: StartProcessOptions = {},
): StartedProcess {
  // Long on purpose: readiness, exit, timeout and the output tail share this one child's state.
  const name = options.name ?? command
  const readiness = options.ready ?? 'listening'
  const timeoutMs = options.readyTimeoutMs ?? 30_000
  const keepLines = options.tailLines ?? 40
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  })
  track(child)
  child.stdin?.on('error', () => {})

  const lines: string[] = []
  const keep = (line: string) => {
    lines.push(line)
    if (lines.length > keepLines) lines.shift()
  }
  const tail = () => lines.join('\n')
  let exitReason: string | undefined
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitReason = `exited (${signal ?? `code ${code}`})`
      resolve({ code, signal })
    })
    child.once('error', (error) => {
      exitReason = `failed to start: ${error.message}`
      resolve({ code: null, signal: null })
    })
  })

  let listening: (url: string) => void = () => {}
  onLines(child.stdout!, (line) => {
    keep(line)
    const match = /^LISTENING (\S+)/.exec(line)
    if (match) listening(match[1]!)
  })
  onLines(child.stderr!, keep)

  const ready = new Promise<string>((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`${name}: ${why}; last output:\n${tail()}`))
    if (readiness === 'none') return resolve('')
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs)
    const done = (url: string) => {
      clearTimeout(timer)
      resolve(url)
    }
    exited.then(() => {
      clearTimeout(timer)
      fail(`${exitReason} before it was ready`)
    })
    if (readiness === 'listening') {
      listening = done
      return
    }
    const { hostname, port } = new URL(readiness.url)
    const host = hostname.replace(/^\[|\]$/g, '')
    void (async () => {
      while (exitReason === undefined) {
        if (await accepts(Number(port), host)) return done(readiness.url)
        await new Promise((r) => setTimeout(r, 100))
      }
    })()
  })
  // Settled either way; a caller that never awaits `ready` must not crash the process.
  ready.catch(() => {})

  return {
    name,
    pid: child.pid!,
    child,
    ready,
    exited,
    exitReason: () => exitReason,
    tail,
    async stop(graceMs = 3000) {
      child.stdin?.end()
      if (exitReason !== undefined || child.pid === undefined) return
      await stopTree(child.pid, graceMs)
      // stopTree saw the tree gone; give Node a moment to reap it and fire 'exit'.
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))])
    },
  }
}

export interface RunProcessOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** The process group is SIGKILLed after this long. */
  timeoutMs: number
}

export interface RunResult {
  stdout: string
  stderr: string
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
}

/**
 * Runs `command` to completion in its own process group and collects its output; after
 * `timeoutMs` the whole group is killed and `timedOut` is true. Never rejects: a command
 * that cannot start resolves with its error in `stderr` and a null code.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunProcessOptions,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    track(child)
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      timedOut = true
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
    }, options.timeoutMs)
    child.once('error', (error) => {
      stderr += `\n${command}: ${error.message}`
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ stdout, stderr, code, signal, timedOut })
    })
  })
}
