// The `redis` and `sessions` sections' types, as written and as checked (the same shape).

/**
 * The top-level `redis` section, as written and as checked: one server
 * (`url`), a Sentinel-managed primary, or a Redis Cluster. Written the same,
 * two stores share one client.
 */
export type RedisConfig =
  | { url: string }
  | {
      sentinels: { host: string; port: number }[]
      /** The primary's name, as the Sentinels know it. */
      name: string
      /** The primary's (and its replicas') password. */
      password?: string
      sentinelPassword?: string
    }
  | { cluster: string[]; password?: string }

/** The `sessions` section, as written and as checked (`advertise` as an origin). */
export interface SessionsConfig {
  registry: {
    /** This replica's origin as the others reach it; default the origin it listens on. */
    advertise?: string
    secret: string
    ttl?: number
    connectTimeout?: number
    /** `redisSessionDirectory()`'s key prefix and command timeout. */
    prefix?: string
    timeoutMs?: number
  }
}
