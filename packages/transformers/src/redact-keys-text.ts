// Keys found inside strings (`password=…`, `"api_key": "…"`,
// `Authorization: Basic …`): the one regex they compile into, and the
// separator search that finds where to try it.

import { holdsAt } from './redact-patterns.js'

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
  readonly regex: RegExp
  /** The same, sticky: tried where a key found from a separator starts. */
  readonly sticky: RegExp
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
    sticky: new RegExp(source, 'iy'),
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

/** Whether `c` (one character) may be part of a key in text. */
export function isKeyChar(c: string | undefined): boolean {
  return c !== undefined && /[a-z0-9_.-]/i.test(c)
}

/**
 * The leftmost match of `keys.regex` at or after `from`, found from the
 * separators: a literal key ends just before one (but for an optional
 * quote, escaped or not, and blanks), so the regex is tried only where a
 * key with that ending starts. Matches come in the order of their
 * separators, since a key holds none.
 */
export function nextKey(
  s: string,
  from: number,
  sticky: RegExp,
  literal: LiteralKeys,
): RegExpExecArray | null {
  let equals = s.indexOf('=', from)
  let colon = s.indexOf(':', from)
  while (colon !== -1 || equals !== -1) {
    let sep = colon
    if (equals !== -1 && (colon === -1 || equals < colon)) {
      sep = equals
      equals = s.indexOf('=', sep + 1)
    } else colon = s.indexOf(':', sep + 1)
    let end = sep
    while (end > from && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--
    const quote = s.charCodeAt(end - 1)
    if (quote === 34 || quote === 39) {
      end--
      if (s.charCodeAt(end - 1) === 92) end--
    }
    const code = tailOf(s, end, literal.tail)
    if (code >= 0 && literal.tails[code] === 1) {
      const m = keyEndingAt(s, end, from, sticky, literal.byTail.get(code)!)
      if (m !== null) return m
    }
  }
  return null
}

/** The match of a key (one of `candidates`, longest first) that ends at `end`, if any. */
function keyEndingAt(
  s: string,
  end: number,
  from: number,
  sticky: RegExp,
  candidates: readonly string[],
): RegExpExecArray | null {
  let tried = -1
  for (const core of candidates) {
    const at = end - core.length
    if (at < from || at === tried || !holdsAt(s, at, core)) continue
    tried = at
    sticky.lastIndex = at
    const m = sticky.exec(s)
    if (m !== null) return m
  }
  return null
}
