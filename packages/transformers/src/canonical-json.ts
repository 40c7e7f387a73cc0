// A deterministic JSON text of a value: the cache's key for a message's
// params, so that `{ a: 1, b: 2 }` and `{ b: 2, a: 1 }` are one entry, and
// what tool pinning hashes (pin-hash.ts). It runs on cacheable messages the
// key memo does not know (cache-key-memo.ts): strings that need no escaping
// (nearly all) are quoted without a JSON.stringify call, and small key lists
// are sorted in place by insertion. The depth limit makes a hostile value
// (a schema nested 100,000 deep) an answer, `undefined`, not a stack overflow.

/**
 * `value` as JSON with every object's keys sorted (by UTF-16 code units, as
 * `Array.prototype.sort` does), so that equal values give equal texts
 * whatever their key order. What JSON drops it drops (`undefined`, function
 * and symbol members), what JSON turns to `null` it turns to `null`
 * (non-finite numbers, `undefined` in arrays); `toJSON` is called as JSON
 * calls it. Undefined when the text would pass `maxLength` characters or
 * nest deeper than `maxDepth` objects and arrays, or the value holds what
 * JSON cannot say (a `bigint`, a cycle, a throwing `toJSON`): the cache does
 * not cache such a message, pinning refuses such a tool.
 *
 * @example
 * ```ts
 * canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x' }) // '{"a":"x","b":[1,{"c":2,"d":1}]}'
 * ```
 */
export function canonicalJson(
  value: unknown,
  maxLength = 65_536,
  maxDepth = 64,
): string | undefined {
  let text: string | undefined
  try {
    text = encode(value, 0, maxLength, maxDepth)
  } catch {
    return undefined // a throwing toJSON
  }
  return text !== undefined && text.length <= maxLength ? text : undefined
}

/** What JSON writes for `value` in an object: `toJSON`'s answer if it has one. */
function jsonOf(value: unknown): unknown {
  return typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
    ? (value as { toJSON: () => unknown }).toJSON()
    : value
}

/** Whether JSON leaves `value` out of an object (and writes `null` for it in an array). */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol'
}

function encode(value: unknown, depth: number, budget: number, max: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value)
    case 'number':
      return Number.isFinite(value) ? (value === 0 ? '0' : `${value}`) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      if (value === null) return 'null'
      if (depth >= max) return undefined
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        const json = (value as { toJSON: () => unknown }).toJSON()
        return omitted(json) ? 'null' : encode(json, depth, budget, max)
      }
      return Array.isArray(value)
        ? encodeArray(value, depth, budget, max)
        : encodeObject(value as Record<string, unknown>, depth, budget, max)
    case 'bigint':
      return undefined
    default:
      return 'null' // undefined, a function or a symbol inside an array, as JSON.stringify
  }
}

function encodeArray(
  value: readonly unknown[],
  depth: number,
  budget: number,
  max: number,
): string | undefined {
  let text = '['
  for (let i = 0; i < value.length; i++) {
    const member = encode(value[i], depth + 1, budget, max)
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
  max: number,
): string | undefined {
  const keys = sortKeys(Object.keys(value))
  let text = '{'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    // JSON asks toJSON first, then leaves out what it answered if JSON has no text for it.
    const member = jsonOf(value[key])
    if (omitted(member)) continue
    const encoded = encode(member, depth + 1, budget, max)
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
