import { ErrorCode, McpxError } from '@mcpx/core'
import type { PeerRequestOptions, UpstreamConnection } from '@mcpx/transports/protocol'
import { unref } from './unref.js'

/** A ready connection as the sweeper sees it: the pool's slot, or a view of one. */
export interface PingTarget {
  /** The open connection (only read while the pool lists the target as ready). */
  readonly connection: UpstreamConnection
  /** Requests in flight now. */
  readonly inFlight: number
}

/** The ping options of {@link createPingSweeper}: those of `ResolvedPoolOptions['health']`. */
export interface PingSweeperOptions {
  /** Ms without proof of life after which a connection is pinged; 0: no health pings. */
  readonly pingInterval: number
  /** Ms a ping may take before it counts as missed (≥ 1). */
  readonly pingTimeout: number
  /** Missed pings in a row after which a connection is reported dead (≥ 1). */
  readonly pingFailures: number
  /** Ms after which an idle connection (nothing in flight) is pinged anyway; 0: none. */
  readonly keepAlive: number
}

/** A running sweeper. */
export interface PingSweeper {
  /** Clear the timer; pings answered later are ignored. Idempotent. */
  close(): void
}

/**
 * Per connection, in a WeakMap: a connection the pool dropped takes its
 * state with it, and a restarted slot starts afresh (a ping in flight when
 * the old child died is no miss of the new one).
 */
interface Watch {
  /** The connection's `responses` at the last tick (or after our own ping's answer). */
  answers: number
  /** The last tick with proof of life (traffic, or the tick an answered ping was sent on). */
  activeTick: number
  misses: number
  pinging: boolean
  /** Reported to `onDead`: never pinged or reported again. */
  dead: boolean
}

const NOT_SWEEPING: PingSweeper = Object.freeze({ close() {} })

/**
 * Ping a pool's ready connections (docs/pool-design.md §3.4) on one `unref`'d
 * timer. Each tick, a target whose server sent a response since the last
 * tick (its connection's `responses` grew; requests merely in flight, timed
 * out or failed prove nothing) is alive and its misses reset. Otherwise it gets an MCP `ping` once `pingInterval`
 * ms passed without proof of life, or once `keepAlive` ms passed idle
 * (nothing in flight: intermediaries drop idle HTTP and WebSocket
 * connections), at most one ping in flight per target. Any answer, a
 * JSON-RPC error included (a server without `ping` still answered), is
 * alive; a timeout or a connection failure is a miss, and `pingFailures`
 * misses in a row call `onDead` once. Both intervals 0: no timer at all.
 *
 * `targets` runs on each tick and `onDead` when a ping settles; neither may
 * throw. Evicting and replacing a dead target is the caller's job.
 *
 * @example
 * ```ts
 * const sweeper = createPingSweeper(options.health, () => readySlots(), (slot, reason) => {
 *   log(`evicting a connection: ${reason}`) // "missed 2 pings"
 *   evict(slot)
 * })
 * // … on close:
 * sweeper.close()
 * ```
 */
export function createPingSweeper<T extends PingTarget>(
  options: PingSweeperOptions,
  targets: () => Iterable<T>,
  onDead: (target: T, reason: string) => void,
): PingSweeper {
  // The options come resolved (resolvePoolOptions checked them): nothing to check twice.
  const settings = options
  if (settings.pingInterval === 0 && settings.keepAlive === 0) return NOT_SWEEPING
  return new Sweeper(settings, targets, onDead)
}

class Sweeper<T extends PingTarget> implements PingSweeper {
  readonly #states = new WeakMap<UpstreamConnection, Watch>()
  readonly #targets: () => Iterable<T>
  readonly #onDead: (target: T, reason: string) => void
  readonly #failures: number
  /** Made once and shared by every ping (the peer only reads it). */
  readonly #request: PeerRequestOptions
  /** Ticks without proof of life before a health ping, and idle ticks before a keepalive. */
  readonly #pingAfter: number
  readonly #keepAliveAfter: number
  readonly #timer: ReturnType<typeof setInterval>
  /** The sweeper's clock, in ticks: timer jitter cannot make an interval look one tick short. */
  #tick = 0
  #closed = false

  constructor(
    settings: PingSweeperOptions,
    targets: () => Iterable<T>,
    onDead: (target: T, reason: string) => void,
  ) {
    this.#targets = targets
    this.#onDead = onDead
    this.#failures = settings.pingFailures
    this.#request = Object.freeze({ timeout: settings.pingTimeout })
    const { pingInterval, keepAlive } = settings
    // One timer at the shorter cadence serves both: each target is checked against its own limit.
    const period = Math.min(pingInterval || keepAlive, keepAlive || pingInterval)
    const ticks = (ms: number) => (ms === 0 ? Number.POSITIVE_INFINITY : Math.ceil(ms / period))
    this.#pingAfter = ticks(pingInterval)
    this.#keepAliveAfter = ticks(keepAlive)
    this.#timer = unref(setInterval(() => this.#sweep(), period))
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
  }

  #sweep(): void {
    const tick = ++this.#tick
    for (const target of this.#targets()) {
      const state = this.#states.get(target.connection)
      if (state === undefined) {
        // Just opened: its handshake was an answer. Watch it from here.
        this.#states.set(target.connection, {
          answers: target.connection.responses,
          activeTick: tick,
          misses: 0,
          pinging: false,
          dead: false,
        })
        continue
      }
      if (state.dead) continue
      const { inFlight } = target
      const answers = target.connection.responses
      // Responses from the server are proof of life (§3.4): no ping needed, earlier misses forgiven.
      // Requests in flight are not (a hung server has them too), nor are timeouts or failures.
      if (answers !== state.answers) {
        state.answers = answers
        state.activeTick = tick
        state.misses = 0
        continue
      }
      if (state.pinging) continue
      const quiet = tick - state.activeTick
      if (quiet >= this.#pingAfter || (inFlight === 0 && quiet >= this.#keepAliveAfter)) {
        this.#ping(target, state, tick)
      }
    }
  }

  #ping(target: T, state: Watch, tick: number): void {
    state.pinging = true
    const conn = target.connection
    let ping: Promise<unknown>
    try {
      ping = conn.request('ping', undefined, this.#request)
    } catch (error) {
      ping = Promise.reject(error)
    }
    ping.then(
      () => this.#answered(conn, state, tick),
      (error: unknown) => {
        const verdict = verdictOf(error)
        if (verdict === 'alive') this.#answered(conn, state, tick)
        // A connection that closed by itself, or was replaced meanwhile, is not this sweeper's to report.
        else if (verdict === 'missed' && !conn.closed && target.connection === conn) {
          this.#missed(target, state)
        } else state.pinging = false
      },
    )
  }

  #answered(conn: UpstreamConnection, state: Watch, sentTick: number): void {
    state.pinging = false
    if (this.#closed || state.dead) return
    // The ping's own response is no traffic: without this, every other tick would skip its ping.
    state.answers = conn.responses
    state.misses = 0
    // From when it was sent: a ping answered late must not push the next one a tick further.
    state.activeTick = Math.max(state.activeTick, sentTick)
  }

  #missed(target: T, state: Watch): void {
    state.pinging = false
    if (this.#closed || state.dead) return
    state.misses++
    if (state.misses < this.#failures) return
    state.dead = true
    this.#onDead(target, `missed ${state.misses} pings`)
  }
}

/**
 * What a ping's rejection says. A JSON-RPC error response is an answer
 * (-32601 from a server without `ping` too); our own timeout and a failed or
 * closed connection are misses; a full queue of the gateway's own (-32011)
 * says nothing about the server.
 */
function verdictOf(error: unknown): 'alive' | 'missed' | 'unknown' {
  if (!McpxError.is(error)) return 'missed'
  switch (error.code) {
    case ErrorCode.RequestTimeout:
    case ErrorCode.UpstreamUnavailable:
      return 'missed'
    case ErrorCode.Overloaded:
      return 'unknown'
    default:
      return 'alive'
  }
}
