// A tool definition's fingerprint: canonical JSON (keys sorted) through SHA-256
// (Web Crypto, so the package root stays free of `node:` imports).

/** The parts of a tool's definition that are pinned, in the order they are hashed. */
export const PIN_FIELDS = [
  'name',
  'description',
  'inputSchema',
  'outputSchema',
  'annotations',
] as const

/** One pinned part of a tool's definition. */
export type PinField = (typeof PIN_FIELDS)[number]

/** A tool's fingerprint: the whole definition's hash, and each pinned field's. */
export interface ToolHash {
  /** `sha256:` and the hex SHA-256 of the canonical JSON of the pinned fields. */
  readonly hash: string
  /** Each field's own hash, to tell which changed. */
  readonly fields: Readonly<Record<PinField, string>>
}

/**
 * JSON with every object's keys in code-unit order, so that one value has
 * one text whatever order its producer wrote the keys in. As
 * `JSON.stringify` does, `undefined` (and functions) in objects are left
 * out and become `null` in arrays, as do non-finite numbers; a cycle is a
 * TypeError.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, { d: null, c: 'x' }] }) // '{"a":[true,{"c":"x","d":null}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set()) ?? 'null'
}

function write(value: unknown, seen: Set<object>): string | undefined {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      throw new TypeError('canonical JSON has no bigint')
    case 'object':
      break
    default:
      return undefined // undefined, functions, symbols
  }
  const object = value as Record<string, unknown> & { toJSON?: () => unknown }
  if (typeof object.toJSON === 'function') return write(object.toJSON(), seen)
  if (seen.has(object)) throw new TypeError('canonical JSON of a cyclic value')
  seen.add(object)
  let out: string
  if (Array.isArray(object)) {
    out = `[${object.map((item) => write(item, seen) ?? 'null').join(',')}]`
  } else {
    const parts: string[] = []
    for (const key of Object.keys(object).sort()) {
      const text = write(object[key], seen)
      if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`)
    }
    out = `{${parts.join(',')}}`
  }
  seen.delete(object)
  return out
}

const encoder = new TextEncoder()

/** `sha256:` and the hex SHA-256 of `text` (UTF-8), through `globalThis.crypto.subtle`. */
export async function sha256(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', encoder.encode(text))
  let hex = 'sha256:'
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0')
  return hex
}

/**
 * The fingerprint of `tool` as its upstream lists it: the name, description,
 * input and output schema and annotations (what a model reads and what
 * decides what a call does), nothing else (`_meta`, icons).
 */
export async function hashTool(tool: Readonly<Record<string, unknown>>): Promise<ToolHash> {
  const pinned: Record<string, unknown> = {}
  for (const field of PIN_FIELDS) pinned[field] = tool[field]
  const [hash, ...each] = await Promise.all([
    sha256(canonicalJson(pinned)),
    ...PIN_FIELDS.map((field) => sha256(canonicalJson(tool[field]))),
  ])
  const fields = {} as Record<PinField, string>
  PIN_FIELDS.forEach((field, i) => {
    fields[field] = each[i]!
  })
  return { hash: hash!, fields }
}

/** The fields whose hashes differ between two fingerprints. */
export function changedFields(
  before: Readonly<Record<PinField, string>>,
  after: Readonly<Record<PinField, string>>,
): PinField[] {
  return PIN_FIELDS.filter((field) => before[field] !== after[field])
}
