// A real redis-server for tests and benchmarks (STYLE: real Redis where a Redis
// store is tested): found on the machine or installed from Debian's package,
// started on a free loopback port with no persistence, stoppable and
// restartable on the same port so that a test can take Redis away mid-test.
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { ensureDebianTool, which } from './debian-tool.js'
import { freePort } from './free-port.js'
import { type StartedProcess, startProcess } from './processes.js'

const HOW_TO_INSTALL =
  'redis-server (Redis >= 6.2) is needed by the Redis tests and was not found on PATH, ' +
  'in /usr/bin or in /usr/sbin. Install it: `sudo apt-get install -y redis-server` ' +
  '(Debian, Ubuntu), `sudo dnf install redis` (Fedora), `brew install redis` (macOS), ' +
  'or put a redis-server binary on PATH. As root with apt-get, the tests install it themselves.'

/** The redis-server binary on this machine (PATH, /usr/bin, /usr/sbin), or undefined. */
export function findRedisServer(): string | undefined {
  return which('redis-server')
}

/**
 * The path of redis-server, installing Debian's `redis-server` package first when
 * it is missing and this process runs as root with apt-get. Otherwise throws an
 * Error that says how to install it.
 */
export function ensureRedisServer(): Promise<string> {
  return ensureDebianTool({
    binary: 'redis-server',
    pkg: 'redis-server',
    howToInstall: HOW_TO_INSTALL,
  })
}

/**
 * True when a RESP `PING` on `port` is answered within 1 s: `+PONG`, or
 * `-NOAUTH` from a server started with `--requirepass` (up, and asking for it).
 */
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
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'))
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
  /** A config file, given before the arguments (Sentinel needs one it can rewrite). */
  configFile?: string
  /** The log line that says the server is up. @defaultValue `/Ready to accept connections/` */
  ready?: RegExp
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

async function waitForPong(
  proc: StartedProcess,
  port: number,
  timeoutMs: number,
  ready: RegExp,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(ready.test(proc.tail()) && (await pingRedis(port)))) {
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
    ...(options.configFile === undefined ? [] : [options.configFile]),
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
      await waitForPong(next, port, readyTimeoutMs, options.ready ?? READY)
    },
    async stop() {
      await proc?.stop(2000)
    },
  }
  await server.start()
  return server
}
