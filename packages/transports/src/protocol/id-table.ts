import type { RequestId } from '@mcpx/core'

/**
 * A table keyed by JSON-RPC request id, for the per-request entries that
 * every message adds and removes (pending requests, incoming requests, POST
 * streams). It exists for the garbage collector, not for its API: a `Map`
 * with that churn rehashes every few requests, and V8 links each replaced
 * `Map` table to its successor (so that live iterators can follow). Once one
 * replaced table sits in old space, which the first full GC under load
 * arranges, it keeps its successor alive through every young-generation GC,
 * so every later table, and every request object its entries point to, is
 * promoted as well: in `bench:e2e` at c=32 that was about 1.3 MB promoted per
 * scavenge and a peak RSS of 108 MB (issue 7; docs/benchmarks.md, "Peak RSS").
 * Null-prototype dictionaries drop a replaced backing store without linking it.
 * Numbers and strings are kept apart: the ids `1` and `"1"` are different
 * JSON-RPC ids.
 */
export class IdTable<V, K extends RequestId = RequestId> {
  #numbers: Record<number, V> = Object.create(null)
  #strings: Record<string, V> = Object.create(null)
  #size = 0

  get size(): number {
    return this.#size
  }

  has(id: K): boolean {
    return this.get(id) !== undefined
  }

  get(id: K): V | undefined {
    const key: RequestId = id
    return typeof key === 'number' ? this.#numbers[key] : this.#strings[key]
  }

  /** `value` must not be undefined. */
  set(id: K, value: V): void {
    if (this.get(id) === undefined) this.#size++
    const key: RequestId = id
    if (typeof key === 'number') this.#numbers[key] = value
    else this.#strings[key] = value
  }

  delete(id: K): boolean {
    if (this.get(id) === undefined) return false
    this.#size--
    const key: RequestId = id
    if (typeof key === 'number') delete this.#numbers[key]
    else delete this.#strings[key]
    return true
  }

  clear(): void {
    this.#numbers = Object.create(null)
    this.#strings = Object.create(null)
    this.#size = 0
  }

  values(): V[] {
    return [...this].map(([, value]) => value)
  }

  /** A snapshot of the entries: deleting while iterating is safe. */
  *[Symbol.iterator](): IterableIterator<[K, V]> {
    if (this.#size === 0) return
    const entries: [K, V][] = []
    for (const key in this.#numbers) entries.push([Number(key) as K, this.#numbers[Number(key)]!])
    for (const key in this.#strings) entries.push([key as K, this.#strings[key]!])
    yield* entries
  }
}
