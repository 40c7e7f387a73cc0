import { type Context, cacheStatusKey, type Key, type Middleware, type Next } from '@mcpx/core'
import {
  type AccessLogEntry,
  type Answer,
  answerOf,
  argumentsField,
  type Caps,
  entryOf,
  thrownAnswer,
} from './access-entry.js'
import { isSuccess } from './outcomes.js'
import { fail, fn, integer, options as known } from './validate.js'

/** A pino-like logger: successes go to `info`, a client's or a tool's fault to `warn`, the gateway's or an upstream's to `error`. */
export interface AccessLogger {
  info(entry: AccessLogEntry): void
  warn(entry: AccessLogEntry): void
  error(entry: AccessLogEntry): void
}

/** Options of {@link accessLog}. */
export interface AccessLogOptions {
  /**
   * Where entries go: a function taking each entry, or a pino-like logger
   * (`info` / `warn` / `error`, e.g. `pino()`, to stdout or a rotating file
   * through its transports).
   * @defaultValue one JSON line per entry on stderr (`console.error`): on a stdio front end, stdout is the protocol's
   */
  readonly log?: ((entry: AccessLogEntry) => void) | AccessLogger
  /** Log requests that succeeded (`ok`, `cache_hit`). @defaultValue true */
  readonly requests?: boolean
  /** Log requests that did not: an error answer, or a tool's own error (`tool_error`). @defaultValue true */
  readonly errors?: boolean
  /** Log notifications, in both directions. @defaultValue false */
  readonly notifications?: boolean
  /** Log health checks (`ping`), whatever their outcome. @defaultValue false */
  readonly health?: boolean
  /** Log only the entries it returns true for, after the choices above. @defaultValue every entry */
  readonly filter?: (entry: AccessLogEntry) => boolean
  /**
   * `tools/call` arguments in the entry, as the client sent them. `false`:
   * never (their values may be secrets). `true`: as they are. A function:
   * what it returns, e.g. `@mcpx/transformers`' `createRedactor()`. Over
   * `maxArgumentsBytes` of JSON they become a note of their size.
   * @defaultValue false
   */
  readonly arguments?: boolean | ((args: unknown) => unknown)
  /** Strings (method, tool, uri, id, client, error message, …) longer are cut, with a marker. @defaultValue 1024 */
  readonly maxFieldLength?: number
  /** Logged arguments over this many bytes of JSON are replaced by a note of their size. @defaultValue 4096 */
  readonly maxArgumentsBytes?: number
  /**
   * Told when the logger (or `filter`, or the `arguments` function) throws;
   * at most once per 10 s, with the count of failures not told since. The
   * message is answered as if nothing happened.
   * @defaultValue a `console.warn` line
   */
  readonly onLoggerError?: (error: unknown, suppressed: number) => void
  /** The key a response cache sets (the entry's `cache`). @defaultValue core's `cacheStatusKey` */
  readonly cacheStatusKey?: Key<string>
}

const KEYS = [
  'log',
  'requests',
  'errors',
  'notifications',
  'health',
  'filter',
  'arguments',
  'maxFieldLength',
  'maxArgumentsBytes',
  'onLoggerError',
  'cacheStatusKey',
]

/** How often a failing logger is reported (issue 14: a broken logger must not flood the console either). */
const REPORT_EVERY_MS = 10_000

/** The outcomes a client or a tool caused: `warn`; the rest of the failures are the gateway's or an upstream's: `error`. */
const WARN = new Set([
  'tool_error',
  'rate_limited',
  'unauthorized',
  'forbidden',
  'invalid_request',
  'invalid_params',
  'not_found',
  'cancelled',
])

/** An entry as one line: JSON escapes control characters; U+2028/9 too, which some readers split lines on. */
export function accessLine(entry: AccessLogEntry): string {
  return JSON.stringify(entry).replace(/[\u2028\u2029]/g, (c) =>
    c === '\u2028' ? '\\u2028' : '\\u2029',
  )
}

// Not stdout: a stdio front end's stdout carries JSON-RPC, and MCP allows nothing else there.
const stderr = (entry: AccessLogEntry): void => console.error(accessLine(entry))

function reportFailure(error: unknown, suppressed: number): void {
  const text = error instanceof Error ? error.message.slice(0, 200) : 'unknown error'
  const more = suppressed > 0 ? `; ${suppressed} more failures since the last report` : ''
  console.warn(`[@mcpx/metrics] the access logger threw (${text})${more}; entries are dropped`)
}

function boolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(option, 'a boolean')
  return value
}

/** The log option as one function of an entry (a logger's level from its outcome). */
function writerOf(value: unknown): (entry: AccessLogEntry) => void {
  if (value === undefined) return stderr
  if (typeof value === 'function') return value as (entry: AccessLogEntry) => void
  const logger = value as Partial<AccessLogger> | null
  if (
    typeof logger?.info !== 'function' ||
    typeof logger.warn !== 'function' ||
    typeof logger.error !== 'function'
  ) {
    fail('log', 'a function or a logger with info, warn and error')
  }
  const l = logger as AccessLogger
  return (entry) => {
    if (entry.outcome === 'ok' || entry.outcome === 'cache_hit') l.info(entry)
    else if (WARN.has(entry.outcome)) l.warn(entry)
    else l.error(entry)
  }
}

function argumentsOf(value: unknown): ((args: unknown) => unknown) | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return (args) => args
  if (typeof value !== 'function') fail('arguments', 'a boolean or a function')
  return value as (args: unknown) => unknown
}

/**
 * The access log: one structured entry per message, once it was answered
 * (method, id, tool / prompt / uri, upstream, client, session, transport,
 * outcome, duration, the JSON-RPC error, cache status). Argument values are
 * not logged unless `arguments` says so, and every client-chosen string is
 * capped. Put it first in the stack, above auth and beside `metrics()`: it
 * sees every message, the principal and upstream set below, and the answer.
 * A logger that throws never fails a message.
 *
 * @example
 * ```ts
 * import pino from 'pino'
 * proxy.use(
 *   accessLog({ log: pino(), arguments: createRedactor() }),
 *   metrics(),
 *   auth({ verify }),
 *   router({ upstreams }),
 * )
 * ```
 */
export function accessLog(options: AccessLogOptions = {}): Middleware {
  const o = known('', options, KEYS, 'accessLog() options')
  const write = writerOf(o.log)
  const requests = boolean('requests', o.requests, true)
  const errors = boolean('errors', o.errors, true)
  const notifications = boolean('notifications', o.notifications, false)
  const health = boolean('health', o.health, false)
  const filter =
    o.filter === undefined ? undefined : fn('filter', o.filter, (_entry: AccessLogEntry) => true)
  const transform = argumentsOf(o.arguments)
  const caps: Caps = {
    maxFieldLength: integer('maxFieldLength', o.maxFieldLength, 1024, 16),
    maxArgumentsBytes: integer('maxArgumentsBytes', o.maxArgumentsBytes, 4096, 16),
  }
  const onLoggerError = fn('onLoggerError', o.onLoggerError, reportFailure)
  const cacheKey = o.cacheStatusKey ?? cacheStatusKey
  if (typeof cacheKey?.name !== 'string') {
    fail('cacheStatusKey', "a key made by core's createKey()")
  }
  // A clock captured now, as metrics() does: fake timers installed before the factory drive it.
  const clock = globalThis.performance
  let reportedAt = Number.NEGATIVE_INFINITY
  let suppressed = 0

  /** Report a failure of the logger, at most once per 10 s: only a counter is kept between. */
  function failed(error: unknown): void {
    const now = Date.now()
    if (now - reportedAt < REPORT_EVERY_MS) {
      suppressed++
      return
    }
    reportedAt = now
    const n = suppressed
    suppressed = 0
    try {
      onLoggerError(error, n)
    } catch {
      // The fallback of a fallback: nothing left to tell.
    }
  }

  /** Which messages are logged before their answer is known: false for one never logged. */
  function chosen(ctx: Context): boolean {
    if (ctx.method === 'ping') return health
    return ctx.kind === 'notification' ? notifications : requests || errors
  }

  /** The arguments as logged, taken before the layers below may rewrite the params. */
  function snapshot(ctx: Context): unknown {
    if (transform === undefined || ctx.method !== 'tools/call') return undefined
    const args = (ctx.params as { arguments?: unknown } | undefined)?.arguments
    if (args === undefined) return undefined
    try {
      return argumentsField(transform(args), caps.maxArgumentsBytes)
    } catch (error) {
      failed(error)
      return '[arguments omitted: the arguments option threw]'
    }
  }

  function finish(ctx: Context, answer: Answer, time: number, start: number, args: unknown): void {
    const success = isSuccess(answer.slot)
    if (ctx.kind === 'request' && ctx.method !== 'ping' && !(success ? requests : errors)) return
    try {
      const entry = entryOf(ctx, answer, time, clock.now() - start, caps, cacheKey)
      if (args !== undefined) entry.arguments = args
      if (filter !== undefined && !filter(entry)) return
      const written = write(entry) as unknown
      // An async logger's rejection is a failure like a throw, never an unhandled rejection.
      if (typeof (written as { then?: unknown } | undefined)?.then === 'function') {
        ;(written as Promise<unknown>).then(undefined, failed)
      }
    } catch (error) {
      failed(error)
    }
  }

  return async function accessLog(ctx: Context, next: Next): Promise<void> {
    if (!chosen(ctx)) return next()
    const time = Date.now()
    const start = clock.now()
    const args = snapshot(ctx)
    try {
      await next()
    } catch (error) {
      finish(ctx, thrownAnswer(error), time, start, args)
      throw error
    }
    finish(ctx, answerOf(ctx, cacheKey), time, start, args)
  }
}
