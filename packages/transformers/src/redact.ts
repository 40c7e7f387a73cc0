import { type Context, compileGlob, McpxError, type Middleware, targetKey } from '@mcpx/core'
import { memoised } from './cache-key.js'
import { REDACTOR_KEYS, type Redactor, type RedactorOptions } from './redact-options.js'
import { compileRedactor } from './redact-walk.js'
import { fail, flag, options as known } from './validate.js'

/** Options of {@link redact}: what is redacted ({@link RedactorOptions}) and which messages. */
export interface RedactOptions extends RedactorOptions {
  /**
   * Redact what travels to the upstream: a client's params (before the
   * upstream sees them) and a client's answers to server requests
   * (sampling, elicitation, roots). This changes what tools receive: an
   * argument that looks like a secret arrives as the replacement.
   * @defaultValue true
   */
  readonly toServer?: boolean
  /**
   * Redact what travels to the client: results, error messages and data,
   * and the params of server notifications and requests (log messages,
   * `resources/updated`, sampling and elicitation requests).
   * @defaultValue true
   */
  readonly toClient?: boolean
  /**
   * Methods (core globs) whose messages pass untouched. `tools/list` by
   * default: its input schemas name their arguments (`password`, `api_key`)
   * as keys, and a redacted schema is a broken one.
   * @defaultValue ['initialize', 'ping', 'tools/list']
   */
  readonly skip?: readonly string[]
}

const KEYS = [...REDACTOR_KEYS, 'toServer', 'toClient', 'skip'] as const
const DEFAULT_SKIP: readonly string[] = ['initialize', 'ping', 'tools/list']

/**
 * Redacts secrets in both directions: params going up, and results, errors
 * and server notifications and requests coming down, deep (content blocks'
 * text, `structuredContent`, resource `contents[].text`, a log message's
 * `data`). The value under a matching key is replaced whatever it is;
 * secrets inside strings (bearer tokens, JWTs, cloud and SaaS API keys,
 * PEM private keys, optionally emails, your own regexes) are replaced
 * where they stand. Copy on write: a cached or shared message is never
 * mutated, and one with nothing to redact passes as the same object. Sits
 * below the router: it rewrites the upstream's own params (core's
 * `targetKey`), and each upstream's share of a fanned-out list.
 *
 * @example
 * ```ts
 * proxy.use(router({ upstreams }), redact({ keys: [...defaultRedactKeys, 'ssn'], patterns: [...defaultRedactPatterns, 'email'] }))
 * ```
 */
export function redact(options: RedactOptions = {}): Middleware {
  const o = known('', options, KEYS, 'redact() options')
  const scrub = compileRedactor(o)
  const up = flag('toServer', o.toServer, true)
  const down = flag('toClient', o.toClient, true)
  const skipped = methodMatcher(o.skip ?? DEFAULT_SKIP)

  return async function redact(ctx, next) {
    if (skipped(ctx.method)) return next()
    const toServer = ctx.direction === 'toServer'
    // The params travel the message's way; its answer the other.
    if (toServer ? up : down) redactParams(ctx, scrub)
    if (ctx.kind === 'notification' || !(toServer ? down : up)) return next()
    try {
      await next()
    } catch (error) {
      throw McpxError.is(error) ? redactError(error, scrub) : error
    }
    if (ctx.result !== undefined) ctx.result = scrub(ctx.result)
    if (ctx.error !== undefined) ctx.error = redactError(ctx.error, scrub)
  }
}

/** The params that will be sent: the router's target when set, else the message's own. */
function redactParams(ctx: Context, scrub: Redactor): void {
  const target = ctx.direction === 'toServer' ? ctx.get(targetKey) : undefined
  if (target !== undefined) {
    const params = scrub(target.params)
    if (params !== target.params) ctx.set(targetKey, { ...target, params })
    return
  }
  const params = scrub(ctx.params)
  if (params !== ctx.params) ctx.params = params
}

/**
 * The same error with its message and data redacted, or itself when
 * nothing matched. The original stays its `cause` (logs only: a cause
 * never reaches a client).
 */
function redactError(error: McpxError, scrub: Redactor): McpxError {
  const message = scrub(error.message)
  const data = scrub(error.data)
  if (message === error.message && data === error.data) return error
  return new McpxError(error.code, message, {
    data,
    cause: error,
    headers: error.headers,
    unsent: error.unsent,
  })
}

/**
 * Whether a method is skipped: exact names in a Set, globs compiled once,
 * answers memoised. Method names are the client's to choose: the memo is
 * bounded in names and in characters, and a long name is not kept.
 */
function methodMatcher(skip: readonly string[]): (method: string) => boolean {
  if (!Array.isArray(skip)) fail('skip', 'an array of method names or globs')
  const exact = new Set<string>()
  const globs: ((name: string) => boolean)[] = []
  skip.forEach((pattern, i) => {
    if (typeof pattern !== 'string' || pattern === '' || pattern.length > 1024) {
      fail(`skip[${i}]`, 'a method name or glob of 1 to 1024 characters')
    }
    if (!/[*?\\]/.test(pattern)) exact.add(pattern)
    else {
      try {
        globs.push(compileGlob(pattern))
      } catch {
        fail(`skip[${i}]`, 'a valid glob (a lone trailing \\ is not)')
      }
    }
  })
  if (globs.length === 0) return (method) => exact.has(method)
  return memoised((method) => exact.has(method) || globs.some((glob) => glob(method)))
}
