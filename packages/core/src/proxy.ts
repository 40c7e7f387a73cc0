import { type Composed, compose, type Handler, type Middleware } from './compose.js'
import { Context, type Direction, type SessionInfo } from './context.js'
import { ErrorCode, type ErrorHandler, McpxError, toMcpxError } from './errors.js'
import { errorResponse, idOf, isResponse, type Response, validateMessage } from './jsonrpc.js'

/**
 * The handler at the bottom of the stack: it answers the message (usually by
 * forwarding it). A terminal that holds resources (upstream connections)
 * has a `close()`, which `proxy.close()` calls.
 */
export interface Terminal {
  (ctx: Context, next: () => Promise<void>): Promise<void>
  close?(): Promise<void> | void
}

/** Options for {@link createProxy}. */
export interface ProxyOptions {
  /**
   * Answers what no middleware answered, e.g. `forward()` from
   * `@mcpx/transports`. Without one, requests nobody answers get -32601.
   */
  terminal?: Terminal
  /**
   * Receives every error that is not an `McpxError` (the client sees a
   * generic -32603 instead).
   * @defaultValue logs to `console.error`
   */
  onError?: ErrorHandler
  /**
   * Strict `next()` checking; see `ComposeOptions.strict`.
   * @defaultValue `true` unless `NODE_ENV` is `production`
   */
  strict?: boolean
}

/** Per-message options for {@link McpProxy.handle}. */
export interface HandleOptions {
  session?: SessionInfo
  signal?: AbortSignal
  direction?: Direction
  /** A terminal for this message only, instead of the proxy's. */
  terminal?: Terminal
}

/** A middleware stack with a terminal handler: the heart of every mcpx gateway. */
export interface McpProxy {
  /** Append middleware, outermost first. */
  use(...middleware: Middleware[]): this
  /**
   * Run one context through the stack and the terminal. Never rejects: a
   * thrown error ends up in `ctx.error` (non-`McpxError`s as a generic -32603,
   * reported to `onError`). A request that nothing answered gets -32601.
   */
  dispatch(ctx: Context, terminal?: Terminal): Promise<void>
  /**
   * Run one parsed JSON-RPC message through the stack in process and return
   * its response: undefined for notifications (and for responses, which
   * need no answer). Invalid messages get -32600.
   */
  handle(message: unknown, options?: HandleOptions): Promise<Response | undefined>
  /**
   * Release what the stack holds: every middleware that has a `close()`
   * (innermost first), then the terminal's `close()` (upstream connections).
   * Front ends are closed on their own, before this. Calling it again
   * returns the same promise.
   */
  close(): Promise<void>
}

const logError: ErrorHandler = (error, { method }) => {
  console.error(`[@mcpx/core] unhandled error${method ? ` in ${method}` : ''}:`, error)
}

/**
 * Create a proxy: a middleware stack in front of a terminal handler.
 *
 * @example
 * ```ts
 * const proxy = createProxy({ terminal: forward(upstream) })
 * proxy.use(logger(), on('tools/call', guard))
 * const response = await proxy.handle({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
 * ```
 */
export function createProxy(options: ProxyOptions = {}): McpProxy {
  const { terminal: defaultTerminal, strict } = options
  const onError = options.onError ?? logError
  const stack: Middleware[] = []
  let composed: Composed<Context> | undefined
  let closing: Promise<void> | undefined

  async function release(): Promise<void> {
    const closable = [...stack].reverse() as { close?: () => unknown }[]
    for (const fn of closable) if (typeof fn.close === 'function') await fn.close()
    await defaultTerminal?.close?.()
  }

  const proxy: McpProxy = {
    use(...middleware) {
      for (const fn of middleware) {
        if (typeof fn !== 'function')
          throw new TypeError('[@mcpx/core] use() takes middleware functions')
      }
      stack.push(...middleware)
      composed = undefined
      return this
    },

    async dispatch(ctx, terminal = defaultTerminal) {
      composed ??= compose(stack as Handler<Context>[], { strict })
      try {
        await composed(ctx, terminal as Handler<Context> | undefined)
      } catch (error) {
        ctx.result = undefined
        ctx.error = toMcpxError(error, onError, ctx.method)
        return
      }
      if (ctx.kind === 'request' && ctx.result === undefined && ctx.error === undefined) {
        ctx.error = new McpxError(ErrorCode.MethodNotFound, `Method not found: ${ctx.method}`)
      }
    },

    async handle(message, handleOptions = {}) {
      const valid = validateMessage(message)
      if (McpxError.is(valid)) return errorResponse(idOf(message), valid)
      if (isResponse(valid)) return undefined
      const ctx = Context.from(valid, handleOptions)
      await proxy.dispatch(ctx, handleOptions.terminal)
      if (ctx.id === undefined) return undefined
      if (ctx.error) return errorResponse(ctx.id, ctx.error)
      return { jsonrpc: '2.0', id: ctx.id, result: ctx.result as Record<string, unknown> }
    },

    close() {
      closing ??= release()
      return closing
    },
  }
  return proxy
}
