import {
  type Alphabet,
  atomicGroups,
  escapeRegExp,
  partsSource,
  type Token as SegmentToken,
  splitParts,
} from './segments.js'

/**
 * How {@link glob} tests a pattern, cheapest first:
 * - `exact`: no wildcard; the name must equal the pattern, unescaped.
 * - `prefix`: `literal*` or `literal**` (the literal without `?`); the name
 *   starts with the literal and, for `*`, has no `/` after it.
 * - `suffix`: `*literal` or `**literal`; the name ends with the literal and,
 *   for `*`, has no `/` before it.
 * - `regex`: anything else, tested with {@link Glob.toSource}'s RegExp.
 */
export type GlobKind = 'exact' | 'prefix' | 'suffix' | 'regex'

/** A compiled glob pattern: see {@link glob} for the syntax. */
export interface Glob {
  /** The pattern as written. */
  readonly pattern: string
  readonly kind: GlobKind
  /**
   * The literal text every matching name starts with: the pattern up to its
   * first wildcard, unescaped (the whole name for `exact`).
   */
  readonly head: string
  /** The literal text every matching name ends with, after the last wildcard. */
  readonly tail: string
  /** `prefix`/`suffix`: the wildcard is `**`, so the rest may contain `/`. */
  readonly crossesSlash: boolean
  /** Higher is more specific; a total order described on {@link glob}. */
  readonly specificity: number
  /** Capture groups in {@link Glob.toSource}'s output (atomic searches use them). */
  readonly groups: number
  /**
   * The pattern as unanchored RegExp source (no flags), for any kind, to be
   * wrapped as `^(?:…)$`. Its capture groups and back-references are numbered
   * from `firstGroup`, so that several sources can share one alternation.
   */
  toSource(firstGroup?: number): string
  /** Whether `name` matches the whole pattern. */
  test(name: string): boolean
}

/** Longest pattern {@link glob} accepts, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 1024

/** Specificity of every exact pattern: above any wildcard pattern's. */
export const EXACT_SPECIFICITY = 2 ** 52

/** A run of literal characters and `?`s (a `?` is `null`), between stars. */
type Chunk = (string | null)[]
/** Chunks and stars alternate, starting and ending with a chunk (maybe empty). */
type Token = Chunk | '*' | '**'

// Counts are at most MAX_PATTERN_LENGTH, so each field fits below BASE and
// the packed score stays below 2^44, far under EXACT_SPECIFICITY.
const BASE = 2048

function lexError(pattern: string, why: string): TypeError {
  return new TypeError(`[@mcpx/router] glob ${JSON.stringify(pattern)}: ${why}`)
}

/** Splits a pattern into alternating chunks and stars; `**`, `***`… are one `**`. */
function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [[]]
  let chunk = tokens[0] as Chunk
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '*') {
      let end = i + 1
      while (pattern[end] === '*') end++
      chunk = []
      tokens.push(end - i > 1 ? '**' : '*', chunk)
      i = end - 1
    } else if (c === '?') chunk.push(null)
    else if (c === '\\') {
      if (i + 1 === pattern.length) throw lexError(pattern, 'ends in a lone backslash')
      chunk.push(pattern[++i] as string)
    } else chunk.push(c)
  }
  return tokens
}

function specificityOf(tokens: Token[]): number {
  let literals = 0
  let questions = 0
  let stars = 0
  let globstars = 0
  for (const t of tokens) {
    if (t === '*') stars++
    else if (t === '**') globstars++
    else for (const c of t) c === null ? questions++ : literals++
  }
  return ((literals * BASE + (BASE - 1 - globstars)) * BASE + (BASE - 1 - stars)) * BASE + questions
}

/** Globs: `*` stops at `/`. */
const GLOB: Alphabet = { star: '[^/]', separator: '\\/' }

const atoms = (tokens: Token[]): SegmentToken[] =>
  tokens.map((t) =>
    typeof t === 'string' ? t : t.map((c) => (c === null ? GLOB.star : escapeRegExp(c))),
  )

/** The literal characters a chunk starts with, before any `?`. */
function leading(chunk: Chunk): string {
  const end = chunk.indexOf(null)
  return (end === -1 ? chunk : chunk.slice(0, end)).join('')
}

/** The literal characters a chunk ends with, after any `?`. */
const trailing = (chunk: Chunk) => chunk.slice(chunk.lastIndexOf(null) + 1).join('')

function classify(tokens: Token[]): GlobKind {
  const [first, , rest] = tokens as [Chunk, Token?, Chunk?]
  const literal = (chunk: Chunk) => !chunk.includes(null)
  if (tokens.length === 1) return literal(first) ? 'exact' : 'regex'
  if (tokens.length !== 3) return 'regex'
  if (literal(first) && rest?.length === 0) return 'prefix'
  if (first.length === 0 && rest && literal(rest)) return 'suffix'
  return 'regex'
}

function tester(kind: GlobKind, head: string, tail: string, crosses: boolean, source: string) {
  const n = kind === 'suffix' ? tail.length : head.length
  switch (kind) {
    case 'exact':
      return (name: string) => name === head
    case 'prefix':
      return (name: string) => name.startsWith(head) && (crosses || !name.includes('/', n))
    case 'suffix':
      return (name: string) =>
        name.endsWith(tail) &&
        (crosses || name.length === n || name.lastIndexOf('/', name.length - n - 1) === -1)
    default: {
      const re = new RegExp(`^(?:${source})$`)
      return (name: string) => re.test(name)
    }
  }
}

/**
 * Compiles one glob pattern over names (tool and prompt names, resource URIs).
 *
 * Syntax:
 * - `*` matches any run of characters, the empty run included, except `/`:
 *   `math_*` matches `math_add` and `math_`; `data://reports/*` matches
 *   `data://reports/q1` but not `data://reports/2024/q1`.
 * - `**` matches any run of characters including `/`, wherever it stands:
 *   `data://**` matches every name starting `data://`, `**` alone every name
 *   (the empty one too), `a**z` both `az` and `a/b/z`. It is not the "zero
 *   or more segments" of gitignore or picomatch: `a/**` does not match `a`,
 *   and a `**` between two slashes never lets them merge into one. Three or
 *   more `*` in a row are one `**`.
 * - `?` matches exactly one character (UTF-16 code unit) except `/`.
 * - `\` makes the next character literal: `\*` is a star, `\?` a question
 *   mark, `\\` a backslash. A pattern ending in a lone `\` is a `TypeError`.
 * - Every other character is literal, matched case-sensitively: there are no
 *   character classes, braces, extglobs or negation, so `[`, `]`, `{`, `}`,
 *   `(`, `)`, `!`, `+`, `@`, `.` and `|` match themselves.
 * - The whole name must match: there is no implicit leading or trailing `*`.
 *
 * Specificity orders patterns (a total preorder; ties are equal patterns):
 * 1. an exact pattern (no wildcard) beats every pattern with one;
 * 2. then more literal characters win (`\*` counts as one);
 * 3. then fewer `**`;
 * 4. then fewer `*`;
 * 5. then more `?`.
 *
 * Matching takes time about linear in the name for a given pattern: `*` and
 * `**` become RegExps that cannot backtrack catastrophically.
 *
 * @throws TypeError when the pattern is not a string, is longer than
 *   {@link MAX_PATTERN_LENGTH}, or ends in a lone backslash.
 * @example
 * ```ts
 * const reports = glob('data://reports/*')
 * reports.test('data://reports/q1') // true
 * reports.test('data://reports/2024/q1') // false
 * reports.kind // 'prefix'
 * ```
 */
export function glob(pattern: string): Glob {
  if (typeof pattern !== 'string') throw new TypeError('[@mcpx/router] a glob must be a string')
  if (pattern.length > MAX_PATTERN_LENGTH)
    throw lexError(pattern.slice(0, 32) + '…', `longer than ${MAX_PATTERN_LENGTH} characters`)
  const tokens = tokenize(pattern)
  const parts = splitParts(atoms(tokens))
  const kind = classify(tokens)
  const head = leading(tokens[0] as Chunk)
  const tail = trailing(tokens[tokens.length - 1] as Chunk)
  const crossesSlash = tokens[1] === '**'
  const toSource = (firstGroup = 1) => partsSource(parts, GLOB, firstGroup)
  return {
    pattern,
    kind,
    head,
    tail,
    crossesSlash,
    specificity: kind === 'exact' ? EXACT_SPECIFICITY : specificityOf(tokens),
    groups: atomicGroups(parts),
    toSource,
    test: tester(kind, head, tail, crossesSlash, toSource()),
  }
}
