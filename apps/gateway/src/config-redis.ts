import {
  at,
  httpUrl,
  isObject,
  number,
  object,
  type Problems,
  required,
  secret,
  shown,
  string,
} from './check.js'
import { MAX_TIMER } from './config-schema-parts.js'
import type { RedisConfig, ServeConfig, SessionsConfig } from './config-types.js'

// Issue 16: the top-level `redis` section (one Redis for every shared store: rate-limit counters,
// cache entries, pins, the session registry) and the `sessions` section (the session registry of
// the Streamable HTTP front end, so that replicas behind any load balancer serve each other's
// sessions).

const REDIS = ['url', 'sentinels', 'name', 'password', 'sentinelPassword', 'cluster'] as const
const SENTINEL = ['host', 'port'] as const
const SESSIONS = ['registry'] as const
const REGISTRY = ['advertise', 'secret', 'ttl', 'connectTimeout', 'prefix', 'timeoutMs'] as const
/** The session registry refuses a shorter one (`@mcpx/transports`). */
const MIN_SECRET = 16
const URL_RULE = 'must be a redis:// or rediss:// URL (not shown: it may hold a password)'

/** A `redis://` or `rediss://` URL; a wrong one is not shown (it may carry a password). */
export function redisUrl(value: unknown, path: string, problems: Problems): string | undefined {
  if (typeof value !== 'string' || value === '') return problems.add(path, URL_RULE)
  try {
    if (['redis:', 'rediss:'].includes(new URL(value).protocol)) return value
  } catch {}
  return problems.add(path, URL_RULE)
}

/**
 * The top-level `redis` section: exactly one of `url` (one server),
 * `sentinels` with `name` (a Sentinel-managed primary) and `cluster` (a
 * Redis Cluster's seed URLs), as ioredis connects to each.
 */
export function checkRedis(value: unknown, problems: Problems): RedisConfig | undefined {
  const file = object(value, 'redis', problems, REDIS)
  if (file === undefined) return undefined
  const kinds = (['url', 'sentinels', 'cluster'] as const).filter((k) => file[k] !== undefined)
  if (kinds.length !== 1) {
    return problems.add('redis', 'needs exactly one of url, sentinels (with name) and cluster')
  }
  const only = (keys: readonly string[], what: string) => {
    for (const key of keys) {
      if (file[key] !== undefined) problems.add(at('redis', key), `goes with ${what} only`)
    }
  }
  const password = secret(file.password, 'redis.password', problems)
  const kind = kinds[0]!
  if (kind === 'url') {
    only(['name', 'password', 'sentinelPassword'], 'sentinels or cluster')
    const url = redisUrl(file.url, 'redis.url', problems)
    return url && !file.name && !file.password && !file.sentinelPassword ? { url } : undefined
  }
  if (kind === 'cluster') {
    only(['name', 'sentinelPassword'], 'sentinels')
    const nodes = checkNodes(file.cluster, problems)
    if (!nodes || file.name !== undefined || file.sentinelPassword !== undefined) return undefined
    if (file.password !== undefined && password === undefined) return undefined
    return { cluster: nodes, ...(password !== undefined && { password }) }
  }
  const sentinels = checkSentinels(file.sentinels, problems)
  const name = required(file.name, 'redis.name', problems, string)
  const sentinelPassword = secret(file.sentinelPassword, 'redis.sentinelPassword', problems)
  if (!sentinels || !name) return undefined
  if (file.password !== undefined && password === undefined) return undefined
  if (file.sentinelPassword !== undefined && sentinelPassword === undefined) return undefined
  return {
    sentinels,
    name,
    ...(password !== undefined && { password }),
    ...(sentinelPassword !== undefined && { sentinelPassword }),
  }
}

function checkSentinels(value: unknown, problems: Problems) {
  const path = 'redis.sentinels'
  if (!Array.isArray(value) || value.length === 0) {
    return problems.add(path, 'must be a non-empty array of { host, port }')
  }
  const list = value.map((item, i) => {
    const where = at(path, i)
    if (!isObject(item)) return problems.add(where, `must be { host, port }, got ${shown(item)}`)
    const file = object(item, where, problems, SENTINEL)!
    const host = required(file.host, at(where, 'host'), problems, string)
    const port = required(file.port, at(where, 'port'), problems, (v, p, ps) =>
      number(v, p, ps, { min: 1, max: 65535, integer: true }),
    )
    return host && port ? { host, port } : undefined
  })
  return list.every((entry) => entry !== undefined) ? list : undefined
}

function checkNodes(value: unknown, problems: Problems): string[] | undefined {
  const path = 'redis.cluster'
  if (!Array.isArray(value) || value.length === 0) {
    return problems.add(path, 'must be a non-empty array of redis:// or rediss:// URLs')
  }
  const list = value.map((item, i) => redisUrl(item, at(path, i), problems))
  return list.every((url) => url !== undefined) ? list : undefined
}

/** The top-level `redis` section as the stores see it: whether the file has one, and it checked. */
export interface SharedRedis {
  written: boolean
  config: RedisConfig | undefined
}

/** A file without a top-level `redis` section. */
export const NO_REDIS: SharedRedis = { written: false, config: undefined }

/**
 * Where a store's Redis is: its own `url`, or else the top-level `redis`
 * section (`shared`). Neither is a problem under the store's `url`.
 */
export function storeRedis(
  url: unknown,
  path: string,
  problems: Problems,
  shared: SharedRedis,
): RedisConfig | undefined {
  if (url !== undefined) {
    const own = redisUrl(url, at(path, 'url'), problems)
    return own === undefined ? undefined : { url: own }
  }
  // A top-level section with a problem of its own: that problem says it.
  if (shared.written) return shared.config
  return problems.add(
    at(path, 'url'),
    'is required: give the store its own, or add a top-level redis section (which it then uses)',
  )
}

/**
 * The `sessions` section: the session registry in the top-level `redis`,
 * for the Streamable HTTP front end. Refused without `redis`; with another
 * front end, `sessionsProblem` says so (the command line may change it).
 */
export function checkSessions(
  value: unknown,
  problems: Problems,
  redis: SharedRedis,
): SessionsConfig | undefined {
  const file = object(value, 'sessions', problems, SESSIONS)
  if (file === undefined) return undefined
  const path = 'sessions.registry'
  const registry = required(file.registry, path, problems, (v, p, ps) => object(v, p, ps, REGISTRY))
  if (registry === undefined) return undefined
  const before = problems.list.length
  if (!redis.written) {
    problems.add(path, 'needs the top-level redis section: the replicas share their sessions there')
  }
  const advertise = checkAdvertise(registry.advertise, at(path, 'advertise'), problems)
  const shared = required(registry.secret, at(path, 'secret'), problems, secret)
  if (shared !== undefined && !/^[\x21-\x7e]+$/.test(shared)) {
    // A newline (a secret read from a file) or an edge space would fail every forward, later.
    problems.add(
      at(path, 'secret'),
      'must be visible ASCII characters only (no spaces or newlines)',
    )
  } else if (shared !== undefined && shared.length < MIN_SECRET) {
    // The secret itself is not shown, nor its length.
    problems.add(at(path, 'secret'), `must be at least ${MIN_SECRET} characters`)
  }
  const ms = (key: string, min: number) =>
    number(registry[key], at(path, key), problems, { min, max: MAX_TIMER, integer: true })
  const ttl = ms('ttl', 100)
  const connectTimeout = ms('connectTimeout', 1)
  const timeoutMs = ms('timeoutMs', 1)
  const prefix = string(registry.prefix, at(path, 'prefix'), problems)
  if (problems.list.length > before || !redis.config || shared === undefined) return undefined
  return {
    registry: {
      secret: shared,
      ...(advertise !== undefined && { advertise }),
      ...(ttl !== undefined && { ttl }),
      ...(connectTimeout !== undefined && { connectTimeout }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(prefix !== undefined && { prefix }),
    },
  }
}

/** An http(s) origin: a scheme, a host and maybe a port, no path, query or credentials. */
function checkAdvertise(value: unknown, path: string, problems: Problems): string | undefined {
  const url = httpUrl(value, path, problems)
  if (url === undefined) return undefined
  const parsed = new URL(url)
  const bare = parsed.pathname === '/' && !parsed.search && !parsed.hash
  if (!bare || parsed.username || parsed.password) {
    return problems.add(path, 'must be an http(s) origin, such as http://10.0.0.7:3000 (no path)')
  }
  return parsed.origin
}

/** Addresses that mean "every interface": another replica cannot reach a replica there. */
const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '::0', '[::0]'])

/**
 * What the session registry needs of the front end, once the command line
 * has had its say: Streamable HTTP (`--serve` may change it), and an
 * `advertise` origin when the gateway listens on every interface (its own
 * origin would then be no address at all).
 */
export function sessionsProblem(
  sessions: SessionsConfig | undefined,
  serve: Pick<ServeConfig, 'transport' | 'host'>,
): string | undefined {
  if (sessions === undefined) return undefined
  if (serve.transport !== 'http') {
    return `sessions: the session registry is for Streamable HTTP (serve.transport http), not ${serve.transport}`
  }
  if (sessions.registry.advertise === undefined && WILDCARD.has(serve.host)) {
    return `sessions.registry.advertise: is required when serve.host is ${serve.host}: the other replicas need an address that reaches this one`
  }
  return undefined
}
