// The key of a hit without its text (issue 13: a hit ≤ 500 ns). Making a
// message's key means canonical JSON of its params, then hashing a
// ~110-character string: most of what a hit cost. The memo finds the key
// made for an earlier message with the same method, upstream, vary part and
// params instead, in a trie walked along the params: each step is one
// comparison with a node's first child (most nodes of a shape have only
// one) or one `Map` lookup, with the hash the engine keeps on the string.
// The path spells the value exactly (names and values sit at different
// depths of the grammar; a nested object or array is a symbol of its size,
// then its members; the params object needs no size, as the walk ends after
// it), so a path found is a key equal to the one the text would make.
// Params that are not plain JSON, or too big to walk cheaply, are not
// memoised: their key is made from text every time.

import type { Keyed } from './cache-key.js'

/** A key the memo made, with the `cache-control` header last sent for it (reused while its max-age holds). */
export interface MemoKeyed extends Keyed {
  headerUntil: number
  headerSeconds: number
  headers: Readonly<Record<string, string>> | undefined
}

/**
 * A trie node: its first child inline (most nodes of a shape have one: the
 * member name after a value, the size after a name), a `Map` only once a
 * second child comes; the key when a walk ends here.
 */
interface Node {
  token: unknown
  child: Node | undefined
  more: Map<unknown, Node> | undefined
  keyed: MemoKeyed | undefined
}
/** The token of a node with no child yet: equal to no token a walk meets. */
const NONE = Symbol('none')
const newNode = (): Node => ({ token: NONE, child: undefined, more: undefined, keyed: undefined })

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

/** The walk's budget and mode: module state, set by each `find` and `add` (a walk never yields). */
let steps = 0
let chars = 0
let creating: CacheKeyMemo | undefined

/** Keys by method, upstream, vary part and params. */
export class CacheKeyMemo {
  #root: Node = newNode()
  /** Nodes and string characters held: what `add` bounds (counted by `step`). */
  nodes = 0
  heldChars = 0

  /** The key remembered for these params, if any. */
  find(method: string, upstream: string, vary: string, params: unknown): MemoKeyed | undefined {
    steps = 0
    chars = 0
    creating = undefined
    try {
      const prefix = step(step(step(this.#root, method), upstream), vary)
      return valueStep(prefix, params ?? null, 0, true)?.keyed
    } catch {
      return undefined // a throwing getter (in-process params): the text path decides
    }
  }

  /** Remember `keyed` for these params; what to use from now on (the memo's copy, or `keyed` when not memoised). */
  add(method: string, upstream: string, vary: string, params: unknown, keyed: Keyed): Keyed {
    if (this.nodes >= MAX_NODES || this.heldChars >= MAX_HELD_CHARS) this.clear()
    steps = 0
    chars = 0
    creating = this
    let node: Node | undefined
    try {
      const prefix = step(step(step(this.#root, method), upstream), vary)
      node = valueStep(prefix, params ?? null, 0, true)
    } catch {
      node = undefined
    } finally {
      creating = undefined
    }
    if (node === undefined) return keyed
    if (node.keyed !== undefined) return node.keyed
    node.keyed = { ...keyed, headerUntil: 0, headerSeconds: -1, headers: undefined }
    // The key holds the vary text again (up to 64 KiB of a claim): it counts as held.
    this.heldChars += keyed.key.length
    return node.keyed
  }

  clear(): void {
    this.#root = newNode()
    this.nodes = 0
    this.heldChars = 0
  }
}

/** The child of `node` for `token`, made when adding. */
function step(at: Node | undefined, token: unknown): Node | undefined {
  if (at === undefined) return undefined
  // `===` is SameValueZero here: NaN never comes (valueStep), and -0 is 0 as in the text.
  const child = at.token === token ? at.child : at.more?.get(token)
  if (child !== undefined || creating === undefined) return child
  const made = newNode()
  if (at.child === undefined) {
    at.token = token
    at.child = made
  } else {
    at.more ??= new Map()
    at.more.set(token, made)
  }
  creating.nodes++
  if (typeof token === 'string') creating.heldChars += token.length
  return made
}

/** The node after `value`, or undefined (not there, or not memoised). */
function valueStep(
  node: Node | undefined,
  value: unknown,
  depth: number,
  top: boolean,
): Node | undefined {
  if (node === undefined || ++steps > MAX_STEPS) return undefined
  switch (typeof value) {
    case 'string':
      chars += value.length
      return chars > MAX_CHARS ? undefined : step(node, value)
    case 'number':
      // Map keys compare by SameValueZero: -0 is 0, as in the text; NaN and ±Infinity are not memoised.
      return Number.isFinite(value) ? step(node, value) : undefined
    case 'boolean':
      return step(node, value)
    case 'object':
      if (value === null) return step(node, null)
      // What `toJSON` answers is the text's value, not this one (canonical-json.ts calls it).
      if (depth >= MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function')
        return undefined
      return Array.isArray(value)
        ? arrayStep(node, value, depth)
        : objectStep(node, value as Record<string, unknown>, depth, top)
    default:
      return undefined // undefined, functions, symbols, bigints: the text path decides
  }
}

function arrayStep(node: Node, value: readonly unknown[], depth: number): Node | undefined {
  if (value.length > MAX_STEPS || Object.getPrototypeOf(value) !== Array.prototype) return undefined
  let at = step(node, ARRAY[value.length])
  for (let i = 0; i < value.length && at !== undefined; i++) {
    at = valueStep(at, value[i], depth + 1, false)
  }
  return at
}

function objectStep(
  node: Node,
  value: Record<string, unknown>,
  depth: number,
  top: boolean,
): Node | undefined {
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return undefined
  const keys = Object.keys(value)
  if (keys.length > MAX_STEPS) return undefined
  // The params themselves need no size: the walk ends after them, so a member more or less ends elsewhere.
  let at = top ? node : step(node, OBJECT[keys.length])
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    // The key is made without `_meta` (cache-key.ts: a progress token differs per request).
    if (top && key === '_meta') continue
    if (at === undefined) return undefined
    chars += key.length
    if (chars > MAX_CHARS) return undefined
    at = valueStep(step(at, key), value[key], depth + 1, false)
  }
  return at
}
