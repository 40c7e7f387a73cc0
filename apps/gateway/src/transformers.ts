import type { Middleware, StatsRegistry } from '@mcpx/core'
import {
  type Cache,
  cache,
  memoryPinStore,
  metadata,
  type PinTools,
  pinTools,
  redact,
  rewriteTools,
  validateArguments,
} from '@mcpx/transformers'
import type {
  CacheConfig,
  PinToolsConfig,
  TransformersConfig,
} from './config-types-transformers.js'
import { connectRedis, type RedisConnection } from './redis.js'

/** Where diagnostics go (the gateway's `Log`). */
type Log = (line: string) => void

/** The `transformers` section as middleware, for the two places they go in the stack. */
export interface TransformerLayers {
  /** `metadata()`: above the router, so that a fanned-out list carries one request id and its merged answer is stamped. */
  readonly above: Middleware[]
  /**
   * Below the router (each sees one upstream's message, core's `targetKey`)
   * and above the resilience layers (a hit, a refusal or a hidden tool costs
   * no attempt, slot or circuit), in `@mcpx/transformers`' order:
   * validateArguments → rewriteTools → pinTools → cache → redact.
   */
  readonly below: Middleware[]
  /** The `pinTools()` layer (one of `below`), for `mcpx-gateway pins`; undefined without the section. */
  readonly pins?: PinTools | undefined
  /** Redis leases the layers hold (the pins'): to close after them. */
  readonly leases: readonly RedisConnection[]
}

/**
 * Build the `transformers` section. Each factory gets the options as the
 * file wrote them (checked already), and the gateway's log: lines start
 * `[mcpx transformers]`. The cache's Redis client, when it has one, is the
 * gateway's: the cache's `close()` (which `proxy.close()` calls) closes it.
 * The cache and the pins report their numbers to `stats` when there is one.
 */
export async function createTransformers(
  config: TransformersConfig | undefined,
  log: Log,
  stats?: StatsRegistry,
): Promise<TransformerLayers> {
  if (config === undefined) return { above: [], below: [], leases: [] }
  const reported = stats === undefined ? {} : { statsRegistry: stats }
  const say: Log = (line) => log(`[mcpx transformers] ${line}`)
  const { pinTools: pins } = config
  if (pins?.lockFile !== undefined && pins.lock === undefined) {
    throw new TypeError(
      `transformers.pinTools.lockFile was not read (${pins.lockFile}): withPinLock() first`,
    )
  }
  const below: Middleware[] = []
  let pinned: PinTools | undefined
  const leases: RedisConnection[] = []
  if (config.validateArguments)
    below.push(validateArguments({ ...config.validateArguments, log: say }))
  if (config.rewriteTools) below.push(rewriteTools({ ...config.rewriteTools, log: say }))
  if (pins) {
    pinned = await createPins(pins, say, log, reported, leases)
    below.push(pinned)
  }
  const redaction = config.redact && redact(config.redact)
  const above = config.metadata ? [metadata(config.metadata)] : []
  // Last: nothing may throw once the cache's Redis is connected (the pins' lease goes back if it does).
  if (config.cache) {
    try {
      below.push(await createCache(config.cache, say, log, stats))
    } catch (error) {
      await pinned?.close()
      await Promise.all(leases.map((lease) => lease.close()))
      throw error
    }
  }
  if (redaction) below.push(redaction)
  return { above, below, pins: pinned, leases }
}

/** `pinTools()` on its memory store, or on Redis (`redisPinStore()`) through a client of the gateway's. */
async function createPins(
  config: PinToolsConfig,
  log: Log,
  root: Log,
  reported: { statsRegistry?: StatsRegistry },
  leases: RedisConnection[],
): Promise<PinTools> {
  const { lockFile: _, lock, strict, maxPins, store: where, ...options } = config
  const locked = lock === undefined ? {} : { lock, ...(strict !== undefined && { strict }) }
  const bound = maxPins === undefined ? {} : { maxPins }
  if (where === undefined) {
    const store = memoryPinStore(bound)
    return pinTools({ ...options, ...locked, store, ...reported, log })
  }
  const [redis, { redisPinStore }] = await Promise.all([
    connectRedis(where.redis, root, 'lists that need a pin judged leave the tools out until it is'),
    import('@mcpx/transformers/redis'),
  ])
  try {
    const store = redisPinStore({
      client: redis.client,
      ...bound,
      ...(where.key !== undefined && { key: where.key }),
      ...(where.timeoutMs !== undefined && { timeoutMs: where.timeoutMs }),
    })
    const pins = pinTools({ ...options, ...locked, store, ...reported, log })
    // The store never closes its client: the gateway's lease goes back after the layer closed.
    leases.push(redis)
    return pins
  } catch (error) {
    await redis.close()
    throw error
  }
}

/** `cache()` on its memory store (bounded as the file says), or on Redis through a client of the gateway's. */
async function createCache(
  { options, store }: CacheConfig,
  log: Log,
  root: Log,
  stats: StatsRegistry | undefined,
): Promise<Cache> {
  const reported = stats === undefined ? {} : { statsRegistry: stats }
  if (store.kind === 'memory') {
    const { kind: _, ...bounds } = store
    return cache({ ...options, ...bounds, ...reported, log })
  }
  const { kind: _, redis: connection, ...settings } = store
  const [redis, { redisCacheStore }] = await Promise.all([
    connectRedis(connection, root, 'the cache answers from the upstreams until it is'),
    import('@mcpx/transformers/redis'),
  ])
  try {
    const responses = cache({
      ...options,
      store: redisCacheStore({ client: redis.client, ...settings }),
      ...reported,
      log,
    })
    // The cache never closes a store it was given, nor the store its client: the gateway made both.
    const close = responses.close
    responses.close = async () => {
      await close()
      await redis.close()
    }
    return responses
  } catch (error) {
    await redis.close()
    throw error
  }
}
