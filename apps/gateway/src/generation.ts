import {
  type ClientSession,
  Context,
  errorResponse,
  idOf,
  isResponse,
  type McpProxy,
  McpxError,
  sessionKey,
  validateMessage,
} from '@mcpx/core'
import type { UpstreamSource } from '@mcpx/transports'
import type { Gateway, Log } from './stack.js'

/** The sessions remembered for a `list_changed` after a reload; the oldest is dropped past this. */
const MAX_SESSIONS = 10_000

/** What a reload announces: the lists a new generation may answer differently. */
const CHANGED = [
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
]

interface Generation {
  readonly gateway: Gateway
  /** Messages dispatched on it and not finished yet. */
  inFlight: number
  /** Set once retired: called when the last message in flight finishes. */
  drained?: () => void
}

/** The front end's one proxy over the gateway's successive generations. */
export interface Generations {
  /** What the front end serves, for the life of the process. */
  readonly proxy: McpProxy
  /** The generation new messages go to. */
  readonly current: Gateway
  /**
   * Make `next` current: messages dispatched from now on run on it, those in
   * flight finish on the one they started on, which is then released (but
   * the sources in `keep`, which `next` uses too), after `drainTimeout` ms at
   * the latest. Then every open session is told its lists changed.
   */
  swap(next: Gateway, keep: ReadonlySet<UpstreamSource>, drainTimeout: number): void
}

/**
 * One proxy whose every message is dispatched on the current generation's
 * stack, picked when the message arrives: a reload swaps the generation
 * between two messages, never under one. The sessions it sees are
 * remembered until they close, to be told of a reload.
 */
export function createGenerations(first: Gateway, log: Log): Generations {
  let current: Generation = { gateway: first, inFlight: 0 }
  const retiring = new Set<{ release(): Promise<void> }>()
  const sessions = new Map<ClientSession, () => void>()
  let closing: Promise<void> | undefined

  const remember = (session: ClientSession | undefined) => {
    if (!session || session.closed || sessions.has(session)) return
    sessions.set(
      session,
      session.onClose(() => sessions.delete(session)),
    )
    if (sessions.size > MAX_SESSIONS) {
      const [oldest, remove] = sessions.entries().next().value!
      remove()
      sessions.delete(oldest)
    }
  }

  const proxy: McpProxy = {
    use() {
      throw new TypeError('the gateway proxy is built by createGateway: use() is not available')
    },

    async dispatch(ctx, terminal) {
      remember(ctx.get(sessionKey))
      const generation = current
      generation.inFlight++
      try {
        await generation.gateway.proxy.dispatch(ctx, terminal)
      } finally {
        if (--generation.inFlight === 0) generation.drained?.()
      }
    },

    // As core's `handle`, over this `dispatch`.
    async handle(message, options = {}) {
      const valid = validateMessage(message)
      if (McpxError.is(valid)) return errorResponse(idOf(message), valid)
      if (isResponse(valid)) return undefined
      const ctx = Context.from(valid, options)
      await proxy.dispatch(ctx, options.terminal)
      if (ctx.id === undefined) return undefined
      if (ctx.error) return errorResponse(ctx.id, ctx.error)
      return { jsonrpc: '2.0', id: ctx.id, result: ctx.result as Record<string, unknown> }
    },

    close() {
      closing ??= (async () => {
        // Shutting down: what a retired generation still runs has been drained or ended by now.
        await Promise.all([...retiring].map((retired) => retired.release()))
        await current.gateway.proxy.close()
        for (const remove of sessions.values()) remove()
        sessions.clear()
      })()
      return closing
    },
  }

  function retire(generation: Generation, keep: ReadonlySet<UpstreamSource>, timeout: number) {
    let released: Promise<void> | undefined
    let timer: NodeJS.Timeout | undefined
    const handle = {
      release: () => {
        released ??= (async () => {
          clearTimeout(timer)
          try {
            await generation.gateway.release(keep)
          } catch (error) {
            log(`mcpx-gateway: closing the replaced config failed: ${(error as Error)?.message}`)
          } finally {
            retiring.delete(handle)
          }
        })()
        return released
      },
    }
    retiring.add(handle)
    // The new breaker's circuits start closed: the replaced one's open circuits must not block
    // their replicas meanwhile (its calls still in flight may say so again, until released).
    generation.gateway.resetCircuits()
    if (generation.inFlight === 0) {
      void handle.release()
      return
    }
    generation.drained = () => void handle.release()
    // A call that never ends must not keep a removed upstream's children forever.
    timer = setTimeout(() => {
      log(
        `mcpx-gateway: ${generation.inFlight} request(s) on the replaced config still in flight after ${timeout} ms: closing what it alone used`,
      )
      void handle.release()
    }, timeout)
    timer.unref()
  }

  return {
    proxy,
    get current() {
      return current.gateway
    },
    swap(next, keep, drainTimeout) {
      // Built while the gateway shut down: what it made alone goes, nothing is swapped in.
      if (closing) {
        void next.release(keep)
        return
      }
      const previous = current
      current = { gateway: next, inFlight: 0 }
      retire(previous, keep, drainTimeout)
      for (const session of [...sessions.keys()]) {
        if (session.closed) continue
        for (const method of CHANGED) {
          session.toClient({ jsonrpc: '2.0', method }).catch((error: unknown) => {
            log(`mcpx-gateway: could not tell a client of the reload: ${(error as Error)?.message}`)
          })
        }
      }
    },
  }
}
