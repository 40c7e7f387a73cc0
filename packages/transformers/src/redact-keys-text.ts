// Keys found inside strings (`password=…`, `"api_key": "…"`,
// `Authorization: Basic …`): found from each separator, the key's whole
// name checked before its value is read.

/** Characters of a key in text: `*` in a key glob stands for a run of them. */
const ID = 'a-z0-9_.\\-'

/**
 * The separator and value after a key in text: a quoted string (kept
 * quoted), an escaped-quoted one (JSON inside JSON), a scheme and its
 * credentials (`Authorization: Basic …`), or a bare run up to a delimiter.
 * A quote left open runs to the end of the line.
 */
const SEP_VALUE = String.raw`((?:\\?["'])?[ \t]*[:=][ \t]*)(\\"(?:[^"\\\n]|\\[^"\n])*\\"|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|(?:(?:basic|bearer|digest|token|negotiate)[ \t]+)?[^\s"',;&}\]\\<>=][^\s"',;&}\]\\<>]*|["'][^"'\n]*)`

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

/** The longest value run a key's value regex reads; see {@link valueAt}. */
export const MAX_VALUE = 4096
/** The most characters a `{…}` or `[…]` value is read for its closing bracket. */
export const MAX_BRACKETED = 65_536

const SEP = /(?:\\?["'])?[ \t]*[:=][ \t]*/y
/** {@link SEP_VALUE}'s value, its runs capped at {@link MAX_VALUE}. */
const VALUE = new RegExp(
  String.raw`\\"(?:[^"\\\n]|\\[^"\n]){0,${MAX_VALUE}}\\"|"(?:[^"\\\n]|\\.){0,${MAX_VALUE}}"|'(?:[^'\\\n]|\\.){0,${MAX_VALUE}}'|(?:(?:basic|bearer|digest|token|negotiate)[ \t]+)?[^\s"',;&}\]\\<>=][^\s"',;&}\]\\<>]{0,${MAX_VALUE}}|["'][^"'\n]{0,${MAX_VALUE}}`,
  'iy',
)
/** Keys whose header line (`Cookie: a=b; session=…`) is a secret to its end. */
const HEADER_KEYS = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization'])

/** A key in text: the whole name, its separator and its value, and where they stand. */
export interface KeyMatch {
  readonly start: number
  readonly name: string
  readonly sep: string
  readonly value: string
  /** Where the value ends. */
  readonly end: number
}

/**
 * Where one string's next `=` and next `:` are, kept across its searches:
 * each is searched for once, not again after each match (in a string
 * with no `:` at all, a search from each `=` would read to the end every time).
 * -1: none left; -2: not searched for yet.
 */
export interface Separators {
  equals: number
  colon: number
}

/** The separator positions of a string not searched yet. */
export function separators(): Separators {
  return { equals: -2, colon: -2 }
}

/**
 * The first key in text at or after `from`, found from the separators (`:`
 * and `=`, in order): the key is the run of key characters that ends just
 * before one (but for an optional quote, escaped or not, and blanks), read
 * back to `floor` (text before it was replaced). Its whole name is checked
 * before any value is read, so a separator after a near miss (`atoken:`)
 * costs its own run only, and a glob's `*` is matched on the name, never
 * run over the text. `from` never decreases between the calls that share `seps`.
 */
export function findKey(
  s: string,
  from: number,
  floor: number,
  seps: Separators,
  literal: LiteralKeys | undefined,
  isKey: (lower: string) => boolean,
): KeyMatch | null {
  for (;;) {
    if (seps.equals !== -1 && seps.equals < from) seps.equals = s.indexOf('=', from)
    if (seps.colon !== -1 && seps.colon < from) seps.colon = s.indexOf(':', from)
    const { equals, colon } = seps
    if (equals === -1 && colon === -1) return null
    let sep = colon
    if (equals !== -1 && (colon === -1 || equals < colon)) {
      sep = equals
      seps.equals = s.indexOf('=', sep + 1)
    } else seps.colon = s.indexOf(':', sep + 1)
    let end = sep
    while (end > from && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--
    const quote = s.charCodeAt(end - 1)
    if (end > from && (quote === 34 || quote === 39)) {
      end--
      if (end > from && s.charCodeAt(end - 1) === 92) end--
    }
    if (end <= from || !isKeyCode(s.charCodeAt(end - 1))) continue
    if (literal !== undefined) {
      const code = tailOf(s, end, literal.tail)
      if (code < 0 || literal.tails[code] !== 1) continue
    }
    let start = end
    while (start > floor && isKeyCode(s.charCodeAt(start - 1))) start--
    // Runs on into text already replaced: not a key of its own.
    if (start === floor && floor > 0 && isKeyCode(s.charCodeAt(floor - 1))) continue
    const name = s.slice(start, end)
    if (!isKey(name.toLowerCase())) continue
    const m = valueAt(s, end, name)
    if (m !== null) return { start, name, ...m }
  }
}

/**
 * The separator and value after a key that ends at `at`: a quoted string, a
 * bare run, an object or array through its closing bracket, a header line
 * to its end. A value longer than the caps fails closed: a quoted one past
 * {@link MAX_VALUE} is replaced to its closing quote (else to the end of its
 * line), a bare one to the end of its line, a bracket left open within
 * {@link MAX_BRACKETED} to the end of the text.
 */
function valueAt(s: string, at: number, name: string): Omit<KeyMatch, 'start' | 'name'> | null {
  SEP.lastIndex = at
  const sep = SEP.exec(s)?.[0]
  if (sep === undefined) return null
  const from = at + sep.length
  const c = s[from]
  if (c === '{' || c === '[') {
    const end = closing(s, from, sep.startsWith('\\"'))
    return { sep, value: s.slice(from, end), end }
  }
  // `Cookie: a=b; session=…`: the value is the rest of the line, not its first cookie.
  if (sep[0] !== '"' && sep[0] !== "'" && sep[0] !== '\\' && sep.includes(':')) {
    if (HEADER_KEYS.has(name.toLowerCase()) && c !== '"' && c !== "'") {
      const end = endOfLine(s, from)
      return end === from ? null : { sep, value: s.slice(from, end), end }
    }
  }
  VALUE.lastIndex = from
  const value = VALUE.exec(s)?.[0]
  if (value === undefined) return null
  let end = from + value.length
  if (value.length > MAX_VALUE && wentOn(value, s[end])) end = pastCap(s, from, end)
  return { sep, value: s.slice(from, end), end }
}

/** Whether a value the regex read stopped at a cap (the run goes on with `next`). */
function wentOn(value: string, next: string | undefined): boolean {
  if (next === undefined) return false
  const q = value[0]!
  const quoted = q === '"' || q === "'" || q === '\\'
  if (quoted && value.length >= 2 && value.endsWith(q === '\\' ? '"' : q)) return false
  return quoted ? !/["'\n]/.test(next) : !/[\s"',;&}\]\\<>]/.test(next)
}

/**
 * Where a value cut at the cap ends: a quoted one at its closing quote
 * (so JSON text stays JSON), anything else at the end of its line. Fails
 * closed: all of it is replaced, none of it let through.
 */
function pastCap(s: string, from: number, at: number): number {
  const escaped = s[from] === '\\'
  const q = escaped ? '"' : s[from]
  if (q === '"' || q === "'") {
    for (let i = at; i < s.length && s[i] !== '\n'; i++) {
      if (s[i] === '\\' && !escaped) i++
      else if (s[i] === q && (!escaped || s[i - 1] === '\\')) return i + 1
    }
  }
  return endOfLine(s, at)
}

function endOfLine(s: string, from: number): number {
  let end = from
  while (end < s.length && s[end] !== '\n' && s[end] !== '\r') end++
  return end
}

/**
 * Where the `{…}` or `[…]` that opens at `open` ends (after its closing
 * bracket), skipping strings; escaped-quoted ones (`\"…\"`, JSON inside
 * JSON) when `escaped`. Unbalanced within {@link MAX_BRACKETED}: the end of
 * the text (fails closed).
 */
function closing(s: string, open: number, escaped: boolean): number {
  let depth = 0
  let inString = false
  const limit = Math.min(s.length, open + MAX_BRACKETED)
  for (let i = open; i < limit; i++) {
    const c = s.charCodeAt(i)
    if (c === 34) {
      let slashes = 0
      while (s.charCodeAt(i - 1 - slashes) === 92) slashes++
      if (escaped ? slashes % 4 === 1 : slashes % 2 === 0) inString = !inString
    } else if (inString) continue
    else if (c === 123 || c === 91) depth++
    else if (c === 125 || c === 93) {
      if (--depth === 0) return i + 1
    }
  }
  return s.length
}
