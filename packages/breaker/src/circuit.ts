import type { AbortSource } from '@mcpx/core'
import { CircuitOpenError } from './circuit-open-error.js'
import type { TripCounter } from './trip.js'

// The state machine behind createCircuitBreaker(): closed → open → half-open → closed or open.

/**
 * Where a circuit is. `closed`: calls pass and outcomes are counted. `open`:
 * calls are refused until `until` (on the breaker's clock); `opens` is how
 * many times it opened in a row without closing (1, then 2 after a failed
 * probe, …), which the open duration grows with. `half-open`: up to
 * `halfOpenProbes` trial calls at once; `probes` are in flight, `successes`
 * succeeded. A new object on every change.
 */
export type CircuitState =
  | { readonly kind: 'closed'; readonly since: number }
  | {
      readonly kind: 'open'
      readonly since: number
      readonly until: number
      readonly opens: number
    }
  | {
      readonly kind: 'half-open'
      readonly since: number
      readonly probes: number
      readonly successes: number
      readonly opens: number
    }

/** A registration to undo: an event listener. Calling `dispose()` again does nothing. */
export interface Disposable {
  dispose(): void
}

/** The circuit breaker of one upstream (or one upstream's tool): a policy that runs nothing itself. */
export interface CircuitBreaker {
  /** The current state, as of now: an `open` circuit whose time is up reads (and becomes) `half-open`. */
  readonly state: CircuitState
  /** Calls refused so far. */
  readonly rejected: number
  /** Times it opened so far. */
  readonly opened: number
  /**
   * Run `fn` if the circuit lets a call through, and count its outcome: a
   * success, a failure (by `isFailure`; when `signal` aborted, by its
   * reason), or neither (another error: it frees a probe's place but closes
   * nothing). Refused: rejects with a {@link CircuitOpenError} without
   * calling `fn`; `signal` already aborted: rejects with its reason. `fn`
   * gets `signal` (one that never aborts when none is given) and must honour it.
   */
  execute<T>(fn: (signal: AbortSource) => Promise<T>, signal?: AbortSource): Promise<T>
  /**
   * The allocation-free form of `execute` for a middleware's hot path: a
   * permit (a positive number) if a call may go now, `0` if refused. Every
   * permit must be ended by exactly one {@link record} or {@link release}.
   */
  tryAcquire(): number
  /** End a permit's call, successful or failed. A permit from an earlier state (the circuit changed since) counts nothing. */
  record(permit: number, success: boolean): void
  /** End a permit's call without counting it (cancelled, refused by the gateway's own limits, the client's fault). */
  release(permit: number): void
  /** The error a refused call gets now: `retryAfterMs` is the time until it half-opens (none while half-open). */
  rejection(upstream?: string): CircuitOpenError
  /**
   * Call `listener` after it moves between closed, open and half-open (not when a probe starts or
   * ends). Every listener runs; the first one that throws has its error rethrown to the caller that
   * moved it, once the move is complete (none, when a timer half-opened it).
   */
  onStateChange(listener: (state: CircuitState, previous: CircuitState) => void): Disposable
  /** Call `listener` for every refused call. */
  onRejected(listener: (state: CircuitState) => void): Disposable
  /** Clear its timer and drop its listeners. Idempotent; it still answers calls, half-opening lazily. */
  close(): void
}

type StateListener = (state: CircuitState, previous: CircuitState) => void
type RejectedListener = (state: CircuitState) => void

/** What the state machine needs, fixed by createCircuitBreaker(). */
export interface Policy {
  readonly now: () => number
  readonly halfOpenProbes: number
  readonly halfOpenSuccesses: number
  readonly isFailure: (error: unknown) => boolean
  readonly strategy: TripCounter
  readonly openFor: (opens: number) => number
}

/** Never aborts: the signal `execute` passes when it was given none. */
const NEVER: AbortSource = { aborted: false, reason: undefined, onAbort: () => () => {} }

export class Breaker implements CircuitBreaker {
  rejected = 0
  opened = 0
  #state: CircuitState
  /**
   * Bumped on every change of kind; a permit is the generation it was given
   * in, so an outcome that arrives after the circuit moved on (a slow call
   * from before it opened, a probe of an earlier half-open) counts nothing.
   */
  #generation = 1
  readonly #policy: Policy
  // Copied on write, so that notifying (on every refused call) allocates no iterator.
  #stateListeners: readonly StateListener[] = []
  #rejectedListeners: readonly RejectedListener[] = []
  #timer: ReturnType<typeof setTimeout> | undefined
  #closed = false

  constructor(policy: Policy) {
    this.#policy = policy
    this.#state = { kind: 'closed', since: policy.now() }
  }

  get state(): CircuitState {
    if (this.#state.kind === 'open') this.#halfOpenIfDue()
    return this.#state
  }

  tryAcquire(): number {
    // The hot path: a closed circuit is one comparison, no clock read, no allocation.
    if (this.#state.kind === 'closed') return this.#generation
    if (this.#state.kind === 'open') this.#halfOpenIfDue()
    const state = this.#state
    if (state.kind === 'half-open' && state.probes < this.#policy.halfOpenProbes) {
      this.#state = { ...state, probes: state.probes + 1 }
      return this.#generation
    }
    this.rejected++
    const listeners = this.#rejectedListeners
    for (let i = 0; i < listeners.length; i++) listeners[i]!(state)
    return 0
  }

  record(permit: number, success: boolean): void {
    if (permit !== this.#generation) return
    const state = this.#state
    if (state.kind === 'closed') {
      if (success) this.#policy.strategy.success()
      else if (this.#policy.strategy.failure()) this.#open(1)
    } else if (state.kind === 'half-open') {
      const successes = state.successes + 1
      if (!success) this.#open(state.opens + 1)
      else if (successes >= this.#policy.halfOpenSuccesses) this.#close()
      else this.#state = { ...state, probes: state.probes - 1, successes }
    }
  }

  release(permit: number): void {
    const state = this.#state
    if (permit !== this.#generation || state.kind !== 'half-open') return
    this.#state = { ...state, probes: state.probes - 1 }
  }

  async execute<T>(run: (signal: AbortSource) => Promise<T>, signal = NEVER): Promise<T> {
    if (signal.aborted) throw signal.reason
    const permit = this.tryAcquire()
    if (permit === 0) throw this.rejection()
    let value: T
    try {
      value = await run(signal)
    } catch (error) {
      // An aborted call failed for its signal's reason: a client's cancel is none of the upstream's doing, a timeout is.
      if (this.#counts(signal.aborted ? signal.reason : error)) this.record(permit, false)
      else this.release(permit)
      throw error
    }
    this.record(permit, true)
    return value
  }

  rejection(upstream?: string): CircuitOpenError {
    const state = this.state
    if (state.kind !== 'open') return new CircuitOpenError({ state: 'half-open', upstream })
    const retryAfterMs = Math.max(0, state.until - this.#policy.now())
    return new CircuitOpenError({ state: 'open', retryAfterMs, upstream })
  }

  onStateChange(listener: StateListener): Disposable {
    if (this.#closed) return { dispose() {} }
    // A wrapper per registration, so registering one function twice gives two independent disposables.
    const entry: StateListener = (state, previous) => listener(state, previous)
    this.#stateListeners = [...this.#stateListeners, entry]
    return {
      dispose: () => (this.#stateListeners = this.#stateListeners.filter((l) => l !== entry)),
    }
  }

  onRejected(listener: RejectedListener): Disposable {
    if (this.#closed) return { dispose() {} }
    const entry: RejectedListener = (state) => listener(state)
    this.#rejectedListeners = [...this.#rejectedListeners, entry]
    return {
      dispose: () => (this.#rejectedListeners = this.#rejectedListeners.filter((l) => l !== entry)),
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#clearTimer()
    this.#stateListeners = []
    this.#rejectedListeners = []
  }

  #counts(error: unknown): boolean {
    try {
      return this.#policy.isFailure(error) === true
    } catch {
      // A classifier that throws must not leak the probe's place; count it, as isFailure counts what it cannot read.
      return true
    }
  }

  #open(opens: number): void {
    const since = this.#policy.now()
    const duration = this.#policy.openFor(opens)
    this.opened++
    // The timer first: a listener that throws must not leave an open circuit with none.
    this.#schedule(duration)
    this.#set({ kind: 'open', since, until: since + duration, opens })
  }

  #close(): void {
    this.#clearTimer()
    this.#policy.strategy.reset()
    this.#set({ kind: 'closed', since: this.#policy.now() })
  }

  #halfOpenIfDue(): boolean {
    const state = this.#state
    if (state.kind !== 'open') return false
    const at = this.#policy.now()
    if (at < state.until) return false
    this.#clearTimer()
    this.#set({ kind: 'half-open', since: at, probes: 0, successes: 0, opens: state.opens })
    return true
  }

  /** The new state, then every listener; the first listener's throw is rethrown once all have run. */
  #set(state: CircuitState): void {
    const previous = this.#state
    this.#state = state
    this.#generation++
    const listeners = this.#stateListeners
    let thrown: { error: unknown } | undefined
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(state, previous)
      } catch (error) {
        thrown ??= { error }
      }
    }
    if (thrown) throw thrown.error
  }

  #schedule(delay: number): void {
    this.#clearTimer()
    if (this.#closed) return
    const timer = setTimeout(() => {
      this.#timer = undefined
      try {
        // On an injected clock the time may not be up yet: wait the rest.
        if (!this.#halfOpenIfDue() && this.#state.kind === 'open') {
          this.#schedule(Math.max(1, this.#state.until - this.#policy.now()))
        }
      } catch {
        // A state listener threw, with no caller here to hear it: the circuit is half-open all the same.
      }
    }, delay)
    // A breaker nobody closed must not keep a process alive (STYLE: Avoid).
    ;(timer as { unref?: () => void }).unref?.()
    this.#timer = timer
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
