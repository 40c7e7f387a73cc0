import type { Redis } from 'ioredis'

/** Where diagnostics go, already prefixed by the caller (`[mcpx ratelimit] `). */
type Log = (line: string) => void

/** How long start-up waits for Redis before serving anyway. */
const REDIS_READY_MS = 5_000

/** A Redis client the gateway made, and so closes. */
export interface RedisConnection {
  readonly client: Redis
  /** Quit (or, when not connected, disconnect): no reconnection timer outlives it. */
  close(): Promise<void>
}

/**
 * A client for `url` as the mcpx Redis stores ask: fail fast rather than
 * queue, never resend a command that timed out (a rate-limit check would be
 * charged late, a cache read answered late), and drop a connection that
 * hangs. Waits up to 5 s for it to be ready, then goes on anyway (`meanwhile`
 * says what that means, in the log line). One line when Redis goes away and
 * one when it is back, not one per reconnection attempt. ioredis is loaded
 * only here: its module graph costs memory every other gateway would carry.
 */
export async function connectRedis(
  url: string,
  log: Log,
  meanwhile: string,
): Promise<RedisConnection> {
  const { Redis } = await import('ioredis')
  const client = new Redis(url, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    socketTimeout: 1_000,
  })
  let down = false
  client.on('error', (error: Error) => {
    if (!down) log(`redis: ${error.message}`)
    down = true
  })
  client.on('ready', () => {
    if (down) log('redis: connected')
    down = false
  })
  if (!(await ready(client, REDIS_READY_MS))) {
    log(`redis: not ready after ${REDIS_READY_MS} ms; serving, ${meanwhile}`)
  }
  return {
    client,
    async close() {
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect())
      else client.disconnect()
    },
  }
}

/** Whether `client` became ready within `ms`; the listener and timer are gone either way. */
function ready(client: Redis, ms: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer)
      client.off('ready', onReady)
      resolve(ok)
    }
    const onReady = () => done(true)
    const timer = setTimeout(() => done(false), ms)
    timer.unref()
    client.on('ready', onReady)
  })
}
