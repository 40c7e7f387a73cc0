import { type ChildProcess, spawn } from 'node:child_process'
import { ErrorCode, McpxError, type Message } from '@mcpx/core'
import type { Channel, ChannelEvents, Connector } from '../protocol/channel.js'
import { encodeLine, LineDecoder } from '../protocol/line-decoder.js'

/**
 * Environment variables a stdio upstream inherits by default: enough to find
 * executables and a home directory, never the gateway's secrets.
 */
export const DEFAULT_INHERITED_ENV: readonly string[] =
  process.platform === 'win32'
    ? [
        'APPDATA',
        'HOMEDRIVE',
        'HOMEPATH',
        'LOCALAPPDATA',
        'PATH',
        'PATHEXT',
        'PROCESSOR_ARCHITECTURE',
        'SYSTEMDRIVE',
        'SYSTEMROOT',
        'TEMP',
        'USERNAME',
        'USERPROFILE',
        'PROGRAMFILES',
      ]
    : ['HOME', 'LANG', 'LC_ALL', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'TMPDIR', 'TZ', 'USER']

/** What `spawn` failed on, in words a user acts on (Node's own message repeats `spawn <command>`). */
const SPAWN_ERRORS: Record<string, string> = {
  ENOENT: 'not found',
  EACCES: 'permission denied (not executable?)',
}

/** Options for {@link stdio}. */
export interface StdioOptions {
  /** The executable. */
  command: string
  /** Its arguments. @defaultValue `[]` */
  args?: readonly string[]
  /** Working directory. @defaultValue the gateway's */
  cwd?: string
  /** Variables set for the child, on top of the inherited ones. */
  env?: Readonly<Record<string, string>>
  /**
   * Names of the gateway's own variables the child inherits. Nothing else
   * of the gateway's environment reaches it.
   * @defaultValue {@link DEFAULT_INHERITED_ENV}
   */
  inheritEnv?: readonly string[]
  /** Milliseconds between closing stdin and SIGTERM, and between SIGTERM and SIGKILL. @defaultValue 2000 */
  killTimeout?: number
  /**
   * Bytes the child's stdin may hold unread; past it the connection ends
   * (its requests fail) rather than the gateway buffering without bound.
   * @defaultValue 64 MiB
   */
  maxBufferedBytes?: number
}

/**
 * Connect to an MCP server over stdio: each connection spawns the command
 * as a child process and speaks newline-delimited JSON-RPC on its stdin and
 * stdout. stderr goes to the upstream's log. When the child exits, or
 * writes anything to stdout that is not a JSON-RPC message, the connection
 * ends and every request pending on it fails at once with an error naming
 * the upstream.
 *
 * @example
 * ```ts
 * const math = upstream('math', stdio({ command: 'node', args: ['math-server.js'], env: { LOG_LEVEL: 'warn' } }))
 * ```
 */
export function stdio(options: StdioOptions): Connector {
  if (typeof options?.command !== 'string' || options.command === '') {
    throw new TypeError('[@mcpx/transports] stdio() needs a command')
  }
  const settings = {
    command: options.command,
    args: [...(options.args ?? [])],
    cwd: options.cwd,
    env: childEnv(options.inheritEnv ?? DEFAULT_INHERITED_ENV, options.env ?? {}),
    killTimeout: options.killTimeout ?? 2000,
    maxBufferedBytes: options.maxBufferedBytes ?? 64 * 1024 * 1024,
  }
  if (!(settings.killTimeout >= 0))
    throw new TypeError('[@mcpx/transports] stdio(): killTimeout must be >= 0')
  if (!(settings.maxBufferedBytes > 0))
    throw new TypeError('[@mcpx/transports] stdio(): maxBufferedBytes must be > 0')
  return {
    transport: 'stdio',
    describe: options.command,
    open: () => new StdioChannel(settings),
  }
}

function childEnv(
  inherit: readonly string[],
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of inherit) {
    const value = process.env[name]
    // Values that look like shell functions are a known injection vector.
    if (value !== undefined && !value.startsWith('()')) env[name] = value
  }
  return Object.assign(env, extra)
}

interface Settings {
  command: string
  args: string[]
  cwd: string | undefined
  env: Record<string, string>
  killTimeout: number
  maxBufferedBytes: number
}

class StdioChannel implements Channel {
  readonly #settings: Settings
  #child: ChildProcess | undefined
  #exited: Promise<void> | undefined
  /** Lines waiting for the next flush: one write (one syscall, one wake-up of the child) per turn of the event loop. */
  #outbox = ''
  #flushScheduled = false
  #end: ((reason: string) => void) | undefined

  constructor(settings: Settings) {
    this.#settings = settings
  }

  start(events: ChannelEvents): Promise<void> {
    const { command, args, cwd, env } = this.#settings
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    })
    this.#child = child
    let ended = false
    const end = (reason: string) => {
      if (ended) return
      ended = true
      events.close(reason)
    }
    this.#end = end
    this.#exited = new Promise((resolve) => child.once('close', () => resolve()))
    const decoder = new LineDecoder(
      (value) => events.message(value),
      (reason) => {
        // MCP stdio §: the server MUST NOT write anything to stdout that is not a valid MCP message.
        // What it wrote goes to the log only: it may hold anything, secrets included.
        events.log?.(`invalid output on stdout: ${reason}`)
        end('wrote invalid output to stdout')
        void this.close()
      },
    )
    child.stdout!.on('data', (chunk: Buffer) => decoder.push(chunk))
    child.stderr!.setEncoding('utf8')
    let stderrTail = ''
    child.stderr!.on('data', (text: string) => {
      const lines = (stderrTail + text).split('\n')
      stderrTail = (lines.pop() ?? '').slice(-4096)
      for (const line of lines) if (line) events.log?.(line)
    })
    child.stdin!.on('error', () => {}) // EPIPE after the child died: 'exit' reports it
    child.once('exit', (code, signal) => end(`exited (${signal ?? `code ${code}`})`))
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve())
      child.once('error', (error: Error & { code?: unknown }) => {
        // The message names the command (maybe a path with a user name in it): log only.
        const known = typeof error.code === 'string' ? SPAWN_ERRORS[error.code] : undefined
        const why = known ? `${known} (${error.code})` : error.message
        events.log?.(`could not start ${command}: ${why}`)
        const reason =
          typeof error.code === 'string'
            ? `could not be started (${error.code})`
            : 'could not be started'
        end(reason)
        reject(new McpxError(ErrorCode.UpstreamUnavailable, `Upstream ${reason}`, { cause: error }))
      })
    })
  }

  send(message: Message): void {
    this.#outbox += encodeLine(message)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    setImmediate(this.#flush)
  }

  readonly #flush = () => {
    this.#flushScheduled = false
    const stdin = this.#child?.stdin
    const text = this.#outbox
    this.#outbox = ''
    if (!stdin?.writable) return
    // A child that stops reading its stdin must not make the gateway buffer without bound.
    if (stdin.writableLength > this.#settings.maxBufferedBytes) {
      this.#end?.('stopped reading its stdin')
      void this.close()
      return
    }
    stdin.write(text)
  }

  async close(): Promise<void> {
    const child = this.#child
    if (!child || !this.#exited) return
    if (child.exitCode === null && child.signalCode === null) {
      // MCP stdio §Shutdown: close stdin, then SIGTERM, then SIGKILL. What was sent and not
      // yet flushed goes first: a closing session's cancels are sent just before its
      // connection closes, and a server told of them can stop its work and exit on EOF.
      const unsent = this.#outbox
      this.#outbox = ''
      if (unsent && child.stdin?.writable) child.stdin.end(unsent)
      else child.stdin?.end()
      const { killTimeout } = this.#settings
      if (!(await settlesWithin(this.#exited, killTimeout))) {
        child.kill('SIGTERM')
        if (!(await settlesWithin(this.#exited, killTimeout))) child.kill('SIGKILL')
      }
    }
    await this.#exited
  }
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, ms, false)
  })
  try {
    return await Promise.race([promise.then(() => true as const), timeout])
  } finally {
    clearTimeout(timer)
  }
}
