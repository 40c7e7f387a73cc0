import { ErrorCode, McpxError, type Middleware, targetKey, toolKey } from '@mcpx/core'
import type { ErrorObject } from 'ajv'
import { clip, type RegExpEngine, schemaCompiler } from './schema-compiler.js'
import { options as checkOptions, fail, fn, integer } from './validate.js'

/** Options for {@link validateArguments}. */
export interface ValidateArgumentsOptions {
  /**
   * A call to a tool whose input schema cannot be compiled (an unsupported
   * `$schema`, a schema invalid in its dialect, a remote `$ref`, a pattern
   * JavaScript cannot compile): `'forward'` sends it on unchecked, as if
   * there were no gateway, and logs the schema once; `'refuse'` answers
   * -32603 and sends nothing. Forwarding is the default: the upstream checks
   * its own arguments anyway, and a gateway that cannot read a schema should
   * not make the tool unusable.
   * @defaultValue `'forward'`
   */
  readonly uncompilable?: 'forward' | 'refuse'
  /**
   * The most input schemas compiled and kept at once (ajv keeps every
   * validator it compiled). After that many compilations all are dropped and
   * compiled again as they are called, so an upstream that lists ever new
   * schemas cannot grow memory without limit. Above any real catalog.
   * @defaultValue `1000`
   */
  readonly maxSchemas?: number
  /**
   * The regular-expression engine for `pattern` and `patternProperties`,
   * called as `regExp(pattern, 'u')`. JavaScript's backtracking `RegExp` is
   * the default; a linear-time engine (RE2) keeps a client's string and an
   * upstream's pattern from stalling the gateway's event loop together.
   * @defaultValue `new RegExp(pattern, flags)`
   */
  readonly regExp?: RegExpEngine
  /** Receives a line for each schema that cannot be compiled. @defaultValue `console.error` */
  readonly log?: (line: string) => void
}

/** Counters since the middleware was made. */
export interface ValidateArgumentsStats {
  /** Calls whose arguments matched their tool's input schema, and went on. */
  valid: number
  /** Calls refused with -32602: their arguments did not match. */
  invalid: number
  /** Calls that went on unchecked: no tool definition, no input schema object, or one that cannot be compiled (with `uncompilable: 'forward'`). */
  unchecked: number
  /** Calls refused because their tool's schema cannot be compiled (with `uncompilable: 'refuse'`). */
  refused: number
  /** Input schemas compiled, or tried, since the middleware was made. */
  compiled: number
  /** Of those, the ones that could not be compiled. */
  uncompilable: number
}

/** The middleware, with its counters. */
export type ValidateArgumentsMiddleware = Middleware & {
  readonly stats: Readonly<ValidateArgumentsStats>
}

const KNOWN = ['uncompilable', 'maxSchemas', 'regExp', 'log']
const EMPTY = Object.freeze({})
/** Errors sent in `data`, and how long each text in it may be: an answer stays small. */
const MAX_ERRORS = 5
const MAX_PATH = 200
const MAX_TEXT = 200

/** One failure as the client sees it: where (a JSON Pointer into the arguments), which keyword, what. */
interface Failure {
  path: string
  keyword: string
  message: string
}

const pointer = (name: string) => `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`

/** A property that must be there, or must not, is named by its own path. */
function failureOf(error: ErrorObject): Failure {
  const params = error.params as Record<string, unknown>
  let path = error.instancePath
  let message = error.message ?? 'is invalid'
  if (typeof params.missingProperty === 'string') {
    path += pointer(params.missingProperty)
    message = 'is required'
  } else if (typeof params.additionalProperty === 'string') {
    path += pointer(params.additionalProperty)
    message = 'is not allowed'
  } else if (typeof params.unevaluatedProperty === 'string') {
    path += pointer(params.unevaluatedProperty)
    message = 'is not allowed'
  }
  return {
    path: clip(path, MAX_PATH),
    keyword: clip(error.keyword, MAX_TEXT),
    message: clip(message, MAX_TEXT),
  }
}

/**
 * The error the message names: the first, unless the value matched none of
 * an `anyOf`/`oneOf` (ajv lists each branch's failure before it): then that.
 */
function shown(errors: readonly ErrorObject[]): ErrorObject | undefined {
  for (let i = errors.length - 1; i >= 0; i--) {
    const keyword = errors[i]?.keyword
    if (keyword === 'anyOf' || keyword === 'oneOf') return errors[i]
  }
  return errors[0]
}

function invalidArguments(tool: string, errors: readonly ErrorObject[]): McpxError {
  const first = shown(errors)
  const failure = first === undefined ? { path: '', message: 'are invalid' } : failureOf(first)
  const where = failure.path === '' ? '' : `${failure.path} `
  return new McpxError(
    ErrorCode.InvalidParams,
    `Invalid arguments for tool "${tool}": ${where}${failure.message}`,
    { data: { tool, errors: errors.slice(0, MAX_ERRORS).map(failureOf) }, unsent: true },
  )
}

/**
 * Checks the arguments of each `tools/call` against the called tool's
 * `inputSchema` before it goes on. A call whose arguments do not match is
 * answered -32602, `Invalid arguments for tool "add": /a must be number`,
 * every failure in `data.errors` as a JSON Pointer, keyword and message,
 * and never reaches the upstream.
 *
 * Place it below the router: the router sets core's `toolKey` to the called
 * tool's definition from its catalog, and `targetKey` to the call as the
 * router sends it on. The arguments checked are the target's, as they
 * leave this layer. The router's catalog, and so `toolKey`, holds each tool
 * as the layers below the router gave it back: after `rewriteTools()`
 * removed its hidden arguments from the schema. So put it above
 * `rewriteTools()`: it checks what the client sent against what the client
 * was shown, and `rewriteTools()` below it then adds the hidden arguments.
 * The arguments the upstream finally receives are not checked here.
 *
 * A schema is compiled with ajv once per schema object, when first called: a
 * new catalog after `notifications/tools/list_changed` takes effect at once.
 * The dialect is 2020-12 unless the schema's `$schema` names 2019-09,
 * draft-07 or draft-06 (MCP 2025-11-25 §JSON Schema Usage). Arguments are
 * only read: no defaults filled in, no types coerced, nothing removed.
 * `additionalProperties` applies where the schema says so, and `format` is
 * an annotation. Absent arguments are checked as `{}`.
 *
 * A call without a tool definition (no router, or a tool the router has not
 * listed) or whose definition has no schema object passes unchecked: the
 * router answers an unknown tool itself, and without a schema there is
 * nothing to check against.
 *
 * @example
 * ```ts
 * proxy.use(router({ upstreams: { math: {} } }), validateArguments())
 * // tools/call add { a: 'one', b: 2 } → -32602 Invalid arguments for tool "add": /a must be number
 * ```
 */
export function validateArguments(
  options: ValidateArgumentsOptions = {},
): ValidateArgumentsMiddleware {
  const o = checkOptions('', options, KNOWN, 'validateArguments() options')
  const uncompilable = o.uncompilable ?? 'forward'
  if (uncompilable !== 'forward' && uncompilable !== 'refuse') {
    fail('uncompilable', "'forward' or 'refuse'")
  }
  const maxSchemas = integer('maxSchemas', o.maxSchemas, 1000, 1)
  const regExp = o.regExp
  if (regExp !== undefined && typeof regExp !== 'function') fail('regExp', 'a function')
  const log = fn('log', o.log, (line: string) => console.error(`[@mcpx/transformers] ${line}`))
  const stats: ValidateArgumentsStats = {
    valid: 0,
    invalid: 0,
    unchecked: 0,
    refused: 0,
    compiled: 0,
    uncompilable: 0,
  }
  const compiler = schemaCompiler({ maxSchemas, regExp, log, counts: stats })

  const middleware: Middleware = function validateArguments(ctx, next) {
    if (ctx.method !== 'tools/call' || ctx.kind !== 'request' || ctx.direction !== 'toServer') {
      return next()
    }
    const schema = ctx.get(toolKey)?.inputSchema
    if (typeof schema !== 'object' || schema === null) {
      stats.unchecked++
      return next()
    }
    const name = clip(String((ctx.params as { name?: unknown } | undefined)?.name), 128)
    let check = compiler.get(schema, name)
    if (typeof check !== 'string') {
      const target = ctx.get(targetKey)
      const params = (target === undefined ? ctx.params : target.params) as
        | { arguments?: unknown }
        | undefined
      const args = params?.arguments === undefined ? EMPTY : params.arguments
      let valid: boolean
      try {
        valid = check(args) as boolean
      } catch (error) {
        // A pattern too large for the engine, an engine that fails: the schema cannot be checked.
        valid = false
        check = compiler.broken(schema, name, error)
      }
      if (valid) {
        stats.valid++
        return next()
      }
      if (typeof check !== 'string') {
        stats.invalid++
        return Promise.reject(invalidArguments(name, check.errors ?? []))
      }
    }
    if (uncompilable === 'forward') {
      stats.unchecked++
      return next()
    }
    stats.refused++
    return Promise.reject(
      new McpxError(
        ErrorCode.InternalError,
        `Tool "${name}" cannot be called: its input schema cannot be checked`,
        { unsent: true },
      ),
    )
  }
  return Object.assign(middleware, { stats })
}
