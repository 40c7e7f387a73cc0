import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import type { AbortSource } from './abort.js'
import type { Notification, Request, RequestId } from './jsonrpc.js'

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
  /**
   * When the credential stops being valid, in milliseconds since the epoch
   * (a token's `exp`), if it expires. A connection authenticated once (a
   * WebSocket) is ended then, so that it does not outlive its token.
   */
  readonly expiresAt?: number
}

/** Where a message goes: set by the router, read by forward, breaker, pool and metrics. */
export interface Target {
  /** The upstream's name: the replica's, where a router entry has several. */
  readonly upstream: string
  /**
   * The router entry the upstream is a replica of (its name in the
   * router's `upstreams`), set by the router. Policies that must treat the
   * replicas of one entry alike (a tool's pin, a deny list) key on it.
   */
  readonly group?: string
  /** The method as the upstream knows it. */
  readonly method: string
  /** The params as the upstream should receive them (names un-namespaced). */
  readonly params: unknown
}

/** What an {@link Access} predicate is asked about. For `resourceTemplate` the name is the URI template. */
export type AccessKind = 'tool' | 'prompt' | 'resource' | 'resourceTemplate'

/**
 * May the current caller use this tool, prompt or resource? Auth sets one per
 * message; the router hides what it refuses from lists and answers a call
 * to it exactly like an unknown name, so probing reveals nothing.
 */
export type Access = (kind: AccessKind, name: string) => boolean

/**
 * The downstream client session a message belongs to, as middleware may keep
 * it beyond one message (the router remembers which session created a task
 * and tells it about list changes). Transports set it on every context.
 */
export interface ClientSession {
  /** The session id (`Mcp-Session-Id`), where the transport has one. */
  readonly id: string | undefined
  /** Whether the session has ended. */
  readonly closed: boolean
  /**
   * Send a server-initiated request or notification to this client, through
   * the stack (direction `toClient`); resolves with the client's answer to
   * a request. `related` is the client request it belongs to, when any;
   * `signal` cancels it; `source` names the upstream it speaks for (core's
   * `sourceKey` on its context: a `list_changed` from `source` makes the
   * router fetch that upstream's list again).
   */
  toClient(
    message: Request | Notification,
    related?: RequestId,
    signal?: AbortSignal | AbortSource,
    source?: string,
  ): Promise<unknown>
  /** Call `listener` once when the session ends; returns a function that removes it. */
  onClose(listener: () => void): () => void
}

/** The authenticated caller of the current message. */
export const principalKey: Key<Principal> = createKey<Principal>('mcpx.principal')
/** The upstream, method and params that `forward` sends. */
export const targetKey: Key<Target> = createKey<Target>('mcpx.target')
/** The access decision for the current caller; see {@link Access}. */
export const accessKey: Key<Access> = createKey<Access>('mcpx.access')
/** The downstream session of the current message; see {@link ClientSession}. */
export const sessionKey: Key<ClientSession> = createKey<ClientSession>('mcpx.session')
/** On a server-initiated (`toClient`) message: the name of the upstream it came from. */
export const sourceKey: Key<string> = createKey<string>('mcpx.source')
/**
 * When the current message must be answered by, in milliseconds since the
 * epoch (`Date.now()`). A timeout policy sets it (the tighter of any
 * deadline already set); `forward()` reads it and cancels the upstream
 * request then: the upstream gets `notifications/cancelled`, the client
 * -32001. Progress does not move it.
 */
export const deadlineKey: Key<number> = createKey<number>('mcpx.deadline')
/**
 * On a `tools/call`: the called tool's definition as its upstream lists it
 * (annotations, `inputSchema`), under the name the client called, set by
 * the router from its catalog when the tool is listed. Annotations are an
 * upstream's word, not a guarantee: a reader trusts them only when
 * configured to.
 */
export const toolKey: Key<ToolDefinition> = createKey<ToolDefinition>('mcpx.tool')

/**
 * How a response cache answered the current message: `hit` (from a fresh
 * entry, without the upstream), `stale` (from an expired one, refreshed in
 * the background), `miss` (asked the upstream, may store the answer),
 * `coalesced` (waited for an identical miss in flight), `bypass` (not
 * cached: a store failure, or no key it may use).
 */
export type CacheStatus = 'hit' | 'stale' | 'miss' | 'coalesced' | 'bypass'
/**
 * Set by a response cache (`@mcpx/transformers`' `cache()`) on each message
 * it considered; read by metrics and access logs without importing the cache.
 */
export const cacheStatusKey: Key<CacheStatus> = createKey<CacheStatus>('mcpx.cache')

/** A tool as an upstream's `tools/list` gives it (the SDK's `Tool`). */
export type ToolDefinition = Readonly<Tool>
