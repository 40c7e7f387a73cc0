import { createHash } from 'node:crypto'
import { type Cluster, Command, type Redis } from 'ioredis'

/** A Lua script, sent by its SHA-1 and loaded again when Redis has lost it. */
export interface RedisScript {
  readonly source: string
}

/** How the Redis stores talk to Redis: fail fast, one timeout per command. */
export interface RedisSender {
  send(name: string, args: (string | number)[]): Promise<unknown>
  script(which: RedisScript, keys: string[], args: (string | number)[]): Promise<unknown>
}

const shas = new WeakMap<RedisScript, string>()

/**
 * Commands on `client` that never queue: a client that is not ready refuses
 * at once (a `lazyConnect` one is asked to connect), and each command fails
 * after `timeoutMs`. Scripts go by EVALSHA, falling back to EVAL when Redis
 * lost them (a restart, `SCRIPT FLUSH`, a failover).
 */
export function redisSender(client: Redis | Cluster, timeoutMs: number): RedisSender {
  const send = (name: string, args: (string | number)[]): Promise<unknown> => {
    if (client.status !== 'ready') {
      if (client.status === 'wait') client.connect().catch(() => {})
      return Promise.reject(new Error(`Redis is not ready (${client.status})`))
    }
    const command = new Command(name, args, { replyEncoding: 'utf8' })
    command.setTimeout(timeoutMs)
    return client.sendCommand(command) as Promise<unknown>
  }
  return {
    send,
    async script(which, keys, args) {
      let sha = shas.get(which)
      if (sha === undefined) {
        sha = createHash('sha1').update(which.source).digest('hex')
        shas.set(which, sha)
      }
      try {
        return await send('evalsha', [sha, keys.length, ...keys, ...args])
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error
        return send('eval', [which.source, keys.length, ...keys, ...args])
      }
    },
  }
}
