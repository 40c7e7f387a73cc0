import { Alternation, type Candidate, NONE } from './alternation.js'

/** A node of a radix tree of literals: its own literal and longer ones below. */
interface Node<T> {
  readonly literal: string
  group: Alternation<T> | undefined
  /** Children by the character after this literal (before it, for tails). */
  readonly children: Map<number, Node<T>>
  /** Best rank in this subtree: below it, nothing can beat a better candidate. */
  bestRank: number
}

const node = <T>(literal: string): Node<T> => ({
  literal,
  group: undefined,
  children: new Map(),
  bestRank: NONE,
})

/**
 * Alternations keyed by the literal a name must start with (or, for `tail`,
 * end with), in a radix tree: a name walks down one node per literal that
 * could apply, comparing each of its characters once, and only the
 * alternations of literals it has are tested.
 */
export class RadixIndex<T> {
  readonly #root = node<T>('')

  constructor(readonly tail: boolean) {}

  /** The character `depth` places into `text`, from its start or its end. */
  #at(text: string, depth: number): number {
    return text.charCodeAt(this.tail ? text.length - 1 - depth : depth)
  }

  add(literal: string, candidate: Candidate<T>): void {
    let at = this.#root
    while (at.literal.length < literal.length) {
      const key = this.#at(literal, at.literal.length)
      const child = at.children.get(key)
      if (!child) {
        const leaf = node<T>(literal)
        at.children.set(key, leaf)
        at = leaf
        break
      }
      let common = at.literal.length + 1
      while (
        common < Math.min(child.literal.length, literal.length) &&
        this.#at(child.literal, common) === this.#at(literal, common)
      )
        common++
      if (common < child.literal.length) {
        // Split the edge: a node for the shared part, the old child below it.
        const cut = this.tail ? literal.slice(literal.length - common) : literal.slice(0, common)
        const inner = node<T>(cut)
        inner.children.set(this.#at(child.literal, common), child)
        at.children.set(key, inner)
        at = inner
      } else at = child
    }
    at.group ??= new Alternation<T>()
    at.group.candidates.push(candidate)
  }

  seal(at: Node<T> = this.#root): number {
    at.group?.seal(this.tail ? 'tail' : 'head')
    at.bestRank = at.group?.bestRank ?? NONE
    for (const child of at.children.values()) at.bestRank = Math.min(at.bestRank, this.seal(child))
    return at.bestRank
  }

  /** The best candidate that beats `best`, keyed by the name's head or tail. */
  best(name: string, best: Candidate<T> | undefined): Candidate<T> | undefined {
    let at: Node<T> | undefined = this.#root
    while (at && !(best && best.rank < at.bestRank)) {
      const hit =
        at.group && !(best && best.rank < at.group.bestRank) ? at.group.first(name) : undefined
      if (hit && !(best && best.rank < hit.rank)) best = hit
      const n: number = at.literal.length
      const next: Node<T> | undefined =
        n < name.length ? at.children.get(this.#at(name, n)) : undefined
      if (!next || !this.#edgeMatches(name, n + 1, next.literal)) break
      at = next
    }
    return best
  }

  /** Whether `name` has `literal`'s characters from `from` on (its head or tail). */
  #edgeMatches(name: string, from: number, literal: string): boolean {
    const n = literal.length
    if (n > name.length) return false
    if (!this.tail) {
      for (let i = from; i < n; i++) if (name.charCodeAt(i) !== literal.charCodeAt(i)) return false
      return true
    }
    const offset = name.length - n
    for (let i = n - 1 - from; i >= 0; i--)
      if (name.charCodeAt(offset + i) !== literal.charCodeAt(i)) return false
    return true
  }
}
