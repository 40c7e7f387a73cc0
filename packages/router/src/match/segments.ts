/**
 * The RegExp translation shared by globs and URI templates: chunks of
 * one-character atoms between two kinds of star, `*` (any run of characters
 * that are not separators) and `**` (any run at all), translated so that
 * matching backtracks about O(input × pattern) steps instead of the
 * O(input^stars) of a naive translation.
 */

/** The characters a `*` may match, and the separators it may not. */
export interface Alphabet {
  /** A character class for one non-separator character, e.g. `[^/]`. */
  readonly star: string
  /** A character class for one separator, e.g. `\/`. */
  readonly separator: string
}

/** RegExp sources, each matching exactly one character. */
export type Atoms = readonly string[]
/** Chunks and stars alternate, starting and ending with a chunk (maybe empty). */
export type Token = Atoms | '*' | '**'

const ANY = '[\\s\\S]'

/** RegExp source for `text`, every character literal. */
export const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')

/** A star stopping at the first place `next` matches: the only stop worth trying. */
const tempered = (next: string, one: string) => `(?:(?!${next})${one})*`

/** Splits tokens at each `**`: runs that `*` keeps within their segments. */
export function splitParts(tokens: readonly Token[]): Token[][] {
  const parts: Token[][] = [[]]
  for (const t of tokens) {
    if (t === '**') parts.push([])
    else (parts[parts.length - 1] as Token[]).push(t)
  }
  return parts
}

/** Capture groups {@link partsSource} uses: one per middle part with its own `*`. */
export const atomicGroups = (parts: readonly Token[][]): number =>
  parts.slice(1, -1).filter((part) => part.length > 1).length

/**
 * Source for a run of chunks and `*`s (no `**`). Each `*` stops at the first
 * occurrence of the chunk after it: an earlier stop leaves every later choice
 * open, as what follows is a `*` of the same kind or a `**`. Only the last
 * `*` of the whole pattern, anchored at the end, backtracks.
 */
function partSource(part: readonly Token[], atEnd: boolean, abc: Alphabet): string {
  let out = (part[0] as Atoms).join('')
  for (let i = 1; i < part.length; i += 2) {
    const next = (part[i + 1] as Atoms).join('')
    const last = i + 2 >= part.length
    out += (last && atEnd) || next === '' ? `${abc.star}*` : tempered(next, abc.star)
    out += next
  }
  return out
}

/**
 * Unanchored source for the parts of {@link splitParts}. A middle part (between
 * two `**`) that has its own `*`s is found by an atomic leftmost search, one
 * segment at a time: a capturing lookahead, then a back-reference numbered
 * from `firstGroup`; its leftmost occurrence is always a safe choice, since a
 * `**` follows it. The last part, anchored at the end, backtracks over the
 * separators only: `**` is "up to some separator, then within a segment".
 */
export function partsSource(parts: readonly Token[][], abc: Alphabet, firstGroup = 1): string {
  const last = parts.length - 1
  let out = partSource(parts[0] as Token[], last === 0, abc)
  let group = firstGroup
  for (let p = 1; p <= last; p++) {
    const part = parts[p] as Token[]
    const head = (part[0] as Atoms).join('')
    const within = (atEnd: boolean) => partSource([[], '*', ...part], atEnd, abc)
    if (p === last && part.length === 1) out += `${ANY}*${head}`
    else if (p === last) out += `(?:${ANY}*${abc.separator})?${within(true)}`
    else if (part.length === 1) out += tempered(head, ANY) + head
    else out += `(?=((?:${ANY}*?${abc.separator})??${within(false)}))\\${group++}`
  }
  return out
}
