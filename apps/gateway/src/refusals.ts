import type { OptionError } from '@mcpx/core'
import { at, isObject, nearest, type Problems, shown } from './check.js'

// A package's own option checks as config problems: its factory runs on the section as
// written, and each `OptionError` it throws (core's: `option`, `rule`, `known`) becomes a
// problem under the section's path. Used for every section a package checks itself
// (`@mcpx/breaker`'s, `@mcpx/transformers`').

export type Options = Record<string, unknown>

/** A path inside the options: object keys and array indexes. */
export type Keys = readonly (string | number)[]

/** How to read one package's refusals. */
export interface RefusalReader {
  /** The package's message prefix, `[@mcpx/breaker] `: taken off a message that carries no rule. */
  readonly prefix: string
  /** Keys that decide which others their object may have: refused, their whole object goes. */
  readonly carried?: readonly string[]
  /**
   * An `OptionError`'s dotted `option` as keys. By default split at each
   * `.`, and `[n]` as an index; a package whose options hold names with
   * dots (tool names) reads its own.
   */
  readonly keysOf?: (option: string) => Keys
}

/**
 * `section` through the package's own factory `build`. It stops at its
 * first refusal, and the file should hear of every one: each refused value
 * becomes a problem under its path and is taken out, and the rest is built
 * again, until it is accepted (the other values still beside each one, so
 * that rules between keys, `maxDelay ≥ baseDelay`, are the package's too).
 * A refused item of a list takes its whole list out.
 */
export function checkWith(
  section: Options,
  path: string,
  problems: Problems,
  build: (options: Options) => void,
  reader: RefusalReader,
): boolean {
  const options = structuredClone(section)
  const nulls = takeNulls(options, path, problems, reader.carried ?? [])
  // Each round takes one key out: no more rounds than keys.
  for (let round = 0; round <= keyCount(section); round++) {
    const refusal = refusalOf(() => build(options))
    if (refusal === undefined) return round === 0 && !nulls
    const { where, message, keys } = problemOf(refusal, section, path, reader)
    problems.add(where, message)
    if (keys === undefined || !removed(options, keys, reader.carried ?? [])) return false
  }
  return false
}

/**
 * Report and take out every `null` in `options`. A package reads
 * `value ?? default`, so a null would pass as the default; in YAML an empty
 * value (`baseDelay:`) is null and far more likely a slip than a wish.
 */
function takeNulls(options: Options, path: string, problems: Problems, carried: readonly string[]) {
  const found: Keys[] = []
  const walk = (value: unknown, keys: (string | number)[]): void => {
    if (!isObject(value) && !Array.isArray(value)) return
    for (const [key, inner] of Object.entries(value)) {
      const here = [...keys, Array.isArray(value) ? Number(key) : key]
      if (inner === null) found.push(here)
      else walk(inner, here)
    }
  }
  walk(options, [])
  for (const keys of found) {
    problems.add(
      keys.reduce<string>(at, path),
      'must not be null (leave the key out for its default)',
    )
    removed(options, keys, carried)
  }
  return found.length > 0
}

/** The package's refusal (an `OptionError`, or another `TypeError`); undefined when `build` ran. */
export function refusalOf(build: () => void): TypeError | undefined {
  try {
    build()
    return undefined
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    return error
  }
}

/** What a refusal says the value must be (the whole message, unprefixed, for a `TypeError` of no rule). */
export const ruleOf = (refusal: TypeError, prefix: string): string =>
  (refusal as Partial<OptionError>).rule ?? refusal.message.replace(prefix, '')

/** A package refusal as a problem: option `strategy.failures` → `breaker.strategy.failures`, and the keys refused. */
function problemOf(refusal: TypeError, section: Options, path: string, reader: RefusalReader) {
  const { option, known } = refusal as Partial<OptionError>
  const rule = ruleOf(refusal, reader.prefix)
  if (typeof option !== 'string') return { where: path, message: rule, keys: undefined }
  const keys = (reader.keysOf ?? keysOf)(option)
  const where = keys.reduce<string>(at, path)
  if (known !== undefined) {
    const near = nearest(String(keys.at(-1)), known)
    return { where, message: `unknown key${near ? ` (did you mean ${near}?)` : ''}`, keys }
  }
  const value = keys.reduce<unknown>(
    (v, k) => (isObject(v) || Array.isArray(v) ? (v as Options)[k] : undefined),
    section,
  )
  const got = value === undefined ? '' : `, got ${shown(value)}`
  return { where, message: `must be ${rule}${got}`, keys }
}

/** `a.b[2].c` → `['a', 'b', 2, 'c']`. */
export function keysOf(option: string): Keys {
  return option.split('.').flatMap((part) => {
    const match = /^(.*?)((?:\[\d+\])+)$/.exec(part)
    if (match === null) return [part]
    const indexes = match[2]!.slice(1, -1).split('][').map(Number)
    return match[1] === '' ? indexes : [match[1]!, ...indexes]
  })
}

/**
 * Take `keys` out of `options`: a carried key takes its whole object (a
 * strategy without its kind is another strategy), an item its whole list.
 */
function removed(options: Options, keys: Keys, carried: readonly string[]): boolean {
  let last = keys.length
  const item = keys.findIndex((key) => typeof key === 'number')
  if (item > 0) last = item
  else if (carried.includes(String(keys.at(-1))) && keys.length > 1) last = keys.length - 1
  let parent: unknown = options
  for (const key of keys.slice(0, last - 1)) {
    parent = isObject(parent) ? parent[key as string] : undefined
  }
  const key = keys[last - 1]
  if (!isObject(parent) || typeof key !== 'string' || !(key in parent)) return false
  delete parent[key]
  return true
}

const keyCount = (value: unknown): number =>
  isObject(value) || Array.isArray(value)
    ? Object.values(value).reduce<number>((n, v) => n + 1 + keyCount(v), 0)
    : 0
