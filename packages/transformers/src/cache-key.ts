import {
  type Context,
  compileGlob,
  type Principal,
  principalKey,
  type ToolDefinition,
  toolKey,
} from '@mcpx/core'
import { canonicalJson } from './canonical-json.js'
import { fail } from './validate.js'

/**
 * One part of what tells entries apart besides method, params and upstream:
 * - `'principal'`: the authenticated caller (core's `principalKey`): subject,
 *   client id and scopes (claims such as `iat` differ per token, so they are
 *   not part of it); no principal is one anonymous caller.
 * - `'session'`: the downstream session id.
 * - `{ header }`: a request header of the client's HTTP request (lower case).
 * - `{ claim }`: one claim of the principal.
 * - a function of the message, for anything else (`undefined` counts as a value).
 */
export type VaryPart =
  | 'principal'
  | 'session'
  | { readonly header: string }
  | { readonly claim: string }
  | ((ctx: Context) => string | undefined)

/** Which names (tools, prompts) or URIs (resources) are cached: glob patterns in core's syntax. */
export interface CacheSelection {
  /** Cached when one matches (and no `exclude` does). */
  readonly include?: readonly string[]
  /** Never cached when one matches, whatever `include` or hints say. */
  readonly exclude?: readonly string[]
}

/** Which tools' `tools/call` results are cached. */
export interface ToolSelection extends CacheSelection {
  /**
   * Also cache tools their upstream annotates `readOnlyHint` or
   * `idempotentHint` (from the router's catalog, core's `toolKey`).
   * Annotations are the upstream's word, not a guarantee: off unless you
   * trust your upstreams. @defaultValue false
   */
  readonly trustHints?: boolean
}

/** What a message's entry is: its key and its tags. */
export interface Keyed {
  readonly key: string
  readonly tags: readonly string[]
}

type Test = (name: string) => boolean
/** Names remembered per selection, so that a hot name costs a Map lookup rather than a regex. */
const MEMO = 1024

/** A selection compiled into one predicate over names or URIs. */
export function selectionOf(
  option: string,
  value: CacheSelection | undefined,
  include: readonly string[],
): Test {
  if (value !== undefined && (typeof value !== 'object' || value === null))
    fail(option, 'an object')
  const globs = (
    field: string,
    list: readonly string[] | undefined,
    fallback: readonly string[],
  ) => {
    const patterns = list ?? fallback
    if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' || p === '')) {
      fail(`${option}.${field}`, 'an array of glob patterns')
    }
    try {
      return patterns.map((pattern) => compileGlob(pattern))
    } catch (error) {
      fail(`${option}.${field}`, `valid patterns (${(error as Error).message})`)
    }
  }
  const yes = globs('include', value?.include, include)
  const no = globs('exclude', value?.exclude, [])
  const memo = new Map<string, boolean>()
  return (name) => {
    const known = memo.get(name)
    if (known !== undefined) return known
    const answer = yes.some((test) => test(name)) && !no.some((test) => test(name))
    if (memo.size >= MEMO) memo.clear()
    memo.set(name, answer)
    return answer
  }
}

/** Whether a tool's definition says calling it has no effect to skip: read-only or idempotent. */
export function hinted(tool: ToolDefinition | undefined): boolean {
  const annotations = tool?.annotations
  return annotations?.readOnlyHint === true || annotations?.idempotentHint === true
}

/** The tool selection, with hints when trusted, and excludes over both. */
export function toolTestOf(
  value: ToolSelection | undefined,
): (name: string, ctx: Context) => boolean {
  const byName = selectionOf('tools', value, [])
  const trust = value?.trustHints ?? false
  if (typeof trust !== 'boolean') fail('tools.trustHints', 'a boolean')
  if (!trust) return (name) => byName(name)
  const excluded = selectionOf('tools', { include: value?.exclude ?? [] }, [])
  return (name, ctx) => byName(name) || (hinted(ctx.get(toolKey)) && !excluded(name))
}

/** The vary parts compiled into one function of the message; checked here, once. */
export function varyOf(parts: readonly VaryPart[] | undefined): (ctx: Context) => string {
  const list = parts ?? ['principal']
  if (!Array.isArray(list))
    fail('vary', "an array of 'principal', 'session', { header }, { claim } or functions")
  const fns = list.map((part, i) => partOf(part, i))
  if (fns.length === 0) return () => ''
  if (fns.length === 1) return fns[0] as (ctx: Context) => string
  return (ctx) => fns.map((fn) => fn(ctx)).join(',')
}

const principals = new WeakMap<Principal, string>()

function principalPart(ctx: Context): string {
  const principal = ctx.get(principalKey)
  if (principal === undefined) return 'null'
  let part = principals.get(principal)
  if (part === undefined) {
    const scopes = [...(principal.scopes ?? [])].sort()
    part = JSON.stringify([principal.subject, principal.clientId ?? null, scopes])
    principals.set(principal, part)
  }
  return part
}

function partOf(part: VaryPart, i: number): (ctx: Context) => string {
  if (part === 'principal') return principalPart
  if (part === 'session') return (ctx) => JSON.stringify(ctx.session.id ?? null)
  if (typeof part === 'function') {
    return (ctx) => {
      const value = part(ctx)
      return value === undefined ? 'null' : JSON.stringify(String(value))
    }
  }
  if (typeof part === 'object' && part !== null) {
    if ('header' in part && typeof part.header === 'string' && part.header !== '') {
      const name = part.header.toLowerCase()
      return (ctx) => JSON.stringify(ctx.session.headers?.[name] ?? null)
    }
    if ('claim' in part && typeof part.claim === 'string' && part.claim !== '') {
      const name = part.claim
      return (ctx) => canonicalJson(ctx.get(principalKey)?.claims?.[name] ?? null, 4096) ?? 'null'
    }
  }
  fail(`vary[${i}]`, "'principal', 'session', { header: name }, { claim: name } or a function")
}

/** The message's params as the key has them: without `_meta` (a progress token differs per request). */
export function paramsText(params: unknown): string | undefined {
  if (typeof params === 'object' && params !== null && '_meta' in params) {
    return canonicalJson({ ...params, _meta: undefined })
  }
  return canonicalJson(params ?? null)
}
