import {
  compileOptions,
  REDACTOR_KEYS,
  type RedactionMatch,
  type Redactor,
  type RedactorOptions,
} from './redact-options.js'
import { textScanner } from './redact-text.js'
import { fail, options as known } from './validate.js'

export type {
  RedactionMatch,
  Redactor,
  RedactorOptions,
  RedactPattern,
  Replacement,
} from './redact-options.js'

/** Keys are memoised (they repeat across messages); junk keys cannot grow the memo past this. */
const MAX_MEMO = 4096
/** Longer keys are not memoised: the memo holds at most MAX_MEMO × MAX_MEMO_KEY characters (1M). */
export const MAX_MEMO_KEY = 256

/** How a key is treated: kept, its value replaced, or renamed (it held a secret) with or without its value. */
type KeyRule = 0 | 1 | { readonly name: string; readonly redact: boolean }

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
  const c = compileOptions(o)
  const { isKey, fixed, maxDepth, maxNodes } = c
  const replace = (rule: string, key: string | undefined, value: unknown): string => {
    if (fixed !== undefined) return fixed
    const out = (c.replacement as (m: RedactionMatch) => string)({ rule, key, value })
    if (typeof out !== 'string') fail('replacement', 'a function returning a string')
    return out
  }
  const scan = textScanner({ ...c, replace })

  const memo = new Map<string, KeyRule>()
  const ruleOf = (k: string): KeyRule => {
    let rule = memo.get(k)
    if (rule !== undefined) return rule
    const redactValue = isKey(k.toLowerCase())
    const name = scan(k, undefined)
    rule = name === k ? (redactValue ? 1 : 0) : { name, redact: redactValue }
    if (k.length > MAX_MEMO_KEY) return rule
    if (memo.size >= MAX_MEMO) memo.clear()
    memo.set(k, rule)
    return rule
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
