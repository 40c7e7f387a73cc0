import { compileGlob } from '@mcpx/core'
import {
  type Alternative,
  type CompiledPatterns,
  compileBuiltins,
  compileKeysInText,
  defaultRedactKeys,
  defaultRedactPatterns,
  isKeyChar,
  isPatternName,
  type RedactPatternName,
} from './redact-patterns.js'
import { fail, integer, options as known } from './validate.js'

/** A value pattern of the caller's own, named for a replacement function. */
export interface RedactPattern {
  readonly name: string
  /** Matched against every string; any flags (`g` is added). It must not match the empty string. */
  readonly regex: RegExp
}

/** What was found, for a replacement function. */
export interface RedactionMatch {
  /** `'key'` (an object key, or a key in text), a built-in pattern's name, or a pattern's own `name`. */
  readonly rule: string
  /** The key the value sits under (the nearest object key, or the key in text), if any. */
  readonly key: string | undefined
  /** What is replaced: a key's whole value (any JSON value), or the matched text. */
  readonly value: unknown
}

/** The text that replaces what was found: one string, or one per match. */
export type Replacement = string | ((match: RedactionMatch) => string)

/** Options of {@link createRedactor} (and of `redact()`). */
export interface RedactorOptions {
  /**
   * Keys whose value is replaced whatever it is (object, array, number):
   * exact names or core globs (`*_token`), case-insensitive. Also found in
   * text (`password=…`) with `keysInText`. Extend rather than replace:
   * `[...defaultRedactKeys, 'ssn']`.
   * @defaultValue defaultRedactKeys
   */
  readonly keys?: readonly string[]
  /**
   * Value patterns found in every string, including object keys: built-in
   * names (`'jwt'`, `'email'`, …; see `redactPatternNames`), and the
   * caller's own regexes.
   * @defaultValue defaultRedactPatterns (every built-in but `'email'`)
   */
  readonly patterns?: readonly (RedactPatternName | RegExp | RedactPattern)[]
  /**
   * What replaces a match. A function gets the match and returns its text.
   * @defaultValue '[REDACTED]'
   */
  readonly replacement?: Replacement
  /**
   * Also find keys inside strings (`"password": "…"`, `token=…`,
   * `Authorization: Basic …`): tools often return JSON as text.
   * @defaultValue true
   */
  readonly keysInText?: boolean
  /**
   * Objects and arrays nested deeper than this are replaced whole (the
   * walk fails closed, and a hostile deep tree cannot exhaust the stack).
   * From 1 to 1000. @defaultValue 64
   */
  readonly maxDepth?: number
  /**
   * The most values visited in one message; every string, object and array
   * after it is replaced (fails closed). @defaultValue 1_000_000
   */
  readonly maxNodes?: number
}

/** Redacts one value: the very same value when nothing matched, else a copy sharing what did not change. */
export type Redactor = <T>(value: T) => T

export const REDACTOR_KEYS = [
  'keys',
  'patterns',
  'replacement',
  'keysInText',
  'maxDepth',
  'maxNodes',
] as const

const DEFAULT_REPLACEMENT = '[REDACTED]'
/** Keys are memoised (they repeat across messages); junk keys cannot grow the memo past this. */
const MAX_MEMO = 4096

/** How a key is treated: kept, its value replaced, or renamed (it held a secret) with or without its value. */
type KeyRule = 0 | 1 | { readonly name: string; readonly redact: boolean }
interface Custom {
  readonly name: string
  readonly regex: RegExp
}

/**
 * The redaction walk on its own, for use outside a stack (logs, stored
 * results). Every option is checked and compiled here, once. The input is
 * never mutated: objects and arrays on the path to a change are copied,
 * everything else is shared, and when nothing matches the very same value
 * comes back. Only arrays and plain objects are walked (what JSON gives);
 * other objects (Date, Map, class instances) are returned as they are.
 *
 * @example
 * ```ts
 * const scrub = createRedactor({ keys: [...defaultRedactKeys, 'ssn'] })
 * scrub({ user: 'ada', ssn: '078-05-1120', note: 'key AKIAIOSFODNN7EXAMPLE' })
 * // { user: 'ada', ssn: '[REDACTED]', note: 'key [REDACTED]' }
 * ```
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const o = known('', options, REDACTOR_KEYS, 'createRedactor() options')
  return compileRedactor(o)
}

/** The redactor for options already checked for unknown keys. */
export function compileRedactor(o: Partial<RedactorOptions>): Redactor {
  const lowerKeys = keysOf(o.keys ?? defaultRedactKeys)
  const isKey = keyMatcher(lowerKeys)
  const { builtins, customs } = patternsOf(o.patterns ?? defaultRedactPatterns)
  const keysInText = o.keysInText ?? true
  if (typeof keysInText !== 'boolean') fail('keysInText', 'a boolean')
  const text = compileBuiltins(builtins)
  const keyText = keysInText ? compileKeysInText(lowerKeys) : undefined
  const replacement = o.replacement ?? DEFAULT_REPLACEMENT
  if (typeof replacement !== 'string' && typeof replacement !== 'function') {
    fail('replacement', 'a string or a function')
  }
  const maxDepth = integer('maxDepth', o.maxDepth, 64, 1, 1000)
  const maxNodes = integer('maxNodes', o.maxNodes, 1_000_000, 1)
  const fixed = typeof replacement === 'string' ? replacement : undefined

  const replace = (rule: string, key: string | undefined, value: unknown): string => {
    if (fixed !== undefined) return fixed
    const out = (replacement as (m: RedactionMatch) => string)({ rule, key, value })
    if (typeof out !== 'string') fail('replacement', 'a function returning a string')
    return out
  }

  const memo = new Map<string, KeyRule>()
  const ruleOf = (k: string): KeyRule => {
    let rule = memo.get(k)
    if (rule !== undefined) return rule
    const redactValue = isKey(k.toLowerCase())
    const name = scan(k, undefined)
    rule = name === k ? (redactValue ? 1 : 0) : { name, redact: redactValue }
    if (memo.size >= MAX_MEMO) memo.clear()
    memo.set(k, rule)
    return rule
  }

  /** `s` with every match replaced, or `s` itself. Keys first: their values are replaced whole. */
  const scan = (s: string, key: string | undefined): string => {
    // A key in text needs a separator: most strings (ids, names, prose) have none.
    let out =
      keyText !== undefined && (s.includes(':') || s.includes('=')) ? scanKeys(s, keyText) : s
    if (text !== undefined && out.length >= text.min) out = scanBuiltins(out, key, text)
    for (const c of customs) out = scanCustom(out, key, c)
    return out
  }

  const scanKeys = (s: string, regex: RegExp): string => {
    regex.lastIndex = 0
    let out = ''
    let last = 0
    for (let m = regex.exec(s); m !== null; m = regex.exec(s)) {
      const end = regex.lastIndex
      const core = m[1]!
      // The regex finds a key's end; the key is what runs back to its start.
      let from = m.index
      while (from > last && isKeyChar(s[from - 1])) from--
      const name = s.slice(from, m.index) + core
      if (from === last && last > 0 && isKeyChar(s[from - 1])) {
        // Runs on into text already replaced: not a key of its own.
        regex.lastIndex = m.index + core.length
        continue
      }
      const value = m[3]!
      if (!isKey(name.toLowerCase())) {
        // No key: what follows it may still hold one.
        regex.lastIndex = m.index + core.length
        continue
      }
      out +=
        s.slice(last, m.index) + core + m[2] + quoted(value, m[2]!, (v) => replace('key', name, v))
      last = end
      regex.lastIndex = end
    }
    return last === 0 ? s : out + s.slice(last)
  }

  const scanBuiltins = (s: string, key: string | undefined, compiled: CompiledPatterns): string => {
    const { regex, alternatives } = compiled
    regex.lastIndex = 0
    let out = ''
    let last = 0
    for (let m = regex.exec(s); m !== null; m = regex.exec(s)) {
      // Kept aside: a replacement function may run this redactor (and this regex) again.
      const end = regex.lastIndex
      const alt = alternativeOf(m, alternatives)
      let kept = ''
      let secret = m[0]
      if (alt.inner !== undefined) {
        secret = m[alt.inner]!
        kept = m[0].slice(0, m[0].length - secret.length)
      }
      out += s.slice(last, m.index) + kept + replace(alt.rule, key, secret)
      last = end
      regex.lastIndex = end
    }
    return last === 0 ? s : out + s.slice(last)
  }

  const scanCustom = (s: string, key: string | undefined, c: Custom): string => {
    const { regex } = c
    regex.lastIndex = 0
    let out = ''
    let last = 0
    for (let m = regex.exec(s); m !== null; m = regex.exec(s)) {
      if (m[0] === '') {
        regex.lastIndex++
        continue
      }
      const end = regex.lastIndex
      out += s.slice(last, m.index) + replace(c.name, key, m[0])
      last = end
      regex.lastIndex = end
    }
    return last === 0 ? s : out + s.slice(last)
  }

  let left = 0
  /** A whole value replaced: unchanged when it already is the replacement. */
  const whole = (value: unknown, key: string | undefined, rule: string): unknown => {
    const r = replace(rule, key, value)
    return r === value ? value : r
  }

  const walk = (value: unknown, key: string | undefined, depth: number): unknown => {
    if (typeof value === 'string') {
      if (--left < 0) return whole(value, key, 'limit')
      return scan(value, key)
    }
    if (typeof value !== 'object' || value === null) return value
    if (--left < 0 || depth >= maxDepth) return whole(value, key, 'limit')
    if (Array.isArray(value)) return walkArray(value, key, depth)
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return value
    return walkObject(value as Record<string, unknown>, depth, proto === null)
  }

  const walkArray = (value: readonly unknown[], key: string | undefined, depth: number) => {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const v = value[i]
      const r = walk(v, key, depth + 1)
      if (r !== v) {
        out ??= value.slice()
        out[i] = r
      }
    }
    return out ?? value
  }

  const walkObject = (value: Record<string, unknown>, depth: number, bare: boolean) => {
    let out: Record<string, unknown> | undefined
    const keys = Object.keys(value)
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!
      const v = value[k]
      const rule = ruleOf(k)
      let name = k
      let r: unknown
      if (rule === 0) r = walk(v, k, depth + 1)
      else if (rule === 1) r = whole(v, k, 'key')
      else {
        name = rule.name
        r = rule.redact ? whole(v, k, 'key') : walk(v, k, depth + 1)
      }
      if (out === undefined && (r !== v || name !== k)) out = copyBefore(value, keys, i, bare)
      if (out !== undefined) define(out, name, r)
    }
    return out ?? value
  }

  return function redactor<T>(value: T): T {
    // Saved and restored: a replacement function may itself redact.
    const saved = left
    left = maxNodes
    try {
      return walk(value, undefined, 0) as T
    } finally {
      left = saved
    }
  }
}

/** A key's value in text, replaced inside its quotes (a bare value after a quoted key gets quotes too). */
function quoted(value: string, sep: string, replace: (v: string) => string): string {
  for (const q of ['\\"', '"', "'"]) {
    if (value.length >= 2 * q.length && value.startsWith(q) && value.endsWith(q)) {
      return q + replace(value.slice(q.length, value.length - q.length)) + q
    }
  }
  const open = value[0] === '"' || value[0] === "'" ? value[0] : ''
  if (open !== '') return open + replace(value.slice(1))
  const q = sep.startsWith('\\"') ? '\\"' : sep[0] === '"' || sep[0] === "'" ? sep[0] : ''
  return q + replace(value) + q
}

/** The alternative of the compiled regex that matched. */
function alternativeOf(m: RegExpExecArray, alternatives: readonly Alternative[]): Alternative {
  for (const alt of alternatives) if (m[alt.index] !== undefined) return alt
  return alternatives[0]!
}

/** A new object holding the first `count` own keys of `value`. */
function copyBefore(
  value: Record<string, unknown>,
  keys: readonly string[],
  count: number,
  bare: boolean,
) {
  const out: Record<string, unknown> = bare ? Object.create(null) : {}
  for (let i = 0; i < count; i++) define(out, keys[i]!, value[keys[i]!])
  return out
}

/** `out[k] = v`, except that an own `__proto__` key (JSON.parse makes them) stays a key, not a prototype. */
function define(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') {
    Object.defineProperty(out, k, {
      value: v,
      writable: true,
      enumerable: true,
      configurable: true,
    })
  } else out[k] = v
}

/** The configured keys, checked and lower-cased. */
function keysOf(keys: readonly string[]): readonly string[] {
  if (!Array.isArray(keys)) fail('keys', 'an array of key names or globs')
  return keys.map((key, i) => {
    if (typeof key !== 'string' || key === '' || key.length > 1024) {
      fail(`keys[${i}]`, 'a key name or glob of 1 to 1024 characters')
    }
    const lower = key.toLowerCase()
    if (/\\$/.test(lower.replace(/\\\\/g, ''))) {
      fail(`keys[${i}]`, 'a valid glob (a lone trailing \\ is not)')
    }
    return lower
  })
}

/** One test for every configured key: exact names in a Set, globs compiled once. Keys arrive lower-cased. */
function keyMatcher(keys: readonly string[]): (lower: string) => boolean {
  const exact = new Set<string>()
  const globs: ((name: string) => boolean)[] = []
  for (const key of keys) {
    if (!/[*?\\]/.test(key)) exact.add(key)
    else globs.push(compileGlob(key))
  }
  if (globs.length === 0) return (lower) => exact.has(lower)
  return (lower) => exact.has(lower) || globs.some((glob) => glob(lower))
}

function patternsOf(patterns: readonly (RedactPatternName | RegExp | RedactPattern)[]) {
  if (!Array.isArray(patterns)) fail('patterns', 'an array of pattern names and regexes')
  const builtins: RedactPatternName[] = []
  const customs: Custom[] = []
  patterns.forEach((p, i) => {
    if (isPatternName(p)) {
      if (!builtins.includes(p)) builtins.push(p)
      return
    }
    const regex = p instanceof RegExp ? p : (p as RedactPattern | undefined)?.regex
    const name = p instanceof RegExp ? 'custom' : (p as RedactPattern | undefined)?.name
    if (!(regex instanceof RegExp) || typeof name !== 'string' || name === '') {
      fail(`patterns[${i}]`, 'a built-in pattern name, a RegExp or { name, regex }')
    }
    // Our own copy, global and not sticky: the caller's lastIndex is never touched.
    const flags = regex.flags.replace(/[gy]/g, '')
    if (new RegExp(regex.source, flags).test('')) {
      fail(`patterns[${i}]`, 'a regex that does not match the empty string')
    }
    customs.push({ name, regex: new RegExp(regex.source, `${flags}g`) })
  })
  return { builtins, customs }
}
