// The text half of the redaction walk: every string (values and object
// keys) is scanned for keys in text, then the built-in patterns, then each
// of the caller's own regexes. Each scan returns its very string when
// nothing matched, so a clean message allocates nothing.
import { type CompiledKeys, findKey, keySearch, reach } from './redact-keys-text.js'
import {
  type Alternative,
  type CompiledAnchor,
  type CompiledPatterns,
  holdsAt,
} from './redact-patterns.js'

/** A caller's own pattern: a global copy of its regex, and the rule name it reports. */
export interface Custom {
  readonly name: string
  readonly regex: RegExp
}

export interface TextScanOptions {
  readonly builtins: CompiledPatterns | undefined
  readonly keys: CompiledKeys | undefined
  readonly customs: readonly Custom[]
  /** Whether a lower-cased key name is configured. */
  readonly isKey: (lower: string) => boolean
  readonly replace: (rule: string, key: string | undefined, value: unknown) => string
}

/**
 * Strings this long or longer are searched from the anchors of the built-in
 * patterns and from the separators of keys in text; a shorter one costs
 * less with one pass of each whole regex than with a dozen `indexOf` calls.
 */
const ANCHORED = 128
/** An anchor position not yet looked up (-1: none left in the string). */
const UNKNOWN = -2

/** `scan(s, key)`: `s` with every match replaced, or `s` itself. Keys first: their values are replaced whole. */
export function textScanner(o: TextScanOptions): (s: string, key: string | undefined) => string {
  const { builtins, keys, customs, isKey, replace } = o
  // Anchor positions, reused; a scan that a replacement function starts meanwhile takes its own.
  let spare: Int32Array | undefined

  const scanKeys = (s: string, k: CompiledKeys): string => {
    // A key in text needs a separator: most strings (ids, names, prose) have none.
    if (!s.includes(':') && !s.includes('=')) return s
    const search = keySearch(s, k, isKey)
    let out = ''
    let last = 0
    for (let m = findKey(search, 0, 0); m !== null; ) {
      // Kept aside: a replacement function may run this redactor (and this scan) again.
      const { start, name, sep, from } = m
      const end = reach(search, m)
      const value = quoted(s.slice(from, end), sep, (v) => replace('key', name, v))
      out += s.slice(last, start) + name + sep + value
      last = end
      m = findKey(search, end, end)
    }
    return last === 0 ? s : out + s.slice(last)
  }

  const scanBuiltins = (s: string, key: string | undefined, b: CompiledPatterns): string => {
    let pos: Int32Array | undefined
    if (s.length >= ANCHORED) {
      pos = spare ?? new Int32Array(b.anchors.length)
      spare = undefined
      pos.fill(UNKNOWN)
    }
    let out = ''
    let last = 0
    for (let m = nextBuiltin(s, 0, b, pos); m !== null; m = nextBuiltin(s, last, b, pos)) {
      const alt = alternativeOf(m, b.alternatives)
      // The alternative's own group: a window match starts with skipped text.
      const whole = m[alt.index]!
      const end = m.index + m[0].length
      let kept = ''
      let secret = whole
      if (alt.inner !== undefined) {
        secret = m[alt.inner]!
        kept = whole.slice(0, whole.length - secret.length)
      }
      out += s.slice(last, end - whole.length) + kept + replace(alt.rule, key, secret)
      last = end
    }
    if (pos !== undefined) spare = pos
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

  return function scan(s: string, key: string | undefined): string {
    let out = keys !== undefined && s.length >= keys.min ? scanKeys(s, keys) : s
    if (builtins !== undefined && out.length >= builtins.min) out = scanBuiltins(out, key, builtins)
    for (const c of customs) out = scanCustom(out, key, c)
    return out
  }
}

/** The leftmost built-in match at or after `from`: one regex pass, or from the anchors when `pos` is given. */
function nextBuiltin(
  s: string,
  from: number,
  b: CompiledPatterns,
  pos: Int32Array | undefined,
): RegExpExecArray | null {
  if (pos === undefined) {
    b.regex.lastIndex = from
    return b.regex.exec(s)
  }
  const { anchors, window, lead } = b
  // No match starts in [from, clear).
  let clear = from
  for (;;) {
    const which = nearest(s, clear, anchors, pos)
    if (which === -1) return null
    const at = pos[which]!
    pos[which] = anchors[which]!.find(s, at + 1)
    if (!passes(s, at, anchors[which]!.checks)) continue
    // A match holding this anchor starts at most `lead` before it.
    const x = Math.max(clear, at - lead)
    window.lastIndex = x
    const m = window.exec(s)
    if (m !== null) return m
    clear = x + lead + 1
  }
}

/** The anchor that occurs first at or after `clear` (its position in `pos`), or -1. */
function nearest(
  s: string,
  clear: number,
  anchors: readonly CompiledAnchor[],
  pos: Int32Array,
): number {
  let which = -1
  let best = 0
  for (let i = 0; i < anchors.length; i++) {
    let at = pos[i]!
    if (at === -1) continue
    if (at < clear) {
      at = anchors[i]!.find(s, clear)
      pos[i] = at
      if (at === -1) continue
    }
    if (which === -1 || at < best) {
      best = at
      which = i
    }
  }
  return which
}

function passes(s: string, at: number, checks: CompiledAnchor['checks']): boolean {
  if (checks === undefined) return true
  for (const c of checks) if (holdsAt(s, at - c.offset, c.literal)) return true
  return false
}

/** A key's value in text, replaced inside its quotes (a bare value after a quoted key gets quotes too). */
function quoted(value: string, sep: string, replace: (v: string) => string): string {
  for (const q of ['\\"', '"', "'"]) {
    if (value.length >= 2 * q.length && value.startsWith(q) && value.endsWith(q)) {
      return q + replace(value.slice(q.length, value.length - q.length)) + q
    }
  }
  // Left open (to the end of its line, or of the string it sits in): it stays open.
  const open = value.startsWith('\\"')
    ? '\\"'
    : value[0] === '"' || value[0] === "'"
      ? value[0]
      : ''
  if (open !== '') return open + replace(value.slice(open.length))
  const q = sep.startsWith('\\"') ? '\\"' : sep[0] === '"' || sep[0] === "'" ? sep[0] : ''
  return q + replace(value) + q
}

/** The alternative of the compiled regex that matched. */
function alternativeOf(m: RegExpExecArray, alternatives: readonly Alternative[]): Alternative {
  for (const alt of alternatives) if (m[alt.index] !== undefined) return alt
  return alternatives[0]!
}
