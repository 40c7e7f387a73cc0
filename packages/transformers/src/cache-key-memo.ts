// The key of a hit without its text (issue 13: a hit ≤ 500 ns). Making a
// message's key means canonical JSON of its params, then hashing a
// ~110-character string: most of what a hit cost. The memo finds the key
// made for an earlier message with the same method, upstream, vary part and
// params instead, in a trie walked along the params: each step is one `Map`
// lookup of a member's name or a value, with the hash the engine keeps on the
// string. The path spells the value exactly (names and values sit at
// different depths of the grammar; an object or array is a symbol of its
// size, then its members), so a path found is a key equal to the one the
// text would make. Params that are not
// plain JSON, or too big to walk cheaply, are not memoised: their key is made
// from text every time.

import type { Keyed } from './cache-key.js'

/** A key the memo made, with the `cache-control` header last sent for it (reused while its max-age holds). */
export interface MemoKeyed extends Keyed {
  headerUntil: number
  headerSeconds: number
  headers: Readonly<Record<string, string>> | undefined
}

type Node = Map<unknown, unknown>

/** Most trie nodes and string characters held; past either the memo starts over (an accelerator, not a store). */
const MAX_NODES = 16_384
const MAX_HELD_CHARS = 1_048_576
/** Params memoised only up to this many steps, string characters and depth. */
const MAX_STEPS = 128
const MAX_CHARS = 1024
const MAX_DEPTH = 8

/** An object or array opens with its size (never past the steps a walk may take), so nothing marks its end. */
const OBJECT = Array.from({ length: MAX_STEPS + 1 }, (_, n) => Symbol(`{${n}`))
const ARRAY = Array.from({ length: MAX_STEPS + 1 }, (_, n) => Symbol(`[${n}`))
const END = Symbol('key')

/** Keys by method, upstream, vary part and params. */
export class CacheKeyMemo {
  #root: Node = new Map()
  #nodes = 0
  #chars = 0
  /** The walk's budget: module-free state, reset by each `find` and `add`. */
  #steps = 0
  #walkChars = 0
  #create = false

  /** The key remembered for these params, if any. */
  find(method: string, upstream: string, vary: string, params: unknown): MemoKeyed | undefined {
    const prefix = (
      (this.#root.get(method) as Node | undefined)?.get(upstream) as Node | undefined
    )?.get(vary) as Node | undefined
    if (prefix === undefined) return undefined
    this.#steps = 0
    this.#walkChars = 0
    this.#create = false
    const node = this.#value(prefix, params ?? null, 0, true)
    return node?.get(END) as MemoKeyed | undefined
  }

  /** Remember `keyed` for these params; what to use from now on (the memo's copy, or `keyed` when not memoised). */
  add(method: string, upstream: string, vary: string, params: unknown, keyed: Keyed): Keyed {
    if (this.#nodes >= MAX_NODES || this.#chars >= MAX_HELD_CHARS) this.clear()
    this.#steps = 0
    this.#walkChars = 0
    this.#create = true
    const prefix = this.#step(this.#step(this.#step(this.#root, method), upstream), vary)
    const node = this.#value(prefix, params ?? null, 0, true)
    this.#create = false
    if (node === undefined) return keyed
    const known = node.get(END) as MemoKeyed | undefined
    if (known !== undefined) return known
    const memo: MemoKeyed = { ...keyed, headerUntil: 0, headerSeconds: -1, headers: undefined }
    node.set(END, memo)
    return memo
  }

  clear(): void {
    this.#root = new Map()
    this.#nodes = 0
    this.#chars = 0
  }

  /** The child of `node` for `token`, made when adding. */
  #step(node: Node | undefined, token: unknown): Node | undefined {
    if (node === undefined) return undefined
    const child = node.get(token) as Node | undefined
    if (child !== undefined || !this.#create) return child
    const made: Node = new Map()
    node.set(token, made)
    this.#nodes++
    if (typeof token === 'string') this.#chars += token.length
    return made
  }

  /** The node after `value`, or undefined (not there, or not memoised). */
  #value(node: Node | undefined, value: unknown, depth: number, top: boolean): Node | undefined {
    if (node === undefined || ++this.#steps > MAX_STEPS) return undefined
    switch (typeof value) {
      case 'string':
        this.#walkChars += value.length
        return this.#walkChars > MAX_CHARS ? undefined : this.#step(node, value)
      case 'number':
        // Map keys compare by SameValueZero: -0 is 0, as in the text; NaN and ±Infinity are not memoised.
        return Number.isFinite(value) ? this.#step(node, value) : undefined
      case 'boolean':
        return this.#step(node, value)
      case 'object':
        if (value === null) return this.#step(node, null)
        if (depth >= MAX_DEPTH) return undefined
        return Array.isArray(value)
          ? this.#array(node, value, depth)
          : this.#object(node, value as Record<string, unknown>, depth, top)
      default:
        return undefined // undefined, functions, symbols, bigints: the text path decides
    }
  }

  #array(node: Node, value: readonly unknown[], depth: number): Node | undefined {
    if (value.length > MAX_STEPS || Object.getPrototypeOf(value) !== Array.prototype)
      return undefined
    let at = this.#step(node, ARRAY[value.length])
    for (let i = 0; i < value.length && at !== undefined; i++) {
      at = this.#value(at, value[i], depth + 1, false)
    }
    return at
  }

  #object(
    node: Node,
    value: Record<string, unknown>,
    depth: number,
    top: boolean,
  ): Node | undefined {
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return undefined
    const keys = Object.keys(value)
    const size = top && Object.hasOwn(value, '_meta') ? keys.length - 1 : keys.length
    if (size > MAX_STEPS) return undefined
    let at = this.#step(node, OBJECT[size])
    for (const key of keys) {
      // The key is made without `_meta` (cache-key.ts: a progress token differs per request).
      if (top && key === '_meta') continue
      if (at === undefined) return undefined
      this.#walkChars += key.length
      if (this.#walkChars > MAX_CHARS) return undefined
      at = this.#value(this.#step(at, key), value[key], depth + 1, false)
    }
    return at
  }
}
