import {
  type Context,
  compileGlob,
  type Principal,
  principalKey,
  type ToolDefinition,
  toolKey,
} from '@mcpx/core'
import { canonicalJson } from './canonical-json.js'
import { fail, options as known } from './validate.js'

/**
 * One part of what tells entries apart besides method, params and upstream:
 * - `'principal'`: the authenticated caller (core's `principalKey`): issuer
 *   (the `iss` claim, when there is one), subject, client id and scopes
 *   (claims such as `iat` differ per token, so they are not part of it); no
 *   principal is one anonymous caller.
 * - `'session'`: the downstream session id.
 * - `{ header }`: a request header of the client's HTTP request (lower case).
 * - `{ claim }`: one claim of the principal, its whole value (absent and
 *   `null` are one value; no principal is another). A message whose claim
 *   has no JSON text within 64 KiB (a `bigint`, a huge value) bypasses the
 *   cache.
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
const SELECTION_KEYS = ['include', 'exclude']
/**
 * Names remembered per selection, so that a hot name costs a Map lookup
 * rather than a regex: at most this many, of at most this many characters
 * each and in all (URIs are the client's to choose, and may be long).
 */
const MEMO = 1024
const MEMO_NAME_CHARS = 256
const MEMO_CHARS = 65_536

/** A selection compiled into one predicate over names or URIs. */
export function selectionOf(
  option: string,
  value: CacheSelection | undefined,
  include: readonly string[],
  keys: readonly string[] = SELECTION_KEYS,
): Test {
  // A misspelt `includes` would otherwise cache nothing, silently.
  known(option, value, keys)
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
  return memoised((name) => yes.some((test) => test(name)) && !no.some((test) => test(name)))
}

/** `test` with its answers for recent names remembered. */
export function memoised(test: Test): Test {
  const memo = new Map<string, boolean>()
  let chars = 0
  return (name) => {
    const known = memo.get(name)
    if (known !== undefined) return known
    const answer = test(name)
    if (name.length > MEMO_NAME_CHARS) return answer
    if (memo.size >= MEMO || chars + name.length > MEMO_CHARS) {
      memo.clear()
      chars = 0
    }
    memo.set(name, answer)
    chars += name.length
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
  const byName = selectionOf('tools', value, [], [...SELECTION_KEYS, 'trustHints'])
  const trust = value?.trustHints ?? false
  if (typeof trust !== 'boolean') fail('tools.trustHints', 'a boolean')
  if (!trust) return (name) => byName(name)
  const excluded = selectionOf('tools', { include: value?.exclude ?? [] }, [])
  return (name, ctx) => byName(name) || (hinted(ctx.get(toolKey)) && !excluded(name))
}

/** A message's vary text, or undefined when a part has none: the message then bypasses the cache. */
export type Vary = (ctx: Context) => string | undefined

/** The vary parts compiled into one function of the message; checked here, once. */
export function varyOf(parts: readonly VaryPart[] | undefined): Vary {
  const list = parts ?? ['principal']
  if (!Array.isArray(list))
    fail('vary', "an array of 'principal', 'session', { header }, { claim } or functions")
  const fns = list.map((part, i) => partOf(part, i))
  if (fns.length === 0) return () => ''
  if (fns.length === 1) return fns[0] as Vary
  return (ctx) => {
    let text = ''
    for (let i = 0; i < fns.length; i++) {
      const part = (fns[i] as Vary)(ctx)
      if (part === undefined) return undefined
      text += i === 0 ? part : `,${part}`
    }
    return text
  }
}

/** The longest claim text a key holds: past it (or without a JSON text) the message bypasses the cache. */
const MAX_CLAIM_CHARS = 65_536
/** What a part's memo holds for a principal whose part has no text. */
const NONE = Symbol('none')
const principals = new WeakMap<Principal, string | typeof NONE>()

function principalPart(ctx: Context): string | undefined {
  const principal = ctx.get(principalKey)
  if (principal === undefined) return 'null'
  let part = principals.get(principal)
  if (part === undefined) {
    // OIDC Core §2: `sub` is unique only within its issuer, and jwt() may accept several.
    const iss = principal.claims?.iss
    const scopes = [...(principal.scopes ?? [])].sort()
    part =
      iss === undefined || typeof iss === 'string'
        ? JSON.stringify([iss ?? null, principal.subject, principal.clientId ?? null, scopes])
        : NONE
    principals.set(principal, part)
  }
  return part === NONE ? undefined : part
}

/**
 * A vary part's text for no principal at all: no JSON text is this, so an
 * anonymous caller never shares with a principal whose claim is `null`.
 */
const ANONYMOUS = 'anonymous'

/** One claim's whole value as canonical JSON, remembered per principal (a hit re-encodes nothing). */
function claimPart(name: string): Vary {
  const texts = new WeakMap<Principal, string | typeof NONE>()
  return (ctx) => {
    const principal = ctx.get(principalKey)
    if (principal === undefined) return ANONYMOUS
    let text = texts.get(principal)
    if (text === undefined) {
      // Own claims only: `constructor` is no claim of a `{}`.
      const claims = principal.claims
      const value = claims !== undefined && Object.hasOwn(claims, name) ? claims[name] : null
      text = canonicalJson(value ?? null, MAX_CLAIM_CHARS) ?? NONE
      texts.set(principal, text)
    }
    return text === NONE ? undefined : text
  }
}

function partOf(part: VaryPart, i: number): Vary {
  if (part === 'principal') return principalPart
  if (part === 'session') return (ctx) => JSON.stringify(ctx.session.id ?? null)
  if (typeof part === 'function') {
    return (ctx) => {
      const value = part(ctx)
      return value === undefined ? 'null' : JSON.stringify(String(value))
    }
  }
  if (typeof part === 'object' && part !== null) {
    const keys = Object.keys(part)
    // One of the two, alone: `{ header, claim }` would say which it means by key order.
    if (keys.length === 1) {
      if ('header' in part && typeof part.header === 'string' && part.header !== '') {
        const name = part.header.toLowerCase()
        return (ctx) => JSON.stringify(ctx.session.headers?.[name] ?? null)
      }
      if ('claim' in part && typeof part.claim === 'string' && part.claim !== '') {
        return claimPart(part.claim)
      }
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
