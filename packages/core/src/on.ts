import type { Middleware } from './compose.js'
import type { Method, NotificationMethod, RequestMethod } from './methods.js'

/**
 * Run `middleware` only for messages of `method` (or any of `methods`); every
 * other message passes straight to `next()`. `ctx.params` and `ctx.result`
 * are typed for the method.
 *
 * @example
 * ```ts
 * proxy.use(on('tools/call', async (ctx, next) => {
 *   if (ctx.params.name === 'drop_table') {
 *     throw new McpxError(ErrorCode.InvalidParams, 'drop_table is disabled')
 *   }
 *   await next()
 *   ctx.result?.content // ContentBlock[]
 * }))
 * ```
 */
export function on<M extends Method, S extends object = Record<string, unknown>>(
  method: M | readonly M[],
  middleware: Middleware<M, S>,
): Middleware<string, S>
/** Any middleware written for every method (`Middleware`) may be limited to some, as it is. */
export function on<M extends Method, S extends object = Record<string, unknown>>(
  method: M | readonly M[],
  middleware: Middleware<string, S>,
): Middleware<string, S>
export function on<M extends Method, S extends object = Record<string, unknown>>(
  method: M | readonly M[],
  middleware: Middleware<M, S> | Middleware<string, S>,
): Middleware<string, S> {
  if (typeof middleware !== 'function')
    throw new TypeError('[@mcpx/core] on() needs a middleware function')
  const handler = middleware as unknown as Middleware<string, S>
  if (typeof method === 'string') {
    return function onMethod(ctx, next) {
      return ctx.method === method ? handler(ctx, next) : next()
    }
  }
  const methods = new Set<string>(method as readonly string[])
  if (methods.size === 0) throw new TypeError('[@mcpx/core] on() needs at least one method')
  return function onMethods(ctx, next) {
    return methods.has(ctx.method) ? handler(ctx, next) : next()
  }
}

/**
 * Run `middleware` only for requests (messages that expect an answer).
 *
 * @example
 * ```ts
 * proxy.use(onRequest(async (ctx, next) => {
 *   const started = performance.now()
 *   await next()
 *   log(ctx.method, performance.now() - started)
 * }))
 * ```
 */
export function onRequest<S extends object = Record<string, unknown>>(
  middleware: Middleware<RequestMethod, S>,
): Middleware<string, S> {
  const handler = middleware as unknown as Middleware<string, S>
  return function onRequest(ctx, next) {
    return ctx.kind === 'request' ? handler(ctx, next) : next()
  }
}

/**
 * Run `middleware` only for notifications.
 *
 * @example
 * ```ts
 * proxy.use(onNotification(async (ctx, next) => {
 *   if (ctx.method === 'notifications/message') return // drop upstream log messages
 *   await next()
 * }))
 * ```
 */
export function onNotification<S extends object = Record<string, unknown>>(
  middleware: Middleware<NotificationMethod, S>,
): Middleware<string, S> {
  const handler = middleware as unknown as Middleware<string, S>
  return function onNotification(ctx, next) {
    return ctx.kind === 'notification' ? handler(ctx, next) : next()
  }
}
