// The options of createRedactor() and redact(): their types, and their
// checks and compilation, done once when the factory runs.
import { compileGlob } from '@mcpx/core'
import { type CompiledKeys, compileKeysInText } from './redact-keys-text.js'
import {
  type CompiledPatterns,
  compileBuiltins,
  defaultRedactKeys,
  defaultRedactPatterns,
  isPatternName,
  type RedactPatternName,
} from './redact-patterns.js'
import type { Custom } from './redact-text.js'
import { fail, integer } from './validate.js'

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

/** Every option checked, with what the walk needs precompiled. */
export interface Compiled {
  readonly isKey: (lower: string) => boolean
  readonly builtins: CompiledPatterns | undefined
  readonly keys: CompiledKeys | undefined
  readonly customs: readonly Custom[]
  /** The fixed replacement, or undefined when it is a function. */
  readonly fixed: string | undefined
  readonly replacement: Replacement
  readonly maxDepth: number
  readonly maxNodes: number
}

/** The options (already checked for unknown keys) checked and compiled. */
export function compileOptions(o: Partial<RedactorOptions>): Compiled {
  const lowerKeys = keysOf(o.keys ?? defaultRedactKeys)
  const { builtins, customs } = patternsOf(o.patterns ?? defaultRedactPatterns)
  const keysInText = o.keysInText ?? true
  if (typeof keysInText !== 'boolean') fail('keysInText', 'a boolean')
  const replacement = o.replacement ?? DEFAULT_REPLACEMENT
  if (typeof replacement !== 'string' && typeof replacement !== 'function') {
    fail('replacement', 'a string or a function')
  }
  return {
    isKey: keyMatcher(lowerKeys),
    builtins: compileBuiltins(builtins),
    keys: keysInText ? compileKeysInText(lowerKeys) : undefined,
    customs,
    fixed: typeof replacement === 'string' ? replacement : undefined,
    replacement,
    maxDepth: integer('maxDepth', o.maxDepth, 64, 1, 1000),
    maxNodes: integer('maxNodes', o.maxNodes, 1_000_000, 1),
  }
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
export function keyMatcher(keys: readonly string[]): (lower: string) => boolean {
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
