import {
  type Context,
  ErrorCode,
  McpxError,
  type Next,
  targetKey,
  type UpstreamHealth,
} from '@mcpx/core'
import type { Balancer, Replica } from './balance/balancer.js'
import { rendezvous } from './balance/consistent-hash.js'
import { createBalancer } from './balance/create-balancer.js'
import type { Failure } from './failure.js'
import { assertPrefix } from './namespace.js'
import type { ReplicaOption, UpstreamEntry } from './options.js'
import type { SessionReplicas } from './session-replicas.js'

const SET_LEVEL = 'logging/setLevel'

/** One entry of `upstreams`, compiled: its replicas, balancer and name prefix. */
export class Group {
  readonly name: string
  /** The prefix of its exposed names, '' when not namespaced. */
  readonly prefix: string
  readonly priority: number
  /** Declaration order, for tie-breaks. */
  readonly index: number
  readonly replicas: readonly Replica[]
  /** Its latest `initialize` failure, until one answers again (read by `router.upstreams()`). */
  initializeFailure: Failure | undefined
  /** When (`tick()`) it last answered an `initialize` or a list: a failure before is over. */
  answeredAt = 0
  readonly #balancer: Balancer
  readonly #health: UpstreamHealth | undefined
  readonly #sessions: SessionReplicas

  constructor(
    name: string,
    entry: UpstreamEntry,
    index: number,
    sessions: SessionReplicas,
    health?: UpstreamHealth,
  ) {
    if (typeof entry !== 'object' || entry === null) {
      throw new TypeError(`[@mcpx/router] upstream entry "${name}" must be an object`)
    }
    this.name = name
    this.index = index
    this.priority = entry.priority ?? 0
    if (!Number.isFinite(this.priority)) {
      throw new TypeError(`[@mcpx/router] priority of "${name}" must be a finite number`)
    }
    this.prefix = prefixOf(name, entry.namespace)
    this.replicas = (entry.replicas ?? [name]).map((option) => replicaOf(name, option))
    this.#balancer = createBalancer(entry.balance ?? 'round-robin', this.replicas, name)
    this.#health = health
    this.#sessions = sessions
  }

  /** The replica for this message among the available ones; an error naming the group when none is. */
  pick(ctx: Context): Replica {
    return this.#balancer.pick(this.available(), ctx)
  }

  /**
   * The replica that holds `key` (a subscription's session and URI) for as
   * long as it stays available, whatever the group's strategy: an
   * unsubscribe must reach the replica that has the subscription.
   */
  pickFor(key: string): Replica {
    return rendezvous(this.available(), key)
  }

  /**
   * The replicas of this group that `ctx`'s session has used and that are
   * available, or the one its balancer picks when it has used none: where
   * `logging/setLevel` and client notifications go ("every upstream of the
   * session"), without opening a connection to every replica.
   */
  sessionReplicas(ctx: Context): readonly Replica[] {
    const used = this.#sessions.usedBy(ctx)
    const mine = this.available().filter((replica) => used.has(replica))
    return mine.length > 0 ? mine : [this.pick(ctx)]
  }

  /** The replicas health lets through (the group's own array when all are); throws when none is. */
  available(): readonly Replica[] {
    const health = this.#health
    if (!health || this.replicas.every((replica) => health.isAvailable(replica.name))) {
      return this.replicas
    }
    const healthy = this.replicas.filter((replica) => health.isAvailable(replica.name))
    if (healthy.length === 0) {
      throw new McpxError(
        ErrorCode.UpstreamUnavailable,
        `No available replica of upstream "${this.name}"`,
        { data: { upstream: this.name } },
      )
    }
    return healthy
  }

  /**
   * Send `ctx` (or a fork of it) to `replica` through the rest of the stack:
   * the target names it, the balancer counts it in flight meanwhile.
   */
  send(
    ctx: Context,
    next: Next,
    replica: Replica,
    method: string,
    params: unknown,
    fork: boolean,
  ): Promise<void> {
    const level = this.#sessions.use(ctx, replica)
    // The session set a logging level before it first reached this replica: it gets the level
    // first. The send after it finds the replica used, so it does not come back here.
    if (level !== undefined && method !== SET_LEVEL) {
      const setLevel = ctx.fork({ method: SET_LEVEL, params: level })
      setLevel.set(targetKey, {
        upstream: replica.name,
        group: this.name,
        method: SET_LEVEL,
        params: level,
      })
      const send = () => this.send(ctx, next, replica, method, params, fork)
      return next(setLevel).then(send, send)
    }
    const balancer = this.#balancer
    ctx.set(targetKey, { upstream: replica.name, group: this.name, method, params })
    if (!balancer.start) return fork ? next(ctx) : next()
    balancer.start(replica)
    const done = () => balancer.end?.(replica)
    const sent = fork ? next(ctx) : next()
    sent.then(done, done)
    return sent
  }
}

function prefixOf(name: string, namespace: string | boolean | undefined): string {
  if (namespace === undefined || namespace === false) return ''
  const prefix = namespace === true ? name : namespace
  assertPrefix(prefix)
  return prefix
}

function replicaOf(group: string, option: ReplicaOption): Replica {
  const replica = typeof option === 'string' ? { name: option } : option
  if (typeof replica?.name !== 'string' || replica.name === '') {
    throw new TypeError(`[@mcpx/router] replicas of "${group}" need names`)
  }
  return { name: replica.name, weight: replica.weight ?? 1 }
}
