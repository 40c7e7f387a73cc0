// The label sets of one user family: a tree of Maps keyed by each label's
// value in turn, so that finding a series hashes the values it is given and
// joins no string. Each label takes at most `maxValues` distinct values
// (later ones are `other`), and every new label set takes one from the
// registry's budget (past it, the all-`other` overflow set).

import type { FoldCount, RegistryInternals } from './internals.js'
import { wellFormed } from './names.js'

export const OTHER = 'other'

type Node<S> = Map<string, Node<S> | S>

export class SeriesTree<S> {
  readonly #inner: RegistryInternals
  readonly #family: string
  readonly #labels: readonly string[]
  readonly #limits: readonly number[]
  readonly #admitted: Set<string>[]
  readonly #make: (values: readonly string[]) => S
  readonly #folds: readonly FoldCount[]
  readonly #seriesFolds: FoldCount
  #root: Node<S> = new Map()
  #overflow: S | undefined
  /** Every series, in the order made (the overflow set included once made). */
  readonly series: S[] = []

  constructor(
    inner: RegistryInternals,
    family: string,
    labels: readonly string[],
    limits: readonly number[],
    make: (values: readonly string[]) => S,
  ) {
    if (labels.length === 0) throw new TypeError('[@mcpx/metrics] a series tree needs a label')
    this.#inner = inner
    this.#family = family
    this.#labels = labels
    this.#limits = limits
    this.#admitted = labels.map(() => new Set<string>())
    this.#make = make
    this.#folds = labels.map((label) => inner.folds(family, label))
    this.#seriesFolds = inner.folds(family, 'series')
  }

  /** The series of `values` (one per label, in order). */
  get(values: readonly string[]): S {
    const n = this.#labels.length
    if (values.length !== n) {
      throw new TypeError(
        `[@mcpx/metrics] ${this.#family} takes ${n} label value(s) (${this.#labels.join(', ')}), got ${values.length}`,
      )
    }
    let node: Node<S> | S | undefined = this.#root
    for (let i = 0; i < n && node !== undefined; i++) {
      node = (node as Node<S>).get(values[i] as string)
    }
    return node === undefined ? this.#add(values) : (node as S)
  }

  #add(raw: readonly string[]): S {
    const values = raw.map((given, i) => {
      if (typeof given !== 'string') {
        throw new TypeError(
          `[@mcpx/metrics] ${this.#family} label ${this.#labels[i]} must be a string`,
        )
      }
      // As UTF-8 writes it: a value that differs only in a lone surrogate is the same series.
      const value = wellFormed(given)
      const admitted = this.#admitted[i] as Set<string>
      if (value === OTHER || admitted.has(value) || admitted.size < (this.#limits[i] as number)) {
        return value
      }
      ;(this.#folds[i] as FoldCount).n++
      return OTHER
    })
    if (values.every((value) => value === OTHER)) return this.#overflowSeries()
    const found = this.#find(values)
    if (found !== undefined) return found
    if (!this.#inner.take()) {
      this.#seriesFolds.n++
      return this.#overflowSeries()
    }
    values.forEach((value, i) => {
      if (value !== OTHER) this.#admitted[i]?.add(value)
    })
    const series = this.#make(values)
    this.#insert(values, series)
    this.series.push(series)
    return series
  }

  #find(values: readonly string[]): S | undefined {
    let node: Node<S> | S | undefined = this.#root
    for (let i = 0; i < values.length && node !== undefined; i++) {
      node = (node as Node<S>).get(values[i] as string)
    }
    return node as S | undefined
  }

  #insert(values: readonly string[], series: S): void {
    let node = this.#root
    for (let i = 0; i < values.length - 1; i++) {
      let child = node.get(values[i] as string) as Node<S> | undefined
      if (child === undefined) {
        child = new Map()
        node.set(values[i] as string, child)
      }
      node = child
    }
    node.set(values[values.length - 1] as string, series)
  }

  /** The all-`other` set: outside the budget (one per family), so there is always somewhere to count. */
  #overflowSeries(): S {
    if (this.#overflow === undefined) {
      this.#overflow = this.#make(this.#labels.map(() => OTHER))
      this.series.push(this.#overflow)
    }
    return this.#overflow
  }
}
