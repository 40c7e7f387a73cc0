import { backoffDelay } from '@mcpx/core'
import {
  type ResolvedRestartOptions,
  type RestartOptions,
  randomOption,
  resolveRestartOptions,
} from './backoff.js'
import { unref } from './unref.js'
import { fn } from './validate.js'

/**
 * Where a supervised child is in its life. `starting`: the pool should open
 * (or is opening) it; `ready`: it answered `initialize`; `backing-off`: it
 * died and waits `delay` ms (until `until`, on the supervisor's clock) before
 * the next start; `failed`: it crash-looped and is not restarted.
 */
export type SupervisorState =
  | { readonly kind: 'starting'; readonly attempt: number }
  | { readonly kind: 'ready'; readonly since: number }
  | {
      readonly kind: 'backing-off'
      readonly failures: number
      readonly delay: number
      readonly until: number
    }
  | {
      readonly kind: 'failed'
      readonly failures: number
      readonly windowMs: number
      readonly code: number | null | undefined
    }

/** What the pool does after {@link Supervisor.exited}. */
export type ExitDecision =
  | { readonly action: 'restart'; readonly delay: number }
  | { readonly action: 'stop'; readonly reason: 'crash-loop' | 'closed' }

/** A registration to undo: an event listener. Calling `dispose()` again does nothing. */
export interface Disposable {
  dispose(): void
}

/** Options of {@link createSupervisor}: the restart policy plus its sources of time and chance. */
export interface SupervisorOptions extends RestartOptions {
  /** Jitter's source, in `[0, 1)`; seed it in tests. @defaultValue Math.random */
  readonly random?: () => number
  /** The clock for the crash-loop window and `since`/`until`, in ms. @defaultValue Date.now */
  readonly now?: () => number
}

/** The restart policy of one supervised child. It starts no process: the pool does and reports here. */
export interface Supervisor {
  /** The current state (a new object on every change). */
  readonly state: SupervisorState
  /** Consecutive failures not yet forgotten (a child ready for `stableAfter` ms resets it). */
  readonly failures: number
  /** Starts after a failure so far (a counter for the pool's stats). */
  readonly restarts: number
  /** The pool opened the child (first start or restart). Only in `starting`. */
  started(): void
  /** The child answered `initialize`. Only in `starting`. */
  ready(): void
  /**
   * The child exited or its connection closed without the pool closing it
   * (any code, 0 included: a server is not meant to leave). Only in
   * `starting` or `ready`. Returns whether to restart (after `delay` ms: the
   * supervisor then moves to `starting` itself) or stop.
   */
  exited(code?: number | null): ExitDecision
  /** Leave `failed` (an operator's restart): forget the failures and go `starting` at once. */
  restart(): void
  /** Call `listener` after every change of state. */
  onChange(listener: (state: SupervisorState, previous: SupervisorState) => void): Disposable
  /** Clear the timers and drop the listeners. Idempotent; afterwards every call is a no-op. */
  close(): void
}

type Listener = (state: SupervisorState, previous: SupervisorState) => void

/**
 * Create the restart policy for one supervised child (docs/pool-design.md
 * §3.5): exponential backoff with jitter between restarts, a crash-loop limit
 * (`crashLoop.failures` exits within `crashLoop.windowMs` → `failed`), and
 * failures forgotten once the child has been ready for `stableAfter` ms. Its
 * timers are `unref`'d and cleared by `close()`.
 *
 * @example
 * ```ts
 * const supervisor = createSupervisor({ baseDelay: 200, crashLoop: { failures: 3, windowMs: 30_000 } })
 * supervisor.onChange((state) => { if (state.kind === 'starting') spawnChild() })
 * supervisor.started()
 * child.on('initialized', () => supervisor.ready())
 * child.on('exit', (code) => supervisor.exited(code)) // { action: 'restart', delay: 137 }
 * ```
 */
export function createSupervisor(options: SupervisorOptions = {}): Supervisor {
  const policy = resolveRestartOptions(options, 'createSupervisor() options')
  const random = randomOption('createSupervisor() random', options.random)
  const now = fn('createSupervisor() now', options.now, Date.now)
  return new RestartPolicy(policy, random, now)
}

class RestartPolicy implements Supervisor {
  state: SupervisorState = { kind: 'starting', attempt: 0 }
  failures = 0
  restarts = 0
  readonly #policy: ResolvedRestartOptions
  readonly #random: () => number
  readonly #now: () => number
  readonly #listeners = new Set<Listener>()
  /** Exit times within the crash-loop window, oldest first; at most `crashLoop.failures` long. */
  #exits: number[] = []
  #startedThisAttempt = false
  #timer: ReturnType<typeof setTimeout> | undefined
  #closed = false

  constructor(policy: ResolvedRestartOptions, random: () => number, now: () => number) {
    this.#policy = policy
    this.#random = random
    this.#now = now
  }

  started(): void {
    if (this.#closed) return
    this.#expect('started', 'starting')
    if (this.#startedThisAttempt)
      throw new Error('[@mcpx/pool] started() called twice for one start')
    this.#startedThisAttempt = true
    if (this.state.kind === 'starting' && this.state.attempt > 0) this.restarts++
  }

  ready(): void {
    if (this.#closed) return
    this.#expect('ready', 'starting')
    this.#set({ kind: 'ready', since: this.#now() })
    // Ready long enough is proof the child works: what killed it before is not a loop.
    this.#schedule(this.#policy.stableAfter, () => {
      this.failures = 0
      this.#exits = []
    })
  }

  exited(code?: number | null): ExitDecision {
    if (this.#closed) return { action: 'stop', reason: 'closed' }
    this.#expect('exited', 'starting', 'ready')
    this.#clearTimer()
    const at = this.#now()
    const { failures: limit, windowMs } = this.#policy.crashLoop
    this.#exits = this.#exits.filter((t) => at - t < windowMs)
    this.#exits.push(at)
    if (this.#exits.length > limit) this.#exits.shift()
    this.failures++
    if (this.#exits.length >= limit) {
      this.#set({ kind: 'failed', failures: this.#exits.length, windowMs, code })
      return { action: 'stop', reason: 'crash-loop' }
    }
    const delay = backoffDelay(this.failures, this.#policy, this.#random)
    this.#set({ kind: 'backing-off', failures: this.failures, delay, until: at + delay })
    this.#schedule(delay, () => this.#start(this.failures))
    return { action: 'restart', delay }
  }

  restart(): void {
    if (this.#closed) return
    this.#expect('restart', 'failed')
    this.failures = 0
    this.#exits = []
    this.#start(1)
  }

  onChange(listener: Listener): Disposable {
    if (this.#closed) return { dispose() {} }
    // A wrapper per registration, so registering one function twice gives two independent disposables.
    const entry: Listener = (state, previous) => listener(state, previous)
    this.#listeners.add(entry)
    return { dispose: () => this.#listeners.delete(entry) }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#clearTimer()
    this.#listeners.clear()
  }

  #start(attempt: number): void {
    this.#startedThisAttempt = false
    this.#set({ kind: 'starting', attempt })
  }

  #set(state: SupervisorState): void {
    const previous = this.state
    this.state = state
    for (const listener of [...this.#listeners]) listener(state, previous)
  }

  #expect(call: string, ...kinds: SupervisorState['kind'][]): void {
    if (!kinds.includes(this.state.kind)) {
      throw new Error(`[@mcpx/pool] supervisor ${call}() while ${this.state.kind}`)
    }
  }

  #schedule(ms: number, run: () => void): void {
    this.#clearTimer()
    this.#timer = unref(
      setTimeout(() => {
        this.#timer = undefined
        run()
      }, ms),
    )
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
