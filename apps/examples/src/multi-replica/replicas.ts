// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${REDIS_URL}` in a plain string is what the config file holds
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Once built, this code sits in apps/examples/dist/multi-replica.js. The gateway is spawned by
// path, never imported: @mcpx/gateway depends on this package (its bundled upstreams).
const gatewayCliPath = fileURLToPath(new URL('../../gateway/dist/cli.js', import.meta.url))

/** Something this machine lacks: the program says it in one line and exits 1. */
export class MissingError extends Error {}

/** `math_echo` calls everyone together may make, on both replicas (a token back every 100 s). */
export const BUDGET = 4

/** The config both replicas run: apps/gateway/examples/replicas.yaml, cut down to one Redis demo. */
export const replicaConfig = (run: string) => ({
  logging: { format: 'text' },
  // `${…}` is filled from each gateway's environment when it reads the file.
  redis: { url: '${REDIS_URL}' },
  sessions: { registry: { secret: '${REPLICA_SECRET}' } },
  rateLimits: {
    limits: [
      {
        name: 'everyone',
        by: 'global',
        tools: ['math_echo'],
        algorithm: { tokenBucket: { capacity: BUDGET, refillPerSecond: 0.01 } },
      },
    ],
    // A budget of this run's own, even on a Redis that outlives it (REDIS_URL).
    store: { redis: { prefix: `mcpx:example:{rl}:${run}:` } },
  },
  transformers: { cache: { tools: { include: ['math_add'] }, store: 'redis' } },
  upstreams: { math: { example: 'math', namespace: true, mode: 'per-session' } },
})

/** A child that printed `ready`. `stop()`: SIGTERM (SIGKILL 10 s later), its exit code or signal. */
interface Started {
  readonly match: RegExpExecArray
  stop(): Promise<number | string>
}

const children = new Set<() => void>()
process.once('exit', () => {
  for (const kill of children) kill()
})

function startChild(
  what: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const kill = () => child.kill('SIGKILL')
  children.add(kill)
  const exited = new Promise<number | string>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'gone')),
  )
  void exited.then(() => children.delete(kill))
  let output = '' // both streams, for an error
  let stdout: string | undefined = '' // until it is ready
  return new Promise<Started>((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer)
      kill()
      reject(error)
    }
    const timer = setTimeout(
      () => fail(new Error(`${what} was not ready in 30 s:\n${output}`)),
      30_000,
    )
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000)
    }
    child.stderr.on('data', keep)
    child.stdout.on('data', (chunk: Buffer) => {
      keep(chunk)
      if (stdout === undefined) return
      stdout += chunk.toString()
      const match = ready.exec(stdout)
      if (match === null) return
      stdout = undefined
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({
        match,
        async stop() {
          child.kill('SIGTERM')
          const late = setTimeout(kill, 10_000)
          const how = await exited
          clearTimeout(late)
          return how
        },
      })
    })
    child.once('error', fail)
    child.once('exit', (code, signal) =>
      fail(new Error(`${what} exited (${signal ?? code}):\n${output}`)),
    )
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** A redis-server of its own on a free loopback port, nothing saved. */
async function startRedis(): Promise<Started & { url: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort() // released before redis binds it: another may take it, then retry
    const args = ['--port', `${port}`, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
    try {
      const redis = await startChild(
        'redis-server',
        'redis-server',
        args,
        process.env,
        /Ready to accept connections/,
      )
      return { ...redis, url: `redis://127.0.0.1:${port}` }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new MissingError(
          'redis-server is not installed: `sudo apt-get install -y redis-server`, or set REDIS_URL to a Redis of yours',
        )
      }
      if (attempt === 3) throw error
    }
  }
}

/** Options for {@link start}. */
export interface StartOptions {
  /** A Redis to share. @defaultValue `REDIS_URL` if set and not empty, else a redis-server started here */
  redisUrl?: string
  /** The built gateway. @defaultValue `apps/gateway/dist/cli.js`, beside this app */
  cliPath?: string
}

/**
 * Two gateway processes, replicas A and B, sharing one Redis: the session
 * registry (a request for a session the other replica opened is forwarded to
 * it), the global rate limit and the response cache.
 */
export async function start({
  // Empty is unset, as `${REDIS_URL:-…}` has it.
  redisUrl = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL,
  cliPath = gatewayCliPath,
}: StartOptions = {}) {
  if (!existsSync(cliPath)) {
    throw new MissingError(
      `the gateway is not built (no ${cliPath}): run \`npx turbo run build\` first`,
    )
  }
  const redis = redisUrl === undefined ? await startRedis() : undefined
  const dir = await mkdtemp(join(tmpdir(), 'mcpx-multi-replica-'))
  const replicas: Started[] = []
  /** Stops both replicas, then Redis if it started it; answers how the replicas exited. */
  const stop = async () => {
    const exits = await Promise.all(replicas.map((replica) => replica.stop()))
    await redis?.stop()
    await rm(dir, { recursive: true, force: true })
    return exits
  }
  try {
    const run = randomBytes(6).toString('hex')
    const file = join(dir, 'gateway.json')
    await writeFile(file, JSON.stringify(replicaConfig(run), null, 2))
    const env = {
      ...process.env,
      REDIS_URL: redisUrl ?? redis!.url,
      REPLICA_SECRET: randomBytes(24).toString('hex'), // the same on every replica
    }
    const replica = async (name: string) => {
      const args = [cliPath, '--port', '0', '--config', file]
      const started = await startChild(
        `gateway ${name}`,
        process.execPath,
        args,
        env,
        /^LISTENING (\S+)$/m,
      )
      replicas.push(started)
      return new URL(started.match[1]!)
    }
    // Settled both: a replica still starting would outlive the stop() below.
    const [a, b] = await Promise.allSettled([replica('A'), replica('B')])
    if (a.status === 'rejected') throw a.reason
    if (b.status === 'rejected') throw b.reason
    return { a: a.value, b: b.value, redisUrl: env.REDIS_URL, ownRedis: redis !== undefined, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
