/**
 * A cancellation source cheaper than an `AbortController`: a few fields and
 * at most a few listeners. Node's `AbortController` costs microseconds per
 * message (its signal is an `EventTarget`); transports make one of these per
 * message instead, and `ctx.signal` turns it into a real `AbortSignal` only
 * when something asks for one.
 */
export interface AbortSource {
  readonly aborted: boolean
  readonly reason: unknown
  /**
   * Call `listener` once when aborted (at once, in a microtask, if already
   * aborted). Returns a function that removes it.
   */
  onAbort(listener: (reason: unknown) => void): () => void
}

/** An {@link AbortSource} its owner can abort. */
export interface AbortHandle extends AbortSource {
  abort(reason?: unknown): void
}

const noop = () => {}

class Source implements AbortHandle {
  aborted = false
  reason: unknown = undefined
  #listeners: ((reason: unknown) => void)[] | undefined = undefined

  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.aborted) {
      const reason = this.reason
      queueMicrotask(() => listener(reason))
      return noop
    }
    this.#listeners ??= []
    this.#listeners.push(listener)
    return () => {
      const listeners = this.#listeners
      const index = listeners ? listeners.indexOf(listener) : -1
      if (index !== -1) listeners!.splice(index, 1)
    }
  }

  abort(reason?: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason ?? new DOMException('This operation was aborted', 'AbortError')
    const listeners = this.#listeners
    this.#listeners = undefined
    if (listeners) for (const listener of listeners) listener(this.reason)
  }
}

/**
 * Make an abort source for one message.
 *
 * @example
 * ```ts
 * const cancel = abortSource()
 * const ctx = new Context({ kind: 'request', id: 1, method: 'tools/call', params, signal: cancel })
 * cancel.abort(new McpxError(ErrorCode.RequestCancelled, 'Client cancelled')) // ctx.signal aborts
 * ```
 */
export function abortSource(): AbortHandle {
  return new Source()
}

/** View an `AbortSignal` as an {@link AbortSource}. */
export function fromSignal(signal: AbortSignal): AbortSource {
  return {
    get aborted() {
      return signal.aborted
    },
    get reason() {
      return signal.reason
    },
    onAbort(listener) {
      if (signal.aborted) {
        queueMicrotask(() => listener(signal.reason))
        return noop
      }
      const handler = () => listener(signal.reason)
      signal.addEventListener('abort', handler, { once: true })
      return () => signal.removeEventListener('abort', handler)
    },
  }
}

/** Whether a value is an `AbortSignal` (rather than an {@link AbortSource}). */
export function isAbortSignal(value: AbortSignal | AbortSource): value is AbortSignal {
  return typeof (value as AbortSignal).addEventListener === 'function'
}
