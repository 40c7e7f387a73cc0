import type { Context } from './context.js'

/**
 * Runs the rest of the stack; resolves when it has unwound back to the
 * caller. Called with no argument, once: a second call rejects. Called with
 * another context (`next(ctx.fork(…))`), it runs the rest of the stack for
 * that context instead, as often as the caller likes: that is how a
 * middleware sends sub-requests (a router fanning `tools/list` out to every
 * upstream, a retry, a failover), each through everything after it.
 */
export type Next<C = Context> = (fork?: C) => Promise<void>

/**
 * Koa-style middleware: do something, `await next()`, do something with the
 * outcome. Set `ctx.result` or `ctx.error` without calling `next()` to answer
 * early.
 */
export type Middleware<M extends string = string, S extends object = Record<string, unknown>> = (
  ctx: Context<M, S>,
  next: Next<Context>,
) => Promise<void>

/** A function `compose` accepts: any context type, sync or async. */
export type Handler<C> = (ctx: C, next: Next<C>) => unknown

/** A composed stack: runs `ctx` through every handler, then `terminal`. */
export type Composed<C> = (ctx: C, terminal?: Handler<C>) => Promise<void>

/** Options for {@link compose}. */
export interface ComposeOptions {
  /**
   * Detect an un-awaited `next()`: a middleware that settles before the
   * `next()` it called has settled rejects with an error naming it. Costs
   * one extra promise per middleware per message, so it is off in
   * production. A second `next()` rejects in both modes.
   * @defaultValue `true` unless `NODE_ENV` is `production`
   */
  strict?: boolean
}

const RESOLVED: Promise<void> = Promise.resolve()
const noop = (): Promise<void> => RESOLVED

function multiple(): Promise<never> {
  return Promise.reject(new Error('[@mcpx/core] next() called multiple times'))
}

function settle(value: unknown): Promise<void> {
  return value instanceof Promise ? value : Promise.resolve(value as void)
}

function defaultStrict(): boolean {
  return (
    (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
      ?.NODE_ENV !== 'production'
  )
}

/**
 * One message's trip through the stack. Per message it allocates this frame;
 * per middleware that runs, only the `next` it is handed (a bound function:
 * the one allocation koa-compose also makes, and the least that still lets a
 * second call from the same middleware be told apart from the first call of
 * the next one). No promise wrappers when a middleware returns a promise. A
 * fork (`next(other)`) runs the rest of the stack in a frame of its own.
 */
class Frame<C> {
  index = -1
  readonly fns: readonly Handler<C>[]
  readonly ctx: C
  readonly terminal: Handler<C> | undefined
  readonly strict: boolean

  constructor(
    fns: readonly Handler<C>[],
    ctx: C,
    terminal: Handler<C> | undefined,
    strict: boolean,
  ) {
    this.fns = fns
    this.ctx = ctx
    this.terminal = terminal
    this.strict = strict
  }

  run(i: number, fork?: C): Promise<void> {
    if (fork !== undefined && fork !== this.ctx) return this.#fork(i, fork)
    if (i <= this.index) return multiple()
    this.index = i
    const fns = this.fns
    const last = i >= fns.length
    const fn = last ? this.terminal : fns[i]
    if (fn === undefined) return RESOLVED
    if (this.strict && !last) return this.#tracked(fn, i)
    try {
      return settle(fn(this.ctx, last ? noop : this.run.bind(this, i + 1)))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** `next(other)`: the rest of the stack for another context, in a frame of its own. */
  #fork(i: number, fork: C): Promise<void> {
    // `promise.then(next)` would hand `next` a value: only an object is a context.
    if (typeof fork !== 'object' || fork === null) {
      return Promise.reject(new TypeError('[@mcpx/core] next() takes nothing or a forked context'))
    }
    return new Frame(this.fns, fork, this.terminal, this.strict).run(i)
  }

  /** Strict mode: also reject when `fn` settles before the `next()` it called. */
  #tracked(fn: Handler<C>, i: number): Promise<void> {
    let pending = 0
    const clear = () => {
      pending--
    }
    const next: Next<C> = (fork) => {
      const done = this.run(i + 1, fork)
      pending++
      done.then(clear, clear)
      return done
    }
    let out: Promise<void>
    try {
      out = settle(fn(this.ctx, next))
    } catch (error) {
      return Promise.reject(error)
    }
    return out.then(() => {
      if (pending > 0) {
        const name = fn.name ? ` (${fn.name})` : ''
        throw new Error(
          `[@mcpx/core] middleware #${i}${name} finished before the next() it called: await next()`,
        )
      }
    })
  }
}

/**
 * Compose middleware into one function with koa-compose's semantics: onion
 * order, errors propagate to the caller, a second `next()` rejects, the input
 * array is copied (later changes to it do not affect the result).
 *
 * @example
 * ```ts
 * const run = compose([timing, auth, cache])
 * await run(ctx, forward) // forward is called last, as the terminal handler
 * ```
 */
export function compose<C>(
  stack: readonly Handler<C>[],
  options: ComposeOptions = {},
): Composed<C> {
  if (!Array.isArray(stack)) throw new TypeError('[@mcpx/core] middleware stack must be an array')
  const fns = stack.slice()
  for (const [i, fn] of fns.entries()) {
    if (typeof fn !== 'function') {
      throw new TypeError(`[@mcpx/core] middleware #${i} must be a function, got ${typeof fn}`)
    }
  }
  const strict = options.strict ?? defaultStrict()
  return function composed(ctx, terminal) {
    return new Frame(fns, ctx, terminal, strict).run(0)
  }
}
