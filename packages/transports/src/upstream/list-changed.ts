import type { Notification } from '@mcpx/core'

/** The list changes a server announces (MCP Tools, Prompts, Resources §List Changed Notification). */
export const LIST_CHANGED: ReadonlySet<string> = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
])

interface Waiting {
  timer: ReturnType<typeof setTimeout>
  message: Notification
}

/**
 * Coalesces list_changed notifications per session and method: the first
 * one opens a window of `window` ms, later ones inside it are absorbed, and
 * the latest is delivered when it closes. A list change carries nothing but
 * "list again", so a burst of them (a server registering tools one by one)
 * costs the client one round of `tools/list`, not ten. Timers never keep
 * the process alive; {@link drop} clears a session's when it ends.
 */
export class ListChangedDebouncer<S> {
  readonly #window: number
  readonly #deliver: (session: S, message: Notification) => void
  readonly #waiting = new Map<S, Map<string, Waiting>>()

  constructor(window: number, deliver: (session: S, message: Notification) => void) {
    this.#window = window
    this.#deliver = deliver
  }

  /** Notifications waiting for their window to close. */
  get pendingCount(): number {
    let n = 0
    for (const methods of this.#waiting.values()) n += methods.size
    return n
  }

  push(session: S, message: Notification): void {
    if (this.#window === 0) {
      this.#deliver(session, message)
      return
    }
    let methods = this.#waiting.get(session)
    const waiting = methods?.get(message.method)
    if (waiting) {
      waiting.message = message
      return
    }
    if (!methods) {
      methods = new Map()
      this.#waiting.set(session, methods)
    }
    const timer = setTimeout(() => this.#flush(session, message.method), this.#window)
    ;(timer as { unref?: () => void }).unref?.()
    methods.set(message.method, { timer, message })
  }

  /** Forget `session`'s waiting notifications (it ended). */
  drop(session: S): void {
    const methods = this.#waiting.get(session)
    if (!methods) return
    for (const { timer } of methods.values()) clearTimeout(timer)
    this.#waiting.delete(session)
  }

  /** Forget everything (the upstream is closing). */
  clear(): void {
    for (const session of [...this.#waiting.keys()]) this.drop(session)
  }

  #flush(session: S, method: string): void {
    const methods = this.#waiting.get(session)
    const waiting = methods?.get(method)
    if (!methods || !waiting) return
    methods.delete(method)
    if (methods.size === 0) this.#waiting.delete(session)
    this.#deliver(session, waiting.message)
  }
}
