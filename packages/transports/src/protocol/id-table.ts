import type { RequestId } from '@mcpx/core'

/*
 * Why not a `Map`: every message adds and removes an entry in these tables,
 * and a `Map` with that churn rehashes every few operations. V8 links each
 * replaced hash table to its successor (so that live iterators can follow);
 * once one replaced table sits in old space, which the first full GC under
 * load arranges, it keeps its successor alive through every young-generation
 * GC, so every later table, and every request its entries point to, is
 * promoted too. In `bench:e2e` at c=32 that was about 1.3 MB promoted per
 * scavenge and a peak RSS of 108 MB (docs/benchmarks.md, "Peak RSS"). The two
 * tables below allocate nothing per request in the common case.
 */

/**
 * The requests in flight under ids this side assigns itself (a peer's
 * pending requests): a power-of-two ring of slots indexed by id. An id
 * whose slot is still taken by an older request is skipped (ids need only
 * be unique, not consecutive), and the ring doubles once half full, so a
 * lookup is an array read and a request a slot write.
 */
export class SlotTable<V extends { readonly id: number }> {
  #slots: (V | undefined)[] = new Array(16).fill(undefined)
  #mask = 15
  #size = 0
  #last = 0

  get size(): number {
    return this.#size
  }

  /** A new id whose slot is free; `set` the entry under it before asking for another. */
  nextId(): number {
    if (this.#size * 2 >= this.#slots.length) this.#grow()
    let id = ++this.#last
    while (this.#slots[id & this.#mask] !== undefined) id = ++this.#last
    return id
  }

  set(value: V): void {
    const slot = value.id & this.#mask
    if (this.#slots[slot] === undefined) this.#size++
    this.#slots[slot] = value
  }

  get(id: number): V | undefined {
    if (!Number.isSafeInteger(id)) return undefined
    const value = this.#slots[id & this.#mask]
    return value !== undefined && value.id === id ? value : undefined
  }

  delete(id: number): boolean {
    if (this.get(id) === undefined) return false
    this.#slots[id & this.#mask] = undefined
    this.#size--
    return true
  }

  /** A snapshot of the entries: deleting while iterating is safe. */
  values(): V[] {
    const values: V[] = []
    if (this.#size === 0) return values
    for (const value of this.#slots) if (value !== undefined) values.push(value)
    return values
  }

  #grow(): void {
    const old = this.#slots
    this.#slots = new Array(old.length * 2).fill(undefined)
    this.#mask = this.#slots.length - 1
    // Distinct under the old mask means distinct under the new one: no two entries collide.
    for (const value of old) if (value !== undefined) this.#slots[value.id & this.#mask] = value
  }
}

/**
 * A table keyed by ids the other side chose (a client's request ids, which
 * may be numbers or strings: `1` and `"1"` are different ids). The first
 * entry lives in two fields, so a session with one request in flight at a
 * time, the common case, touches no `Map`; more go to a `Map`.
 */
export class IdTable<V> {
  #key: RequestId | undefined
  #value: V | undefined
  #more: Map<RequestId, V> | undefined

  get size(): number {
    return (this.#value === undefined ? 0 : 1) + (this.#more?.size ?? 0)
  }

  has(id: RequestId): boolean {
    return this.get(id) !== undefined
  }

  get(id: RequestId): V | undefined {
    if (this.#value !== undefined && this.#key === id) return this.#value
    return this.#more?.get(id)
  }

  /** `value` must not be undefined. */
  set(id: RequestId, value: V): void {
    if (this.#value !== undefined && this.#key === id) this.#value = value
    else if (this.#value === undefined && !this.#more?.has(id)) {
      this.#key = id
      this.#value = value
    } else {
      this.#more ??= new Map()
      this.#more.set(id, value)
    }
  }

  delete(id: RequestId): boolean {
    if (this.#value !== undefined && this.#key === id) {
      this.#key = undefined
      this.#value = undefined
      return true
    }
    return this.#more?.delete(id) ?? false
  }

  clear(): void {
    this.#key = undefined
    this.#value = undefined
    this.#more = undefined
  }

  values(): V[] {
    return [...this].map(([, value]) => value)
  }

  /** A snapshot of the entries: deleting while iterating is safe. */
  *[Symbol.iterator](): IterableIterator<[RequestId, V]> {
    const entries: [RequestId, V][] = []
    if (this.#value !== undefined) entries.push([this.#key!, this.#value])
    if (this.#more) for (const entry of this.#more) entries.push(entry)
    yield* entries
  }
}
