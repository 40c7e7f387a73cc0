import type { Glob } from './glob.js'

/** No candidate: worse than every rank. */
export const NONE = Number.POSITIVE_INFINITY

/** An entry with its place in the total order: lower rank wins. */
export interface Candidate<T> {
  readonly rank: number
  readonly value: T
  readonly glob: Glob
}

/**
 * Wildcard entries that share what they need of a name (a literal head or
 * tail, or nothing), in rank order, tested as one: by the entry's own test
 * when alone, else by one anchored RegExp alternation in rank order, whose
 * first matching alternative is the best candidate.
 */
export class Alternation<T> {
  readonly candidates: Candidate<T>[] = []
  /** The best candidate matching `name`; set by {@link Alternation.seal}. */
  first: (name: string) => Candidate<T> | undefined = () => undefined

  get bestRank(): number {
    return this.candidates[0]?.rank ?? NONE
  }

  /** `known`: the literal head or tail that every name tested here has. */
  seal(known?: 'head' | 'tail'): void {
    const [only, ...more] = this.candidates
    if (!only) return
    if (more.length === 0) {
      this.first = single(only, known)
      return
    }
    const byGroup: Candidate<T>[] = []
    const sources: string[] = []
    let group = 1
    for (const candidate of this.candidates) {
      // Its own groups first, then an empty one that says this alternative matched.
      sources.push(`${candidate.glob.toSource(group)}()`)
      group += candidate.glob.groups
      byGroup[group++] = candidate
    }
    const combined = new RegExp(`^(?:${sources.join('|')})$`)
    this.first = (name) => {
      const m = combined.exec(name)
      // Atomic searches capture at least one character: only markers are ''.
      return m ? byGroup[m.indexOf('', 1)] : undefined
    }
  }
}

/** The test of a group of one, skipping the literal part already compared. */
function single<T>(only: Candidate<T>, known: 'head' | 'tail' | undefined) {
  const { kind, crossesSlash, head, tail } = only.glob
  if (kind === 'prefix' && known === 'head') {
    const n = head.length
    return (name: string) => (crossesSlash || name.indexOf('/', n) === -1 ? only : undefined)
  }
  if (kind === 'suffix' && known === 'tail') {
    const n = tail.length
    return (name: string) =>
      crossesSlash || name.length === n || name.lastIndexOf('/', name.length - n - 1) === -1
        ? only
        : undefined
  }
  return (name: string) => (only.glob.test(name) ? only : undefined)
}
