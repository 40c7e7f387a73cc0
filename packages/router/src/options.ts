import type { UpstreamHealth } from '@mcpx/core'
import type { BalanceStrategy } from './balance/balancer.js'
import type { NamespaceOptions } from './namespace.js'

/** One replica of an upstream group: a name `forward()` knows, and its share of the traffic. */
export type ReplicaOption = string | { readonly name: string; readonly weight?: number }

/** One upstream as the router sees it: a single upstream, or a group of replicas of one server. */
export interface UpstreamEntry {
  /**
   * Prefix this upstream's tool and prompt names in lists (`math` + `_` +
   * `add` → `math_add`); `true` uses the entry's name. Resource URIs are
   * never rewritten.
   * @defaultValue `false`: names pass unchanged (they are still made valid and ≤ 64 characters)
   */
  readonly namespace?: string | boolean
  /**
   * The upstreams (names given to `forward()`) that serve this entry, each
   * with a weight for the weighted strategies.
   * @defaultValue `[entry name]`
   */
  readonly replicas?: readonly ReplicaOption[]
  /**
   * How a message picks one of `replicas`.
   * @defaultValue `'round-robin'`
   */
  readonly balance?: BalanceStrategy
  /**
   * Which of two upstreams exposing one name serves it under `collisions:
   * 'first'`: the higher priority, then the earlier entry.
   * @defaultValue `0`
   */
  readonly priority?: number
}

/** Glob patterns (see the README's "Patterns"): one, or a list any of which may match. */
export type Patterns = string | readonly string[]

/**
 * A route: messages whose tool name, resource URI, prompt name or method
 * matches go to `to`. A route with several kinds matches any of them.
 */
export interface Route {
  /** Tool names as the client sends them (`tools/call`). */
  readonly tools?: Patterns
  /** Resource URIs (`resources/read`, `subscribe`, `unsubscribe`, resource completions); URI templates in lists. */
  readonly resources?: Patterns
  /** Prompt names (`prompts/get`, prompt completions). */
  readonly prompts?: Patterns
  /** Other request and notification methods (`vendor/*`). */
  readonly methods?: Patterns
  /** The entry of `upstreams` that serves what matches. */
  readonly to: string
  /**
   * Higher wins; equal priorities go to the more specific pattern, then the
   * earlier route.
   * @defaultValue `0`
   */
  readonly priority?: number
}

/** What happens when two upstreams expose one name: see {@link RouterOptions.collisions}. */
export type CollisionPolicy = 'first' | 'error'

/** One name exposed by more than one upstream, as the router reports it. */
export interface Collision {
  readonly kind: 'tool' | 'prompt' | 'resource' | 'resourceTemplate'
  /** The name (or URI) the client sees. */
  readonly name: string
  /** The entries exposing it, the one that serves it first (none under `'error'`). */
  readonly upstreams: readonly string[]
}

/** Options for {@link router}. */
export interface RouterOptions {
  /** The upstreams, by the name routes use. */
  readonly upstreams: Readonly<Record<string, UpstreamEntry>>
  /** Routes, in declaration order. @defaultValue `[]` */
  readonly routes?: readonly Route[]
  /** The entry for what neither a route, a namespace nor a catalog places. @defaultValue none: unknown names are refused */
  readonly default?: string
  /** Separator and length cap of exposed names. @defaultValue `{ separator: '_', maxLength: 64 }` */
  readonly namespace?: NamespaceOptions
  /**
   * Two upstreams exposing one name: `'first'` serves it from the entry
   * with the higher priority (then the earlier entry) and reports the
   * collision; `'error'` serves it from neither, and lists and calls of it
   * fail with an error naming both. Reported through `log` either way, on
   * every catalog refresh.
   * @defaultValue `'first'`
   */
  readonly collisions?: CollisionPolicy
  /**
   * Items per page of aggregated lists; a client gets `nextCursor` while
   * more remain. `0`: one page with everything.
   * @defaultValue `0`
   */
  readonly pageSize?: number
  /**
   * HMAC key of pagination cursors (≥ 16 characters or bytes). Give every
   * replica of a gateway the same key so that each accepts the others'
   * cursors.
   * @defaultValue a random key per process
   */
  readonly cursorKey?: string | Uint8Array
  /** Hot names remembered by each route matcher. @defaultValue `1000` */
  readonly memo?: number
  /** Replica health (pool and breaker write it); unavailable replicas are skipped. @defaultValue every replica is available */
  readonly health?: UpstreamHealth
  /**
   * Milliseconds (≥ 10) before an upstream that failed to list is asked
   * again; until then lists are served without it.
   * @defaultValue `5000`
   */
  readonly retryInterval?: number
  /** Most items kept from one upstream's list (more are dropped and logged). @defaultValue `10000` */
  readonly maxItems?: number
  /** Tasks remembered for their creators (expired, then oldest forgotten first; a tenth of them per caller at most). @defaultValue `10000` */
  readonly maxTasks?: number
  /** Receives the router's log lines (missing upstreams, collisions). @defaultValue `console.error` */
  readonly log?: (line: string) => void
}

/** The options with defaults applied and checked. */
export interface ResolvedOptions {
  readonly collisions: CollisionPolicy
  readonly pageSize: number
  readonly memo: number
  readonly retryInterval: number
  readonly maxItems: number
  readonly maxTasks: number
  readonly log: (line: string) => void
}

const fail = (message: string): never => {
  throw new TypeError(`[@mcpx/router] ${message}`)
}

function count(value: number | undefined, fallback: number, name: string): number {
  const n = value ?? fallback
  if (!Number.isInteger(n) || n < 0) fail(`${name} must be an integer ≥ 0, got ${value}`)
  return n
}

function atLeast(value: number | undefined, fallback: number, min: number, name: string): number {
  const n = value ?? fallback
  if (!Number.isInteger(n) || n < min) fail(`${name} must be an integer ≥ ${min}, got ${value}`)
  return n
}

/** Check the options that are plain values; entries and routes are checked where they compile. */
export function resolveOptions(options: RouterOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('router() needs an options object')
  if (typeof options.upstreams !== 'object' || options.upstreams === null) {
    fail('upstreams must be an object of upstream entries')
  }
  if (Object.keys(options.upstreams).length === 0) fail('upstreams needs at least one entry')
  const collisions = options.collisions ?? 'first'
  if (collisions !== 'first' && collisions !== 'error') {
    fail(`collisions must be 'first' or 'error', got ${String(collisions)}`)
  }
  if (options.default !== undefined && !Object.hasOwn(options.upstreams, options.default)) {
    fail(`default names no upstream entry: "${options.default}"`)
  }
  if (options.log !== undefined && typeof options.log !== 'function') fail('log must be a function')
  return {
    collisions,
    pageSize: count(options.pageSize, 0, 'pageSize'),
    memo: count(options.memo, 1000, 'memo'),
    retryInterval: atLeast(options.retryInterval, 5000, 10, 'retryInterval'),
    maxItems: count(options.maxItems, 10_000, 'maxItems'),
    maxTasks: count(options.maxTasks, 10_000, 'maxTasks'),
    log: options.log ?? ((line) => console.error(`[@mcpx/router] ${line}`)),
  }
}
