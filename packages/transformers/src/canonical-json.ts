// A deterministic JSON text of a value: the cache's key for a message's
// params, so that `{ a: 1, b: 2 }` and `{ b: 2, a: 1 }` are one entry. It runs
// on every cacheable message, hits included: strings that need no escaping
// (nearly all) are quoted without a JSON.stringify call, and small key lists
// are sorted in place by insertion.

/** Deepest nesting a key is made of; anything deeper is not cached (no stack to overflow). */
const MAX_DEPTH = 64

/**
 * `value` as JSON with every object's keys sorted (by UTF-16 code units, as
 * `Array.prototype.sort` does), so that equal values give equal texts
 * whatever their key order. What JSON drops it drops (`undefined`, function
 * and symbol members), what JSON turns to `null` it turns to `null`
 * (non-finite numbers, `undefined` in arrays). Undefined when the text would
 * pass `maxLength` characters or nest deeper than 64 levels, or the value
 * holds what JSON cannot say (a `bigint`, a cycle): such a message is not cached.
 *
 * @example
 * ```ts
 * canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x' }) // '{"a":"x","b":[1,{"c":2,"d":1}]}'
 * ```
 */
export function canonicalJson(value: unknown, maxLength = 65_536): string | undefined {
  let text: string | undefined
  try {
    text = encode(value, 0, maxLength)
  } catch {
    return undefined // a throwing toJSON
  }
  return text !== undefined && text.length <= maxLength ? text : undefined
}

function encode(value: unknown, depth: number, budget: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value)
    case 'number':
      return Number.isFinite(value) ? (value === 0 ? '0' : `${value}`) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      if (value === null) return 'null'
      if (depth >= MAX_DEPTH) return undefined
      return Array.isArray(value)
        ? encodeArray(value, depth, budget)
        : encodeObject(value as Record<string, unknown>, depth, budget)
    case 'bigint':
      return undefined
    default:
      return 'null' // undefined, a function or a symbol inside an array, as JSON.stringify
  }
}

function encodeArray(value: readonly unknown[], depth: number, budget: number): string | undefined {
  let text = '['
  for (let i = 0; i < value.length; i++) {
    const member = encode(value[i], depth + 1, budget)
    if (member === undefined) return undefined
    text += i === 0 ? member : `,${member}`
    if (text.length > budget) return undefined
  }
  return `${text}]`
}

function encodeObject(
  value: Record<string, unknown>,
  depth: number,
  budget: number,
): string | undefined {
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return encode((value as { toJSON: () => unknown }).toJSON(), depth, budget)
  }
  const keys = sortKeys(Object.keys(value))
  let text = '{'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    const member = value[key]
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue
    const encoded = encode(member, depth + 1, budget)
    if (encoded === undefined) return undefined
    text += text.length === 1 ? `${quote(key)}:${encoded}` : `,${quote(key)}:${encoded}`
    if (text.length > budget) return undefined
  }
  return `${text}}`
}

/** Sorted in place: insertion for the few keys params have, the built-in sort past that. */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 16) return keys.sort()
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string
    let j = i - 1
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string
      j--
    }
    keys[j + 1] = key
  }
  return keys
}

/** JSON's quoting: the string as it is when nothing in it needs escaping (quotes, backslashes, controls, surrogates). */
function quote(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      return JSON.stringify(text)
    }
  }
  return `"${text}"`
}
