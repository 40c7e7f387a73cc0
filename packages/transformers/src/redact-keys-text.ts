// Keys found inside strings (`password=…`, `"api_key": "…"`,
// `Authorization: Basic …`): found from each separator, the key's whole
// name checked before its value is read.
import { type Lines, lines, type Value, valueAt } from './redact-key-values.js'

/** Characters of a key in text: `*` in a key glob stands for a run of them. */
const ID = 'a-z0-9_.\\-'

/**
 * The separator and value after a key in text, as one regex (the
 * reference the separator search is tested against; {@link valueAt} reads
 * the same grammar, bounded): an escaped-quoted string (JSON inside JSON),
 * a quoted one, either left open to where its grammar stops, a scheme and
 * its credentials (`Authorization: Basic …`), or a bare run up to a delimiter.
 */
const SEP_VALUE = String.raw`((?:\\?["'])?[ \t]*[:=][ \t]*)(\\"(?:[^"\\\n]|\\\\(?:\\["\\]|[^"\\\n])|\\[^"\\\n])*(?:\\")?|"(?:[^"\\\n]|\\[^\n])*"?|'(?:[^'\\\n]|\\[^\n])*'?|(?:(?:basic|bearer|digest|token|negotiate)[ \t]+)?[^\s"',;&}\]\\<>=][^\s"',;&}\]\\<>]*)`

/** Keys in text, compiled: see {@link compileKeysInText}. */
export interface CompiledKeys {
  /** The one-regex scan of the same keys (as they were found before the separator search). */
  readonly regex: RegExp
  /** The shortest text a match can be (a key's end, a separator and one character). */
  readonly min: number
  /** When every key is a literal after its leading `*`s: those literals, by their last characters. */
  readonly literal: LiteralKeys | undefined
}

export interface LiteralKeys {
  /** 1 or 2: how many last characters index `byTail`. */
  readonly tail: number
  /** Which tails occur, a bit per {@link tailOf} code: a cheaper test than the map. */
  readonly tails: Uint8Array
  /** The literals (lower-case ASCII key characters), longest first, under {@link tailOf} their end. */
  readonly byTail: ReadonlyMap<number, readonly string[]>
}

/**
 * Keys in text (`password=…`, `"api_key": "…"`) as one case-insensitive
 * global regex: group 1 is the key's end as the regex finds it (a glob's
 * leading `*` dropped, so that the search starts at a literal), group 2 the
 * separator, group 3 the value. The caller reads the whole key back to its
 * start and checks it against the keys, so a key in text means exactly
 * what it means in an object.
 */
export function compileKeysInText(lowerKeys: readonly string[]): CompiledKeys | undefined {
  const cores = new Set<string>()
  for (const key of lowerKeys) cores.add(coreOf(key))
  if (cores.size === 0) return undefined
  // Longest first: an alternation takes the first that matches.
  const sorted = [...cores].sort((a, b) => b.length - a.length)
  const source = `(${sorted.join('|')})${SEP_VALUE}`
  const literals = lowerKeys.map((key) => key.replace(/^\*+/, ''))
  const literal = literals.every((l) => /^[a-z0-9_.-]+$/.test(l)) ? byTail(literals) : undefined
  const shortest = Math.min(...literals.map((l) => l.length))
  return {
    regex: new RegExp(source, 'gi'),
    min: literal === undefined ? 3 : shortest + 2,
    literal,
  }
}

function byTail(literals: readonly string[]): LiteralKeys {
  const tail = Math.min(2, ...literals.map((l) => l.length))
  const map = new Map<number, string[]>()
  for (const l of [...new Set(literals)].sort((a, b) => b.length - a.length)) {
    const code = tailOf(l, l.length, tail)
    map.set(code, [...(map.get(code) ?? []), l])
  }
  const tails = new Uint8Array(1 << 14)
  for (const code of map.keys()) tails[code] = 1
  return { tail, tails, byTail: map }
}

/** The last `tail` (1 or 2) characters of `s` before `end`, lower-cased, as one number (-1: not ASCII). */
export function tailOf(s: string, end: number, tail: number): number {
  let last = s.charCodeAt(end - 1)
  if (!(last < 128)) return -1
  if (last >= 65 && last <= 90) last += 32
  if (tail === 1) return last
  let before = s.charCodeAt(end - 2)
  if (!(before < 128)) return -1
  if (before >= 65 && before <= 90) before += 32
  return (before << 7) | last
}

/** A key glob as a regex source without its leading stars; a key of stars only is any key. */
function coreOf(glob: string): string {
  let i = 0
  while (glob[i] === '*') i++
  let source = ''
  for (; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '\\') source += literalOf(glob[++i] ?? '')
    else if (c === '*') {
      while (glob[i + 1] === '*') i++
      source += `[${ID}]*`
    } else if (c === '?') source += `[${ID}]`
    else source += literalOf(c)
  }
  return source === '' ? `[${ID}]+` : source
}

function literalOf(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c
}

/** Whether the character code `c` (NaN past the text) may be part of a key in text: `[a-z0-9_.-]`, any case. */
export function isKeyCode(c: number): boolean {
  const lower = c | 32
  return (lower >= 97 && lower <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45
}

/** Whether the `n`, `r` or `t` at `i` may be an escape's (`\n`), the backslash before it. */
function escapeAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i)
  return (c === 110 || c === 114 || c === 116) && s.charCodeAt(i - 1) === 92
}

/** A key in text: its whole name, where it starts, its separator and value (see {@link Value}). */
export interface KeyMatch extends Value {
  readonly start: number
  readonly name: string
}

/**
 * One string's search for keys in text: what is configured, and what is
 * kept between its steps so that each character is searched once. The
 * next `=` and `:` are kept: in a string with no `:` at all, a search for
 * one from each `=` would read to the end every time.
 */
export interface KeySearch extends Lines {
  readonly s: string
  readonly literal: LiteralKeys | undefined
  readonly isKey: (lower: string) => boolean
  /** The next `=` at or after where it was last searched from; -1: none left, -2: not searched for yet. */
  equals: number
  /** The same for `:`. */
  colon: number
}

/** The search of `s` for the keys `k`. */
export function keySearch(
  s: string,
  k: CompiledKeys,
  isKey: (lower: string) => boolean,
): KeySearch {
  return { s, literal: k.literal, isKey, equals: -2, colon: -2, ...lines() }
}

/**
 * The first key in text at or after `from`, found from the separators (`:`
 * and `=`, in order): the key is the run of key characters that ends just
 * before one (but for an optional quote, escaped or not, and blanks), read
 * back to `floor` (text before it was replaced). Its whole name is checked
 * before any value is read, so a separator after a near miss (`atoken:`)
 * costs its own run only, and a glob's `*` is matched on the name, never
 * run over the text. With `within`, only a key whose name ends by then
 * (see {@link reach}); the separator after the last is left for the next
 * search. `from` never decreases from one call to the next.
 */
export function findKey(k: KeySearch, from: number, floor: number, within = -1): KeyMatch | null {
  const { s, literal } = k
  for (;;) {
    if (k.equals !== -1 && k.equals < from) k.equals = s.indexOf('=', from)
    if (k.colon !== -1 && k.colon < from) k.colon = s.indexOf(':', from)
    const { equals, colon } = k
    if (equals === -1 && colon === -1) return null
    const sep = equals !== -1 && (colon === -1 || equals < colon) ? equals : colon
    let end = sep
    while (end > from && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--
    const quote = s.charCodeAt(end - 1)
    if (end > from && (quote === 34 || quote === 39)) {
      end--
      if (end > from && s.charCodeAt(end - 1) === 92) end--
    }
    if (within >= 0 && end > within) return null
    if (sep === equals) k.equals = s.indexOf('=', sep + 1)
    else k.colon = s.indexOf(':', sep + 1)
    if (end <= from || !isKeyCode(s.charCodeAt(end - 1))) continue
    if (literal !== undefined) {
      const code = tailOf(s, end, literal.tail)
      if (code < 0 || literal.tails[code] !== 1) continue
    }
    let start = end
    while (start > floor && isKeyCode(s.charCodeAt(start - 1))) start--
    // Runs on into text already replaced: not a key of its own.
    if (start === floor && floor > 0 && isKeyCode(s.charCodeAt(floor - 1))) continue
    let name = s.slice(start, end)
    if (!k.isKey(name.toLowerCase())) {
      // `\ntoken: …` (JSON text of a multi-line string): the key after the escape.
      if (!escapeAt(s, start) || !k.isKey(name.slice(1).toLowerCase())) continue
      name = name.slice(1)
      start++
    }
    const m = valueAt(s, k, end, name, within)
    if (m !== null) return { start, name, ...m }
  }
}

/**
 * Where the value of `m` is replaced to. An open value (a bare run, a
 * header line, a quote left open) may hold another key, its separator
 * inside (`password: x?password:Basic y`, `password=x?token="a b"`,
 * `password=x?cookie: a=b; session=…`), whose own value runs on past it:
 * the replacement then runs through the furthest such value, and the keys
 * inside what it took in are looked at in turn, until none runs further.
 * A key's value that ends at its own quote or bracket is passed over
 * whole; each separator is looked at once.
 */
export function reach(k: KeySearch, m: KeyMatch): number {
  let end = m.end
  if (!m.open) return end
  for (let at = m.from; end < k.s.length; ) {
    const inner = findKey(k, at, at, end)
    if (inner === null) break
    if (inner.end > end) end = inner.end
    at = inner.open ? inner.from : inner.end
  }
  return end
}
