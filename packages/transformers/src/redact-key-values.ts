// The value after a key in text: its separator, and where the value ends.
// Every reader here either matches (and the scan goes on after what it
// read) or reads a bounded run: nothing is read again from each separator.
import { holdsAt } from './redact-patterns.js'

/** The longest bare value run read; past it the value runs to the end of its line. */
export const MAX_VALUE = 4096
/** The most characters a `{…}` or `[…]` value is read for its closing bracket, a PEM block for its END line. */
export const MAX_BRACKETED = 65_536

const SEP = /(?:\\?["'])?[ \t]*[:=][ \t]*/y
/** A quoted value closed within {@link MAX_VALUE}: the common case, one regex step. */
const QUOTED = new RegExp(
  String.raw`"(?:[^"\\\n]|\\[^\n]){0,${MAX_VALUE}}"|'(?:[^'\\\n]|\\[^\n]){0,${MAX_VALUE}}'`,
  'y',
)
/**
 * An escaped-quoted value (JSON inside JSON: `\"a\\\"b\"` is `"a\"b"`)
 * closed within {@link MAX_VALUE}: a character, the inner text's own
 * escape escaped (`\\\"`, `\\\\`, `\\n`), or the outer text's escape of a
 * character (`\u00e9`). Each step starts differently, so nothing backtracks.
 */
const ESCAPED = new RegExp(
  String.raw`\\"(?:[^"\\\n]|\\\\(?:\\["\\]|[^"\\\n])|\\[^"\\\n]){0,${MAX_VALUE}}\\"`,
  'y',
)
/** A bare value: a scheme and its credentials (`Basic …`), or a run up to a delimiter. */
const BARE = new RegExp(
  String.raw`(?:(?:basic|bearer|digest|token|negotiate)[ \t]+)?[^\s"',;&}\]\\<>=][^\s"',;&}\]\\<>]{0,${MAX_VALUE}}`,
  'iy',
)
/** A PEM block's END line (RFC 7468 §2), searched for from its BEGIN line. */
const PEM_END = /-----END[^-\n]*-----/gi
/** Keys whose header line (`Cookie: a=b; session=…`) is a secret to its end. */
const HEADER_KEYS = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization'])

/** A scheme that a bare value may start with, its credentials after a blank. */
const SCHEME = /(?:basic|bearer|digest|token|negotiate)[ \t]/iy

/** A key's separator, and where its value starts and ends. */
export interface Value {
  readonly sep: string
  readonly from: number
  readonly end: number
  /**
   * Whether the value may hold another key whose own value runs on past
   * it: true for a bare run, a header line and a quote left open; false
   * for what ends at its own closing quote, bracket or END line.
   */
  readonly open: boolean
}

/**
 * Ends found in one string, kept for the keys inside a value (see
 * `reach`): [lineFrom, lineEnd) holds no line break; likewise, by kind of
 * string (double-quoted, escaped-quoted, single-quoted), [stringFrom,
 * stringEnd) holds no end of one.
 */
export interface Lines {
  lineFrom: number
  lineEnd: number
  readonly stringFrom: [number, number, number]
  readonly stringEnd: [number, number, number]
}

/** No end found yet. */
export function lines(): Lines {
  return { lineFrom: 0, lineEnd: -1, stringFrom: [0, 0, 0], stringEnd: [-1, -1, -1] }
}

/**
 * The separator and value after a key that ends at `at`: a quoted string
 * (escaped-quoted too) through its closing quote, an object or array
 * through its closing bracket, a PEM block (`private_key: -----BEGIN …`,
 * quoted or not) through its END line, a header line to its end, a bare run. Fails
 * closed: a quote left open runs to the end of its line, a bare run past
 * {@link MAX_VALUE} to the end of its line, a bracket left open within
 * {@link MAX_BRACKETED} to the end of the text. A bare value that starts
 * before `within` (inside a run already being replaced) ends where that
 * run does, and is not read.
 */
export function valueAt(
  s: string,
  lines: Lines,
  at: number,
  name: string,
  within: number,
): Value | null {
  SEP.lastIndex = at
  const sep = SEP.exec(s)?.[0]
  if (sep === undefined) return null
  const from = at + sep.length
  const c = s.charCodeAt(from)
  let end: number
  let open = true
  if (c === 123 || c === 91) {
    end = closing(s, from, sep.startsWith('\\"'))
    open = false
  } else if (c === 45 && holdsAt(s, from, '-----begin')) {
    end = pemEnd(s, from)
    open = false
  } else if (isHeader(sep, name, c)) {
    // `Cookie: a=b; session=…`: the value is the rest of the line, not its first cookie;
    // a header at the start of a string (`{"h":"Cookie: …","ok":1}`), or of one of its
    // lines (`"GET /\r\nCookie: …"`), the rest of that line of that string.
    const start = at - name.length
    const q = s.charCodeAt(start - 1)
    const slashes = q === 110 || q === 114 ? backslashesBefore(s, start - 1) : 0
    if (slashes > 0) end = endOfString(s, lines, from, 34, slashes % 2 === 0)
    else if (q === 34 || q === 39) {
      end = endOfString(s, lines, from, q, q === 34 && s.charCodeAt(start - 2) === 92)
    } else end = endOfLine(s, lines, from)
    if (end === from) return null
  } else if (c === 34 || c === 39) {
    end = quotedEnd(s, from)
    open = !closedAt(s, from, end, false)
  } else if (c === 92 && s.charCodeAt(from + 1) === 34) {
    end = escapedEnd(s, from)
    open = !closedAt(s, from + 1, end, true)
  } else {
    // Inside a run being replaced, a bare value ends where the run does: not read.
    SCHEME.lastIndex = from
    if (from < within && !SCHEME.test(s)) return { sep, from, end: from, open }
    BARE.lastIndex = from
    const value = BARE.exec(s)?.[0]
    if (value === undefined) return null
    end = from + value.length
    if (value.length > MAX_VALUE && end < s.length && !/[\s"',;&}\]\\<>]/.test(s[end]!)) {
      end = endOfLine(s, lines, end)
    }
  }
  return { sep, from, end, open }
}

/**
 * Whether the quoted value whose quote is at `open` and that was read to
 * `end` ended at its closing quote: the last character is the quote, after
 * a run of backslashes that leaves it unescaped (an even run; inside an
 * escaped-quoted value one more than a multiple of four, `\\\"` being the
 * inner text's escaped quote).
 */
function closedAt(s: string, open: number, end: number, escaped: boolean): boolean {
  if (end < open + 2 || s.charCodeAt(end - 1) !== s.charCodeAt(open)) return false
  let slashes = 0
  while (end - 2 - slashes > open && s.charCodeAt(end - 2 - slashes) === 92) slashes++
  return escaped ? slashes % 4 === 1 : slashes % 2 === 0
}

function isHeader(sep: string, name: string, c: number): boolean {
  if (sep[0] === '"' || sep[0] === "'" || sep[0] === '\\' || !sep.includes(':')) return false
  return c !== 34 && c !== 39 && HEADER_KEYS.has(name.toLowerCase())
}

/** Where a `"…"` or `'…'` value that opens at `open` ends: after its closing quote, else at the end of its line. */
function quotedEnd(s: string, open: number): number {
  QUOTED.lastIndex = open
  if (QUOTED.test(s)) return QUOTED.lastIndex
  const q = s.charCodeAt(open)
  // An env file's PEM key, its lines real ones: through its END line and the closing quote.
  if (holdsAt(s, open + 1, '-----begin')) {
    const end = pemEnd(s, open + 1)
    return s.charCodeAt(end) === q ? end + 1 : end
  }
  // Longer than the regex reads, or left open: the same grammar, read on.
  for (let i = open + 1; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === q) return i + 1
    if (c === 10) return i
    if (c === 92) {
      if (i + 1 === s.length || s.charCodeAt(i + 1) === 10) return i
      i++
    }
  }
  return s.length
}

/**
 * Where a `\"…\"` value that opens at `open` ends: after its closing `\"`,
 * else where its grammar stops (a bare `"` ends the string it sits in, a
 * newline its line).
 */
function escapedEnd(s: string, open: number): number {
  ESCAPED.lastIndex = open
  if (ESCAPED.test(s)) return ESCAPED.lastIndex
  if (holdsAt(s, open + 2, '-----begin')) {
    const end = pemEnd(s, open + 2)
    return s.startsWith('\\"', end) ? end + 2 : end
  }
  for (let i = open + 2; i < s.length; ) {
    const c = s.charCodeAt(i)
    if (c === 34 || c === 10) return i
    if (c !== 92) {
      i++
      continue
    }
    const d = s.charCodeAt(i + 1)
    if (d === 34) return i + 2
    if (d !== 92) {
      if (d === 10 || i + 1 === s.length) return i
      i += 2
      continue
    }
    // `\\`: an escape of the inner text, escaped in turn.
    const e = s.charCodeAt(i + 2)
    const f = s.charCodeAt(i + 3)
    if (e === 92 && (f === 34 || f === 92)) i += 4
    else if (e === 34 || e === 92 || e === 10 || i + 2 === s.length) return i
    else i += 3
  }
  return s.length
}

/**
 * Where a PEM block whose BEGIN line starts at `at` ends: after the dashes
 * of its END line. Without one within {@link MAX_BRACKETED}: the end of the
 * text (fails closed: the body is the secret, and the BEGIN line alone says
 * where it starts).
 */
function pemEnd(s: string, at: number): number {
  PEM_END.lastIndex = at + 10
  const m = PEM_END.exec(s)
  return m === null || m.index > at + MAX_BRACKETED ? s.length : PEM_END.lastIndex
}

/** How many backslashes stand right before `i` (at most 4: what tells the escapes apart). */
function backslashesBefore(s: string, i: number): number {
  let n = 0
  while (n < 4 && s.charCodeAt(i - 1 - n) === 92) n++
  return n
}

/** {@link stringEnd}, found once per string: `from` is a value's start, never inside an escape. */
function endOfString(s: string, lines: Lines, from: number, q: number, escaped: boolean): number {
  const kind = q === 39 ? 2 : escaped ? 1 : 0
  if (from >= lines.stringFrom[kind] && from <= lines.stringEnd[kind]) return lines.stringEnd[kind]
  const end = stringEnd(s, from, q, escaped)
  lines.stringFrom[kind] = from
  lines.stringEnd[kind] = end
  return end
}

/**
 * Where the text of a string (quoted by `q`; escaped-quoted, JSON inside
 * JSON, when `escaped`) that holds `from` ends: before its closing quote
 * or its first line break, real or escaped (`\r`, `\n`). In an
 * escaped-quoted string `\"` closes it, and `\\\"` (the inner text's
 * escaped quote) does not.
 */
function stringEnd(s: string, from: number, q: number, escaped: boolean): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === q || c === 10 || c === 13) return i
    if (c !== 92) continue
    let run = 1
    while (s.charCodeAt(i + run) === 92) run++
    const next = s.charCodeAt(i + run)
    if (next === q) {
      if (escaped ? run % 4 !== 3 : run % 2 === 0) return escaped ? i : i + run
    } else if (next === 110 || next === 114) {
      if (escaped ? run % 4 !== 0 : run % 2 === 1) return i
    }
    // An odd run escapes the character after it: passed over with the run.
    i += run % 2 === 1 && next !== 10 && next !== 13 ? run : run - 1
  }
  return s.length
}

/** Where the line that holds `from` ends (a line break, or the end of the text), found once per line. */
function endOfLine(s: string, lines: Lines, from: number): number {
  if (from >= lines.lineFrom && from <= lines.lineEnd) return lines.lineEnd
  let end = from
  while (end < s.length && s.charCodeAt(end) !== 10 && s.charCodeAt(end) !== 13) end++
  lines.lineFrom = from
  lines.lineEnd = end
  return end
}

/**
 * Where the `{…}` or `[…]` that opens at `open` ends (after its closing
 * bracket), skipping strings: double- and single-quoted ones (JSON, a
 * Python repr), or escaped-quoted ones (`\"…\"`, JSON inside JSON) when
 * `escaped`. Unbalanced within {@link MAX_BRACKETED} (an apostrophe in
 * prose opens a string too): the end of the text (fails closed).
 */
function closing(s: string, open: number, escaped: boolean): number {
  let depth = 0
  /** The quote of the string the scan is in, or 0. */
  let inString = 0
  const limit = Math.min(s.length, open + MAX_BRACKETED)
  for (let i = open; i < limit; i++) {
    const c = s.charCodeAt(i)
    if (c === 34 || (c === 39 && !escaped)) {
      if (inString !== 0 && inString !== c) continue
      let slashes = 0
      while (s.charCodeAt(i - 1 - slashes) === 92) slashes++
      if (escaped ? slashes % 4 === 1 : slashes % 2 === 0) inString = inString === 0 ? c : 0
    } else if (inString !== 0) continue
    else if (c === 123 || c === 91) depth++
    else if (c === 125 || c === 93) {
      if (--depth === 0) return i + 1
    }
  }
  return s.length
}
