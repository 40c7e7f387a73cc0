import type { AbortSource } from '@mcpx/core'

/** One lease (or handshake) waiting for a ready connection. */
export interface Waiter<T> {
  /** Whether the taker counts as a request in flight (a lease) or only reads (a handshake). */
  readonly lease: boolean
  resolve(value: T): void
  reject(error: unknown): void
}

interface Entry<T> extends Waiter<T> {
  timer: ReturnType<typeof setTimeout> | undefined
  stopAbort: () => void
}

/**
 * The bounded FIFO of leases waiting for a connection (docs/pool-design.md
 * §3.1 `acquireTimeout`, `maxWaiting`). Off the hot path: a wait allocates.
 * Every timer is cleared when its entry leaves.
 */
export class WaitQueue<T> {
  readonly #entries: Entry<T>[] = []

  get size(): number {
    return this.#entries.length
  }

  /**
   * Wait at most `timeout` ms (then `onTimeout()`'s error), or until `signal`
   * aborts (then its reason).
   */
  wait(lease: boolean, timeout: number, signal: AbortSource, onTimeout: () => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Entry<T> = {
        lease,
        timer: undefined,
        stopAbort: noop,
        resolve: (value) => {
          this.#leave(entry)
          resolve(value)
        },
        reject: (error) => {
          this.#leave(entry)
          reject(error)
        },
      }
      this.#entries.push(entry)
      // Not unref'd: a waiting lease is a caller's work in progress (bounded by `timeout`), so it
      // keeps the process up while, say, the pool's unref'd restart timer brings a child back.
      entry.timer = setTimeout(() => entry.reject(onTimeout()), timeout)
      entry.stopAbort = signal.onAbort((reason) => entry.reject(reason))
    })
  }

  /** The oldest waiter, still queued (resolving or rejecting it removes it). */
  peek(): Waiter<T> | undefined {
    return this.#entries[0]
  }

  /** Reject every waiter with `error()`. */
  rejectAll(error: () => unknown): void {
    for (const entry of [...this.#entries]) entry.reject(error())
  }

  #leave(entry: Entry<T>): void {
    const i = this.#entries.indexOf(entry)
    if (i === -1) return
    this.#entries.splice(i, 1)
    clearTimeout(entry.timer)
    entry.stopAbort()
  }
}

const noop = (): void => {}
