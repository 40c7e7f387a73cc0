/**
 * A typed slot on a {@link Context}. Keys compare by identity, so two
 * packages that create keys with the same name never collide.
 */
export interface Key<T> {
  readonly name: string
  /** Phantom field that carries `T`; it never exists at run time. */
  readonly __type?: T
}

/**
 * Create a typed context key. Export it from the package that owns the value.
 *
 * @example
 * ```ts
 * const cacheKey = createKey<{ hit: boolean }>('mcpx.cache')
 * ctx.set(cacheKey, { hit: true })
 * ctx.get(cacheKey)?.hit // boolean | undefined
 * ```
 */
export function createKey<T>(name: string): Key<T> {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError('[@mcpx/core] a key needs a non-empty name')
  }
  return Object.freeze({ name }) as Key<T>
}

/** Who is calling: set by authentication, read by rate limits, routing, metrics and caches. */
export interface Principal {
  /** The authenticated subject (JWT `sub`, API key owner, …). */
  readonly subject: string
  /** The OAuth client id, when known. */
  readonly clientId?: string
  /** Granted scopes. */
  readonly scopes: readonly string[]
  /** Verified claims, for policies that need more than the above. */
  readonly claims?: Readonly<Record<string, unknown>>
}

/** Where a message goes: set by the router, read by forward, breaker, pool and metrics. */
export interface Target {
  /** The upstream's name. */
  readonly upstream: string
  /** The method as the upstream knows it. */
  readonly method: string
  /** The params as the upstream should receive them (names un-namespaced). */
  readonly params: unknown
}

/** The authenticated caller of the current message. */
export const principalKey: Key<Principal> = createKey<Principal>('mcpx.principal')
/** The upstream, method and params that `forward` sends. */
export const targetKey: Key<Target> = createKey<Target>('mcpx.target')
