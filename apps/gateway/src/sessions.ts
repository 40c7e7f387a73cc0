import type { SessionRegistryOptions } from '@mcpx/transports/node'
import type { RedisConfig, SessionsConfig } from './config-types.js'
import { connectRedis } from './redis.js'

/** Where diagnostics go (the gateway's `Log`). */
type Log = (line: string) => void

/** The `sessions` section, built: the registry's options once the origin is known, and its Redis lease. */
export interface SessionRegistry {
  /** The front end's `registry` option, given the origin it listens on. */
  options(origin: string): SessionRegistryOptions
  /** Give the Redis lease back: after the front end closed (its sessions released their claims). */
  close(): Promise<void>
}

/**
 * The session registry in the top-level Redis (`redisSessionDirectory()`):
 * the client is the one the stores share, waited for up to 5 s, so that
 * the first sessions' claims are written (a claim that fails waits for the
 * next refresh, `ttl / 3` later). `advertise`, when the config gives it, is
 * this replica's origin; otherwise the origin it listens on.
 */
export async function createSessionRegistry(
  sessions: SessionsConfig,
  redis: RedisConfig,
  log: Log,
): Promise<SessionRegistry> {
  const [connection, { redisSessionDirectory }] = await Promise.all([
    connectRedis(
      redis,
      log,
      'a request for a session another replica owns gets 404 until it is (sessions work on their own replica)',
    ),
    import('@mcpx/transports/redis'),
  ])
  const { advertise, secret, connectTimeout, ttl, prefix, timeoutMs } = sessions.registry
  const directory = redisSessionDirectory({
    client: connection.client,
    ...(ttl !== undefined && { ttl }),
    ...(prefix !== undefined && { prefix }),
    ...(timeoutMs !== undefined && { timeoutMs }),
  })
  return {
    options: (origin) => ({
      directory,
      self: advertise ?? origin,
      secret,
      ...(connectTimeout !== undefined && { connectTimeout }),
    }),
    close: () => connection.close(),
  }
}
