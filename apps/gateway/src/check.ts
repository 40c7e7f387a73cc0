// Small readers for validating an untrusted config value: each reports what is
// wrong with one value, under its JSON path, and returns it typed or undefined.
// Missing values (undefined) are never a problem here; the caller says what is
// required.

/** Every problem found in one config, as `path: message` lines. */
export class Problems {
  readonly list: string[] = []

  add(path: string, message: string): undefined {
    this.list.push(`${path || '(top level)'}: ${message}`)
    return undefined
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** One step of a path as {@link at} writes it: `.name`, `[0]` or `["any key"]`. */
const STEP = /^(?:\.?([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/

/**
 * The path a problem line starts with (`upstreams.math.command` of
 * `upstreams.math.command: is required`), as its steps; `[]` for
 * `(top level)`, undefined when the line starts with no path. The inverse of
 * {@link at}, so that a problem can be placed in its file without each
 * checker carrying positions.
 */
export function pathOf(problem: string): (string | number)[] | undefined {
  if (problem.startsWith('(top level): ')) return []
  const steps: (string | number)[] = []
  let rest = problem
  while (rest !== '' && !rest.startsWith(': ')) {
    if (steps.length === 0 && rest.startsWith('.')) return undefined
    const step = STEP.exec(rest)
    if (step === null) return undefined
    const [whole, name, index, quoted] = step
    steps.push(index !== undefined ? Number(index) : (name ?? (JSON.parse(quoted!) as string)))
    rest = rest.slice(whole.length)
  }
  return steps.length > 0 && rest !== '' ? steps : undefined
}

/** The path of `key` inside `path`: `upstreams.math`, `routes[0]`, `upstreams["my server"]`. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`
  if (!IDENTIFIER.test(key)) return `${path}[${JSON.stringify(key)}]`
  return path ? `${path}.${key}` : key
}

/** A value as a message shows it: short, and never more than 40 characters of it. */
export function shown(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * An object whose keys are all in `keys`; each other key is reported, with
 * the nearest allowed one when it looks like a typo.
 */
export function object(
  value: unknown,
  path: string,
  problems: Problems,
  keys: readonly string[],
): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  if (!isObject(value)) return problems.add(path, `must be an object, got ${shown(value)}`)
  for (const key of Object.keys(value)) {
    if (keys.includes(key)) continue
    const near = nearest(key, keys)
    problems.add(at(path, key), `unknown key${near ? ` (did you mean ${near}?)` : ''}`)
  }
  return value
}

/** A map with keys of its caller's choosing (upstreams, env, headers). */
export function record(
  value: unknown,
  path: string,
  problems: Problems,
): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  if (!isObject(value)) return problems.add(path, `must be an object, got ${shown(value)}`)
  return value
}

export function string(value: unknown, path: string, problems: Problems): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') {
    return problems.add(path, `must be a non-empty string, got ${shown(value)}`)
  }
  return value
}

export function boolean(value: unknown, path: string, problems: Problems): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  return problems.add(path, `must be true or false, got ${shown(value)}`)
}

interface NumberRule {
  min?: number
  max?: number
  integer?: boolean
}

/** A finite number within the rule, reported as `must be an integer from 1 to 64` and the like. */
export function number(
  value: unknown,
  path: string,
  problems: Problems,
  rule: NumberRule = {},
): number | undefined {
  if (value === undefined) return undefined
  const { min, max, integer = false } = rule
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (min === undefined || value >= min) &&
    (max === undefined || value <= max)
  if (ok) return value
  const kind = integer ? 'an integer' : 'a number'
  return problems.add(path, `must be ${kind}${rangeOf(rule)}, got ${shown(value)}`)
}

function rangeOf({ min, max }: NumberRule): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`
  if (min !== undefined) return ` ≥ ${min}`
  if (max !== undefined) return ` ≤ ${max}`
  return ''
}

export function oneOf<T extends string>(
  value: unknown,
  path: string,
  problems: Problems,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined
  if (choices.includes(value as T)) return value as T
  const list = choices.map((choice) => `'${choice}'`).join(', ')
  return problems.add(path, `must be one of ${list}, got ${shown(value)}`)
}

/** An array of non-empty strings. */
export function strings(value: unknown, path: string, problems: Problems): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) return problems.add(path, `must be an array of strings`)
  const bad = value.findIndex((item) => typeof item !== 'string' || item === '')
  if (bad >= 0) {
    return problems.add(at(path, bad), `must be a non-empty string, got ${shown(value[bad])}`)
  }
  return value as string[]
}

/** An object of string values, its keys matching `keyPattern` (described by `keyRule`). */
export function stringMap(
  value: unknown,
  path: string,
  problems: Problems,
  keyPattern: RegExp,
  keyRule: string,
): Record<string, string> | undefined {
  const map = record(value, path, problems)
  if (map === undefined) return undefined
  let ok = true
  for (const [key, item] of Object.entries(map)) {
    if (!keyPattern.test(key)) ok = problems.add(at(path, key), keyRule) ?? false
    else if (typeof item !== 'string') {
      ok = problems.add(at(path, key), `must be a string, got ${shown(item)}`) ?? false
    }
  }
  // fromEntries defines own properties: a "__proto__" key stays a key.
  return ok ? Object.fromEntries(Object.entries(map) as [string, string][]) : undefined
}

/** A string that is a secret: a wrong value is described, never shown. */
export function secret(value: unknown, path: string, problems: Problems): string | undefined {
  if (value === undefined || (typeof value === 'string' && value !== '')) return value
  return problems.add(path, 'must be a non-empty string (the value is a secret: not shown)')
}

/** `read(value)`, and `is required` when the value is missing. */
export function required<T>(
  value: unknown,
  path: string,
  problems: Problems,
  read: (value: unknown, path: string, problems: Problems) => T | undefined,
): T | undefined {
  if (value === undefined) return problems.add(path, 'is required')
  return read(value, path, problems)
}

/** An http(s) URL; a wrong one is not shown (a URL may carry credentials). */
export function httpUrl(value: unknown, path: string, problems: Problems): string | undefined {
  const text = string(value, path, problems)
  if (text === undefined) return undefined
  try {
    if (['http:', 'https:'].includes(new URL(text).protocol)) return text
  } catch {}
  return problems.add(path, 'must be an http(s) URL')
}

/** One string or a non-empty list of them. */
export function oneOrMore(
  value: unknown,
  path: string,
  problems: Problems,
): string | string[] | undefined {
  if (typeof value === 'string') return string(value, path, problems)
  const list = strings(value, path, problems)
  if (list?.length === 0) return problems.add(path, 'must be a string or a non-empty array of them')
  return list
}

/** How each store kind's section is read, with its path. */
export interface StoreReaders<T> {
  memory(value: unknown, path: string, problems: Problems): T | undefined
  redis(value: unknown, path: string, problems: Problems): T | undefined
}

/**
 * A store section: `'memory'` (the default, read as `{ memory: {} }`),
 * `'redis'` (read as `{ redis: {} }`: the top-level `redis` section, which
 * `shared` says the file has), or an object of exactly one of `memory` and
 * `redis`, each read by its reader.
 */
export function storeChoice<T>(
  value: unknown,
  path: string,
  problems: Problems,
  readers: StoreReaders<T>,
  shared: boolean,
): T | undefined {
  if (value === undefined || value === 'memory')
    return readers.memory({}, at(path, 'memory'), problems)
  if (value === 'redis') {
    if (shared) return readers.redis({}, at(path, 'redis'), problems)
    return problems.add(
      path,
      "'redis' is the top-level redis section, and there is none: add one (redis: { url: … }), or give the store its own ({ redis: { url: … } })",
    )
  }
  if (!isObject(value)) {
    return problems.add(
      path,
      `must be 'memory', 'redis' or an object of memory or redis, got ${shown(value)}`,
    )
  }
  const file = object(value, path, problems, STORE_KINDS)!
  const kinds = STORE_KINDS.filter((kind) => file[kind] !== undefined)
  if (kinds.length !== 1) return problems.add(path, 'needs exactly one of memory and redis')
  const kind = kinds[0]!
  return readers[kind](file[kind], at(path, kind), problems)
}
const STORE_KINDS = ['memory', 'redis'] as const

/** The allowed key within two edits of `key`, if there is one. */
export function nearest(key: string, keys: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of keys) {
    const distance = edits(key.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance]
  }
  return best
}

/** Levenshtein distance. */
function edits(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution)
    }
    previous = current
  }
  return previous[b.length]!
}
