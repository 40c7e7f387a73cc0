// A tool definition's fingerprint: canonical JSON (keys sorted) through SHA-256
// (Web Crypto, so the package root stays free of `node:` imports).

import { canonicalJson } from './canonical-json.js'

/**
 * The fields of a tool's definition that are always fingerprinted (as
 * absent, when the tool has none), in the order they are reported. Every
 * other field but `_meta` is fingerprinted too, after these, in name order.
 */
export const PIN_FIELDS = [
  'name',
  'title',
  'description',
  'inputSchema',
  'outputSchema',
  'annotations',
  'execution',
] as const

/** One pinned part of a tool's definition: a top-level field (one of {@link PIN_FIELDS}, or any other but `_meta`). */
export type PinField = (typeof PIN_FIELDS)[number] | (string & {})

/**
 * Left out of the fingerprint: MCP reserves `_meta` for protocol and vendor
 * extensions, which may carry per-response values (a trace id, a timestamp).
 */
const VOLATILE: ReadonlySet<string> = new Set(['_meta'])

/** The hash of an absent field (`sha256` of `null`): what a field missing from an older pin's record stands for. */
const ABSENT = 'sha256:74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b'

/** A tool's fingerprint: the whole definition's hash, and each pinned field's. */
export interface ToolHash {
  /** `sha256:` and the hex SHA-256 of the canonical JSON of the definition without `_meta`. */
  readonly hash: string
  /** Each field's own hash (each of {@link PIN_FIELDS}, and each other field the tool has), to tell which changed. */
  readonly fields: Readonly<Record<string, string>>
}

/**
 * How deep a pinned definition may nest (objects and arrays). Deeper than
 * any schema a model reads, well short of the stack: a hostile upstream's
 * schema nested past it gets no hash, and the ledger refuses the list.
 */
const MAX_PIN_DEPTH = 256

/**
 * JSON with every object's keys in code-unit order (the cache's
 * canonical-json.ts, with no length limit), so that one value has one text
 * whatever order its producer wrote the keys in. As `JSON.stringify` does,
 * `undefined` (and functions) in objects are left out and become `null` in
 * arrays, as do non-finite numbers. A cycle, a `bigint`, a throwing `toJSON`
 * or nesting deeper than 256 is a TypeError.
 *
 * @example
 * ```ts
 * pinJson({ b: 1, a: [true, { d: null, c: 'x' }] }) // '{"a":[true,{"c":"x","d":null}],"b":1}'
 * ```
 */
export function pinJson(value: unknown): string {
  const text = canonicalJson(value, Number.POSITIVE_INFINITY, MAX_PIN_DEPTH)
  if (text === undefined) {
    throw new TypeError(
      `canonical JSON of a value with a cycle, a bigint or nesting deeper than ${MAX_PIN_DEPTH}`,
    )
  }
  return text
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
 * The fingerprint of `tool` as its upstream lists it: the whole definition
 * but `_meta` (the README, `pinTools()`). Everything a client shows or a model
 * reads is pinned (name, title, description, schemas, annotations,
 * execution, icons), and so is a field MCP adds later: an unknown field
 * fails closed. A tool that has none but the name, description, schemas
 * and annotations hashes as it did when only those were pinned.
 */
export async function hashTool(tool: Readonly<Record<string, unknown>>): Promise<ToolHash> {
  // fromEntries defines own properties: a field named `__proto__` stays a field.
  const pinned: Record<string, unknown> = Object.fromEntries(
    Object.entries(tool).filter(([field]) => !VOLATILE.has(field)),
  )
  const names = fieldsOf(Object.keys(pinned))
  const [hash, ...each] = await Promise.all([
    sha256(pinJson(pinned)),
    ...names.map((field) => sha256(pinJson(pinned[field]))),
  ])
  const fields: Record<string, string> = Object.fromEntries(
    names.map((field, i) => [field, each[i]!]),
  )
  return { hash: hash!, fields }
}

/** {@link PIN_FIELDS}, then the other fields in `present`, in name order. */
function fieldsOf(present: Iterable<string>): string[] {
  const known = new Set<string>(PIN_FIELDS)
  const others = [...new Set(present)].filter((field) => !known.has(field)).sort()
  return [...PIN_FIELDS, ...others]
}

/** The fields whose hashes differ between two fingerprints (a field one of them lacks counts as absent). */
export function changedFields(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): PinField[] {
  const hashOf = (fields: Readonly<Record<string, string>>, field: string) =>
    Object.hasOwn(fields, field) ? fields[field] : ABSENT
  return fieldsOf([...Object.keys(before), ...Object.keys(after)]).filter(
    (field) => hashOf(before, field) !== hashOf(after, field),
  )
}
