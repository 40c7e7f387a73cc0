import { type ClientSession, type Context, sessionKey } from '@mcpx/core'
import type { Replica } from './balance/balancer.js'

/** Subscriptions remembered per session; past this the replica comes from the hash alone. */
const MAX_SUBSCRIPTIONS = 1000

interface State {
  /** The replicas this session has sent to. */
  readonly used: Set<Replica>
  /** Where each of its subscriptions lives, by URI. */
  readonly subscriptions: Map<string, Replica>
  /** Its latest `logging/setLevel` params, for replicas it reaches later. */
  level: unknown
}

/**
 * What the router remembers per downstream session: which replicas it has
 * used (`logging/setLevel` and client notifications go there, not to every
 * replica, which on per-session upstreams would open a connection each) and
 * which replica holds each of its subscriptions (an unsubscribe must reach
 * it even if health has moved the hash since). Bounded by the replicas and
 * `MAX_SUBSCRIPTIONS` per session; forgotten when the session ends.
 */
export class SessionReplicas {
  readonly #bySession = new WeakMap<ClientSession, State>()

  /**
   * `ctx`'s session sends to `replica`. The first time, if the session set
   * a logging level, returns its params: the replica should get it first.
   */
  use(ctx: Context, replica: Replica): unknown {
    const state = this.#of(ctx)
    if (!state || state.used.has(replica)) return undefined
    state.used.add(replica)
    return state.level
  }

  /** `ctx`'s session set its logging level (`logging/setLevel` params). */
  setLevel(ctx: Context, params: unknown): void {
    const state = this.#of(ctx)
    if (state) state.level = params
  }

  /** The replicas `ctx`'s session has used (empty without a session). */
  usedBy(ctx: Context): ReadonlySet<Replica> {
    const session = ctx.get(sessionKey)
    return (session && this.#bySession.get(session)?.used) || EMPTY
  }

  /** Where `ctx`'s subscription to `uri` lives, if it has one. */
  subscription(ctx: Context, uri: string): Replica | undefined {
    const session = ctx.get(sessionKey)
    return session ? this.#bySession.get(session)?.subscriptions.get(uri) : undefined
  }

  subscribed(ctx: Context, uri: string, replica: Replica): void {
    const subscriptions = this.#of(ctx)?.subscriptions
    if (subscriptions && subscriptions.size < MAX_SUBSCRIPTIONS) subscriptions.set(uri, replica)
  }

  unsubscribed(ctx: Context, uri: string): void {
    const session = ctx.get(sessionKey)
    if (session) this.#bySession.get(session)?.subscriptions.delete(uri)
  }

  #of(ctx: Context): State | undefined {
    const session = ctx.get(sessionKey)
    if (!session || session.closed) return undefined
    const known = this.#bySession.get(session)
    if (known) return known
    const state: State = { used: new Set(), subscriptions: new Map(), level: undefined }
    this.#bySession.set(session, state)
    session.onClose(() => this.#bySession.delete(session))
    return state
  }
}

const EMPTY: ReadonlySet<Replica> = new Set()
