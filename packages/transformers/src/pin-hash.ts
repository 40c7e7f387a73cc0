// A tool definition's fingerprint: canonical JSON (keys sorted) through SHA-256
// (Web Crypto, so the package root stays free of `node:` imports).

import { canonicalJson } from './canonical-json.js'

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
 * The fingerprint of `tool` as its upstream lists it: the name, description,
 * input and output schema and annotations (what a model reads and what
 * decides what a call does), nothing else (`_meta`, icons).
 */
export async function hashTool(tool: Readonly<Record<string, unknown>>): Promise<ToolHash> {
  const pinned: Record<string, unknown> = {}
  for (const field of PIN_FIELDS) pinned[field] = tool[field]
  const [hash, ...each] = await Promise.all([
    sha256(pinJson(pinned)),
    ...PIN_FIELDS.map((field) => sha256(pinJson(tool[field]))),
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
