// A real redis-server for tests and benchmarks (STYLE: real Redis where a Redis
// store is tested): found on the machine or installed from Debian's package,
// started on a free loopback port with no persistence, stoppable and
// restartable on the same port so that a test can take Redis away mid-test.
import { accessSync, constants, mkdirSync, rmSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { freePort } from './free-port.js'
import { runProcess, type StartedProcess, startProcess } from './processes.js'

const EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin']

const HOW_TO_INSTALL =
  'redis-server (Redis >= 6.2) is needed by the Redis tests and was not found on PATH, ' +
  'in /usr/bin or in /usr/sbin. Install it: `sudo apt-get install -y redis-server` ' +
  '(Debian, Ubuntu), `sudo dnf install redis` (Fedora), `brew install redis` (macOS), ' +
  'or put a redis-server binary on PATH. As root with apt-get, the tests install it themselves.'

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The path of `name` on PATH or in the system directories, or undefined. */
function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS]
  for (const dir of dirs) {
    const path = join(dir, name)
    if (executable(path)) return path
  }
  return undefined
}

/** The redis-server binary on this machine (PATH, /usr/bin, /usr/sbin), or undefined. */
export function findRedisServer(): string | undefined {
  return which('redis-server')
}

async function aptGet(apt: string, args: string[]): Promise<boolean> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // Waits for dpkg's lock rather than failing when another install runs.
  const lock = ['-o', 'DPkg::Lock::Timeout=300']
  const result = await runProcess(apt, [...lock, ...args], { env, timeoutMs: 600_000 })
  return result.code === 0
}

/** One installer at a time across the test workers of this machine. */
async function withInstallLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), 'mcpx-redis-install.lock')
  const deadline = Date.now() + 600_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (findRedisServer()) return fn()
      // A lock left behind by a killed installer is stale after 10 minutes.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0)
      if (age > 600_000) rmSync(lock, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/**
 * The path of redis-server, installing Debian's `redis-server` package first when
 * it is missing and this process runs as root with apt-get (`apt-get install`,
 * then `apt-get update` and `install` again if that failed). Otherwise throws an
 * Error that says how to install it.
 */
export async function ensureRedisServer(): Promise<string> {
  const found = findRedisServer()
  if (found) return found
  const apt = which('apt-get')
  if (process.getuid?.() !== 0 || !apt) throw new Error(HOW_TO_INSTALL)
  return withInstallLock(async () => {
    const again = findRedisServer()
    if (again) return again
    const install = ['install', '-y', '--no-install-recommends', 'redis-server']
    if (!(await aptGet(apt, install))) {
      await aptGet(apt, ['update'])
      await aptGet(apt, install)
    }
    const installed = findRedisServer()
    if (!installed) throw new Error(`apt-get install redis-server failed. ${HOW_TO_INSTALL}`)
    return installed
  })
}

/** True when a RESP `PING` on `port` answers `+PONG` within 1 s. */
export function pingRedis(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1')
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
    socket.once('error', () => done(false))
    socket.once('close', () => done(false))
  })
}

export interface StartRedisOptions {
  /** How long to wait for the first `PONG` after each start. @defaultValue 15000 */
  readyTimeoutMs?: number
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '64mb']`. */
  args?: readonly string[]
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** Stops the server (SIGTERM, then SIGKILL); its data is gone. Resolves once it exited. */
  stop(): Promise<void>
  /** Starts it again on the same port, empty; resolves once it answers `PING`. */
  start(): Promise<void>
}

const started = new Set<StartedProcess>()
let exitHookInstalled = false

function killAllSync(): void {
  for (const proc of started) {
    try {
      process.kill(-proc.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

// The shell holds redis-server and watches its own stdin, a pipe from this
// process: when this process dies, even by SIGKILL, the pipe closes and the shell
// kills the server, so no redis-server outlives the test run.
// (fd 3: an asynchronous list's stdin is /dev/null in a non-interactive shell.)
const WATCHDOG =
  'exec 3<&0; "$@" & server=$!; (read -r _ <&3; kill "$server" 2>/dev/null) & ' +
  'wait "$server"; status=$?; kill $! 2>/dev/null; exit $status'

/** What redis-server prints (at `notice`) once it listens: a PONG alone could come from another server on the port. */
const READY = /Ready to accept connections/

async function waitForPong(proc: StartedProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(READY.test(proc.tail()) && (await pingRedis(port)))) {
    const why = proc.exitReason()
    if (why) throw new Error(`redis-server ${why} before it answered PING:\n${proc.tail()}`)
    if (Date.now() > deadline) {
      await proc.stop(500)
      throw new Error(`redis-server did not answer PING within ${timeoutMs} ms:\n${proc.tail()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/**
 * Starts a real redis-server on a free loopback port, with no persistence, as a
 * child process killed when this process exits. Installs it first when possible
 * (see {@link ensureRedisServer}); never lets a test skip for want of it.
 *
 * @example
 * ```ts
 * const redis = await startRedis()
 * const client = new Redis(redis.url)
 * await redis.stop() // Redis is gone: the client's commands fail
 * await redis.start() // back, empty, on the same port
 * ```
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = await ensureRedisServer()
  // freePort() releases the port it found: another process may take it first. Then try another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(binary, await freePort(), options)
    } catch (error) {
      if (attempt === 3) throw error
    }
  }
}

async function startOn(
  binary: string,
  port: number,
  options: StartRedisOptions,
): Promise<RedisServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes'],
    ...['--save', '', '--appendonly', 'no', '--dir', tmpdir(), '--loglevel', 'notice'],
    ...(options.args ?? []),
  ]
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', killAllSync)
  }
  let proc: StartedProcess | undefined
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      if (proc && proc.exitReason() === undefined) return
      const next = startProcess('/bin/sh', ['-c', WATCHDOG, 'sh', binary, ...args], {
        name: `redis-server :${port}`,
        ready: 'none',
        stdin: 'pipe',
      })
      proc = next
      started.add(next)
      void next.exited.then(() => started.delete(next))
      await waitForPong(next, port, readyTimeoutMs)
    },
    async stop() {
      await proc?.stop(2000)
    },
  }
  await server.start()
  return server
}
