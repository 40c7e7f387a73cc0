import { type Context, compileGlob, principalKey } from '@mcpx/core'
import { type KeyFunction, type KeyKind, toolOf } from './keys.js'
import type { Algorithm } from './types.js'

/** Where a caller's class comes from: a request header, or a claim of its principal. */
export type ClassSource = { header: string; claim?: never } | { claim: string; header?: never }

/** Client classes: one algorithm per class name (`premium`, `basic`); other callers get the limit's own. */
export type ClassesOptions = ClassSource & {
  algorithms: Readonly<Record<string, Algorithm>>
}

/** A different algorithm or cost for some tools, by name pattern. */
export interface LimitOverride {
  /** Tool-name patterns (`compileGlob` syntax) this override applies to. */
  tools: string | readonly string[]
  /** The algorithm for those tools (their own budget). @defaultValue the limit's */
  algorithm?: Algorithm
  /** What one call of those tools costs. @defaultValue the limit's cost */
  cost?: number
}

/** One limit of {@link rateLimit}. */
export interface LimitOptions {
  /** Names the limit: its stored state, `RateLimit-Policy` and errors. 1–64 characters of `[A-Za-z0-9_.-]`. */
  name: string
  /** The algorithm: `tokenBucket()`, `slidingWindow()` or `fixedWindow()`. */
  algorithm: Algorithm
  /**
   * What is counted separately: `'global'` (one budget for everyone),
   * `'client'` (the principal, else the session, else the remote address),
   * `'tool'`, `'client-tool'`, or a function returning the key (or
   * `undefined` to leave the message out of this limit).
   * @defaultValue `'client'`
   */
  by?: KeyKind | KeyFunction
  /** Method patterns this limit counts. @defaultValue every request but `initialize` and `ping` */
  methods?: string | readonly string[]
  /** Tool-name patterns: when set, the limit counts only `tools/call` of these tools. @defaultValue every tool */
  tools?: string | readonly string[]
  /** What one message costs: a number, or a function of the message. @defaultValue 1 */
  cost?: number | ((ctx: Context) => number)
  /** Per-tool overrides, the first that matches wins. @defaultValue none */
  overrides?: readonly LimitOverride[]
  /** Client classes with their own algorithms. @defaultValue none */
  classes?: ClassesOptions
  /**
   * When the store cannot answer (Redis down or slow): `'open'` lets the
   * message through, `'closed'` refuses it (-32011, HTTP 503). Counted
   * either way in `stats`.
   * @defaultValue `'open'`
   */
  failure?: 'open' | 'closed'
}

/** A limit compiled once: which messages it counts, with which algorithm and cost. */
export interface Limit {
  readonly name: string
  readonly by: KeyKind | KeyFunction
  readonly failClosed: boolean
  /** The limit id and algorithm for `ctx`, or undefined when the limit does not count it. */
  select(ctx: Context): Selected | undefined
}

export interface Selected {
  readonly limitId: string
  readonly algorithm: Algorithm
  readonly cost: number
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/
const SKIPPED = new Set(['initialize', 'ping'])

const fail = (what: string) => new TypeError(`[@mcpx/ratelimit] ${what}`)

function anyOf(patterns: string | readonly string[] | undefined, what: string) {
  if (patterns === undefined) return undefined
  const list = typeof patterns === 'string' ? [patterns] : patterns
  if (!Array.isArray(list) || list.length === 0) throw fail(`${what} needs at least one pattern`)
  const tests = list.map(compileGlob)
  return (name: string) => tests.some((test) => test(name))
}

function assertAlgorithm(value: unknown, where: string): Algorithm {
  const algorithm = value as Algorithm | undefined
  if (typeof algorithm?.evaluate !== 'function' || typeof algorithm.kind !== 'string') {
    throw fail(`${where} needs an algorithm: tokenBucket(), slidingWindow() or fixedWindow()`)
  }
  return algorithm
}

function assertCost(value: number, where: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw fail(`${where} cost must be a number > 0`)
  return value
}

function classOf(source: ClassSource, ctx: Context): string | undefined {
  if (source.header !== undefined) {
    const value = ctx.session.headers?.[source.header]
    return typeof value === 'string' ? value : undefined
  }
  const value = ctx.get(principalKey)?.claims?.[source.claim!]
  return typeof value === 'string' ? value : undefined
}

function compileClasses(classes: ClassesOptions | undefined, name: string) {
  if (classes === undefined) return undefined
  const { header, claim, algorithms } = classes
  if ((header === undefined) === (claim === undefined)) {
    throw fail(`limit ${name}: classes needs exactly one of header and claim`)
  }
  const table = new Map<string, Selected & { cost: number }>()
  for (const [cls, algorithm] of Object.entries(algorithms ?? {})) {
    if (!NAME.test(cls)) throw fail(`limit ${name}: class names are 1–64 of [A-Za-z0-9_.-]`)
    const checked = assertAlgorithm(algorithm, `limit ${name} class ${cls}`)
    table.set(cls, { limitId: `${name}#${cls}`, algorithm: checked, cost: 1 })
  }
  const source: ClassSource =
    header !== undefined ? { header: header.toLowerCase() } : { claim: claim! }
  return (ctx: Context) => {
    const cls = classOf(source, ctx)
    return cls === undefined ? undefined : table.get(cls)
  }
}

function compileOverrides(overrides: readonly LimitOverride[] | undefined, name: string) {
  return (overrides ?? []).map((override, i) => {
    const matches = anyOf(override.tools, `limit ${name} overrides[${i}].tools`)!
    const algorithm =
      override.algorithm === undefined
        ? undefined
        : assertAlgorithm(override.algorithm, `limit ${name} overrides[${i}]`)
    const cost =
      override.cost === undefined
        ? undefined
        : assertCost(override.cost, `limit ${name} overrides[${i}]`)
    return { matches, algorithm, cost, limitId: `${name}@${i}` }
  })
}

/** Check one limit's options and compile its patterns, once. */
export function compileLimit(options: LimitOptions): Limit {
  const { name } = options
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw fail('a limit name is 1–64 characters of [A-Za-z0-9_.-]')
  }
  const algorithm = assertAlgorithm(options.algorithm, `limit ${name}`)
  const by = options.by ?? 'client'
  if (typeof by !== 'function' && !['global', 'client', 'tool', 'client-tool'].includes(by)) {
    throw fail(`limit ${name}: by must be global, client, tool, client-tool or a function`)
  }
  const methods = anyOf(options.methods, `limit ${name} methods`)
  const tools = anyOf(options.tools, `limit ${name} tools`)
  const cost = options.cost ?? 1
  const costOf = typeof cost === 'function' ? cost : () => cost
  if (typeof cost !== 'function') assertCost(cost, `limit ${name}`)
  const classes = compileClasses(options.classes, name)
  const overrides = compileOverrides(options.overrides, name)
  const failure = options.failure ?? 'open'
  if (failure !== 'open' && failure !== 'closed')
    throw fail(`limit ${name}: failure must be open or closed`)
  const own: Selected = { limitId: name, algorithm, cost: 1 }

  function select(ctx: Context): Selected | undefined {
    if (methods ? !methods(ctx.method) : SKIPPED.has(ctx.method)) return undefined
    const tool = toolOf(ctx)
    if (tools && (tool === undefined || !tools(tool))) return undefined
    const override = tool === undefined ? undefined : overrides.find((o) => o.matches(tool))
    const base = override?.algorithm
      ? { limitId: override.limitId, algorithm: override.algorithm, cost: 1 }
      : (classes?.(ctx) ?? own)
    const charged = override?.cost ?? costOf(ctx)
    if (!(charged > 0) || !Number.isFinite(charged)) {
      throw fail(`limit ${name}: the cost function returned ${String(charged)}, not a number > 0`)
    }
    return charged === 1 && base.cost === 1 ? base : { ...base, cost: charged }
  }
  return { name, by, failClosed: failure === 'closed', select }
}
