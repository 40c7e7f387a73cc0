import { Alternation, type Candidate, NONE } from './alternation.js'
import { type Glob, glob, MAX_PATTERN_LENGTH } from './glob.js'
import { RadixIndex } from './radix-index.js'

/** One route for {@link createMatcher}: a glob and what it resolves to. */
export interface MatcherEntry<T> {
  /** A glob pattern (see `glob`): non-empty, at most 1,024 characters. */
  pattern: string
  /** What {@link Matcher.match} returns when this entry wins. */
  value: T
  /**
   * Higher wins over specificity and declaration order.
   * @defaultValue `0`
   */
  priority?: number
}

/** Options for {@link createMatcher}. */
export interface MatcherOptions {
  /**
   * How many names to remember the answer for (misses included), evicting the
   * oldest first; `0` disables the memo. Names over 512 characters are never
   * memoized.
   * @defaultValue `1000`
   */
  memo?: number
}

/** Resolves names to the value of the best matching entry. */
export interface Matcher<T> {
  /**
   * The value of the best entry whose pattern matches `name`, if any.
   * `remember: false` leaves the memo alone: for one-off sweeps (a whole
   * catalog) that would push the hot names out.
   */
  match(name: string, remember?: boolean): T | undefined
  /** Names currently memoized (never more than the `memo` option). */
  readonly memoSize: number
}

const MAX_MEMO_NAME = 512
const MISS = Symbol('miss')

function entryError(index: number, why: string): TypeError {
  return new TypeError(`[@mcpx/router] matcher entries[${index}]: ${why}`)
}

function compileEntry(entry: MatcherEntry<unknown>, index: number): Glob {
  if (typeof entry !== 'object' || entry === null) throw entryError(index, 'must be an object')
  const { pattern, priority } = entry
  if (typeof pattern !== 'string' || pattern.length === 0)
    throw entryError(index, 'pattern must be a non-empty string')
  if (pattern.length > MAX_PATTERN_LENGTH)
    throw entryError(index, `pattern is longer than ${MAX_PATTERN_LENGTH} characters`)
  if (priority !== undefined && (typeof priority !== 'number' || !Number.isFinite(priority)))
    throw entryError(index, 'priority must be a finite number')
  try {
    return glob(pattern)
  } catch (error) {
    throw entryError(index, (error as Error).message.replace('[@mcpx/router] ', ''))
  }
}

/** Entry indexes in rank order: priority desc, specificity desc, index asc. */
function rankOrder(entries: readonly MatcherEntry<unknown>[], globs: Glob[]): number[] {
  const priority = (i: number) => entries[i]?.priority ?? 0
  return globs
    .map((_, i) => i)
    .sort(
      (a, b) =>
        priority(b) - priority(a) ||
        (globs[b] as Glob).specificity - (globs[a] as Glob).specificity ||
        a - b,
    )
}

/**
 * The entries, compiled: exact names in a map; wildcard patterns grouped by
 * their literal head, else by their literal tail, else all in one group.
 */
class Compiled<T> {
  readonly exact = new Map<string, Candidate<T>>()
  readonly heads = new RadixIndex<T>(false)
  readonly tails = new RadixIndex<T>(true)
  readonly rest = new Alternation<T>()
  readonly bestPatternRank: number

  constructor(entries: readonly MatcherEntry<T>[]) {
    const globs = entries.map(compileEntry)
    let bestPatternRank = NONE
    for (const [rank, index] of rankOrder(entries, globs).entries()) {
      const g = globs[index] as Glob
      const candidate = { rank, value: (entries[index] as MatcherEntry<T>).value, glob: g }
      if (g.kind === 'exact') {
        if (!this.exact.has(g.head)) this.exact.set(g.head, candidate)
        continue
      }
      bestPatternRank = Math.min(bestPatternRank, rank)
      if (g.head !== '') this.heads.add(g.head, candidate)
      else if (g.tail !== '') this.tails.add(g.tail, candidate)
      else this.rest.candidates.push(candidate)
    }
    this.bestPatternRank = bestPatternRank
    this.heads.seal()
    this.tails.seal()
    this.rest.seal()
  }

  resolve(name: string, exact: Candidate<T> | undefined): Candidate<T> | undefined {
    let best = this.heads.best(name, exact)
    best = this.tails.best(name, best)
    if (best && best.rank < this.rest.bestRank) return best
    const hit = this.rest.first(name)
    return hit && !(best && best.rank < hit.rank) ? hit : best
  }
}

/**
 * Compiles routes once into one matcher: exact names in a `Map`; patterns
 * with a literal head (`team42_*`, `svc?_*`, `data://reports/*`) in a radix
 * tree of heads, those with only a literal tail (`*_admin`) in one of tails,
 * so that a name meets only the patterns whose literal it has; the patterns
 * that share a literal, and those with neither (`*_*`), each in one anchored
 * RegExp alternation in rank order; a bounded memo for names that needed more
 * than the exact lookup.
 *
 * `match(name)` returns the value of the best entry whose pattern matches the
 * whole name: the highest `priority` first, then the most specific pattern
 * (an exact name beats every wildcard; see `glob`), then the entry declared
 * first.
 *
 * @throws TypeError naming the entry index when an entry is not an object, its
 *   pattern is empty, not a string, longer than 1,024 characters or ends in a
 *   lone `\`, or its priority is not a finite number; or when `memo` is not a
 *   non-negative integer.
 * @example
 * ```ts
 * const routes = createMatcher([
 *   { pattern: 'math_*', value: 'math' },
 *   { pattern: 'math_admin', value: 'admin' },
 *   { pattern: 'data://reports/*', value: 'reports' },
 *   { pattern: '**', value: 'default', priority: -1 },
 * ])
 * routes.match('math_add') // 'math'
 * routes.match('math_admin') // 'admin' (exact beats pattern)
 * routes.match('data://reports/2024/q1') // 'default'
 * ```
 */
export function createMatcher<T>(
  entries: readonly MatcherEntry<T>[],
  options: MatcherOptions = {},
): Matcher<T> {
  if (!Array.isArray(entries))
    throw new TypeError('[@mcpx/router] matcher entries must be an array')
  const bound = options.memo ?? 1000
  if (!Number.isInteger(bound) || bound < 0)
    throw new TypeError('[@mcpx/router] matcher memo must be a non-negative integer')
  const compiled = new Compiled<T>(entries)
  const memo = new Map<string, Candidate<T> | typeof MISS>()
  // The memo's names in insertion order, as a ring: evicting the oldest
  // without `memo.keys().next()`, which costs more than the lookup it saves.
  const ring: string[] = []
  let oldest = 0
  return {
    match(name, remember = true) {
      if (typeof name !== 'string') return undefined
      const exact = compiled.exact.get(name)
      if (exact && exact.rank < compiled.bestPatternRank) return exact.value
      const known = bound > 0 ? memo.get(name) : undefined
      if (known !== undefined) return known === MISS ? undefined : known.value
      const best = compiled.resolve(name, exact)
      if (remember && bound > 0 && name.length <= MAX_MEMO_NAME) {
        if (ring.length < bound) ring.push(name)
        else {
          memo.delete(ring[oldest] as string)
          ring[oldest] = name
          oldest = oldest + 1 === bound ? 0 : oldest + 1
        }
        memo.set(name, best ?? MISS)
      }
      return best?.value
    },
    get memoSize() {
      return memo.size
    },
  }
}
