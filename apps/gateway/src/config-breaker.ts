import { breaker, concurrencyLimit, retry, timeout } from '@mcpx/breaker'
import { at, isObject, nearest, object, type Problems, shown } from './check.js'
import type {
  BreakerSection,
  ConcurrencySection,
  RetrySection,
  TimeoutsSection,
} from './config-types.js'

// The `timeouts`, `retry`, `breaker` and `concurrency` sections. The key lists below are what a
// file may say (no functions; the registries and idempotent tools are the gateway's to wire),
// tied to the package's option types; every value is checked by `@mcpx/breaker`'s own factories.

const TIMEOUTS = ['total', 'perAttempt'] as const satisfies readonly (keyof TimeoutsSection)[]
const BREAKER = [
  'strategy',
  'openDuration',
  'halfOpenProbes',
  'halfOpenSuccesses',
  'per',
  'maxCircuits',
] as const satisfies readonly (keyof BreakerSection)[]
const RETRY = [
  'attempts',
  'backoff',
  'maxRetryAfter',
  'budget',
  'maxUpstreams',
] as const satisfies readonly (keyof RetrySection)[]
const CONCURRENCY = [
  'limit',
  'queue',
  'queueTimeout',
  'maxUpstreams',
] as const satisfies readonly (keyof ConcurrencySection)[]

const PREFIX = '[@mcpx/breaker] '
/** validate.ts's refusal of an unknown key: `<option> key "<key>" must be one of <a, b, c>`. */
const UNKNOWN = /^(\S+) key "(.*)" must be one of (.+)$/s
/** Every other refusal: `<option> must be <rule>`, the option as the caller wrote it (`strategy.failures`). */
const RULE = /^(\S+) must be (.+)$/s
/** Keys that decide which others their object may have: refused, their whole object goes. */
const CARRIED = ['kind']

type Options = Record<string, unknown>

/** The `timeouts` section: `timeout()`'s milliseconds, the total deadline and each attempt's. */
export function checkTimeouts(value: unknown, problems: Problems): TimeoutsSection | undefined {
  const section = object(value, 'timeouts', problems, TIMEOUTS)
  if (section === undefined) return undefined
  const before = problems.list.length
  for (const key of TIMEOUTS) {
    if (section[key] === undefined) continue
    try {
      timeout(section[key] as number)
    } catch (error) {
      if (!(error instanceof TypeError)) throw error
      const rule = error.message.replace(/^\[@mcpx\/breaker\] timeout\(\) needs /, '')
      problems.add(at('timeouts', key), `must be ${rule}, got ${shown(section[key])}`)
    }
  }
  const { total, perAttempt } = section as TimeoutsSection
  if (problems.list.length > before) return undefined
  if (total !== undefined && perAttempt !== undefined && perAttempt > total) {
    // The total deadline would cut every attempt short: the per-attempt one could never apply.
    return problems.add(
      'timeouts.perAttempt',
      `must be ≤ timeouts.total (${total}), got ${perAttempt}`,
    )
  }
  return pick(section, TIMEOUTS) as TimeoutsSection
}

/** The `breaker` section: `breaker()`'s circuit options. */
export function checkBreaker(value: unknown, problems: Problems): BreakerSection | undefined {
  const section = object(value, 'breaker', problems, BREAKER)
  if (section === undefined) return undefined
  const options = pick(section, BREAKER)
  const ok = checkWith(options, 'breaker', problems, (o) => breaker(o).close())
  return ok ? (options as BreakerSection) : undefined
}

/** The `retry` section: `retry()`'s attempts, backoff and budget. */
export function checkRetry(value: unknown, problems: Problems): RetrySection | undefined {
  const section = object(value, 'retry', problems, RETRY)
  if (section === undefined) return undefined
  const options = pick(section, RETRY)
  return checkWith(options, 'retry', problems, (o) => retry(o))
    ? (options as RetrySection)
    : undefined
}

/** The `concurrency` section: `concurrencyLimit()`'s bulkhead per replica. */
export function checkConcurrency(
  value: unknown,
  problems: Problems,
): ConcurrencySection | undefined {
  const section = object(value, 'concurrency', problems, CONCURRENCY)
  if (section === undefined) return undefined
  if (section.limit === undefined) return problems.add('concurrency.limit', 'is required')
  const options = pick(section, CONCURRENCY)
  // Each other option is checked beside a valid limit; the file's own limit replaces it.
  const build = (o: Options) => concurrencyLimit({ limit: 1, ...o }).close()
  return checkWith(options, 'concurrency', problems, build)
    ? (options as ConcurrencySection)
    : undefined
}

/** The keys of `section` in `keys`, as written (the factories fill in their own defaults). */
function pick(section: Options, keys: readonly string[]): Options {
  return Object.fromEntries(
    keys.filter((k) => section[k] !== undefined).map((k) => [k, section[k]]),
  )
}

/**
 * `section` through the package's own factory `build`. It stops at its
 * first refusal, and the file should hear of every one: each refused value
 * becomes a problem under its path and is taken out, and the rest is built
 * again, until it is accepted (the other values still beside each one, so
 * that rules between keys, `maxDelay ≥ baseDelay`, are the package's too).
 */
function checkWith(
  section: Options,
  path: string,
  problems: Problems,
  build: (options: Options) => void,
): boolean {
  const options = structuredClone(section)
  // Each round takes one key out: no more rounds than keys.
  for (let round = 0; round <= keyCount(section); round++) {
    const refusal = refusalOf(() => build(options))
    if (refusal === undefined) return round === 0
    const { where, message, keys } = problemOf(refusal, section, path)
    problems.add(where, message)
    if (keys === undefined || !removed(options, keys)) return false
  }
  return false
}

/** The package's refusal, without its prefix; undefined when `build` ran. */
function refusalOf(build: () => void): string | undefined {
  try {
    build()
    return undefined
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    return error.message.replace(PREFIX, '')
  }
}

/** A package refusal as a problem: `strategy.failures must be …` → `breaker.strategy.failures`, and the keys refused. */
function problemOf(message: string, section: Options, path: string) {
  const unknown = UNKNOWN.exec(message)
  if (unknown) {
    const [, option, key, list] = unknown as unknown as [string, string, string, string]
    const keys = [...option.split('.'), key]
    const near = nearest(key, list.split(', '))
    return {
      where: pathOf(path, keys),
      message: `unknown key${near ? ` (did you mean ${near}?)` : ''}`,
      keys,
    }
  }
  const refused = RULE.exec(message)
  if (!refused) return { where: path, message, keys: undefined }
  const [, option, text] = refused as unknown as [string, string, string]
  const keys = option.split('.')
  const value = keys.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), section)
  const got = value === undefined ? '' : `, got ${shown(value)}`
  // `between(…, 1, Number.MAX_VALUE)` reads "from 1 to 1.7976931348623157e+308": say "≥ 1".
  const rule = text.replace(/ from (\S+) to 1\.7976931348623157e\+308$/, ' ≥ $1')
  return { where: pathOf(path, keys), message: `must be ${rule}${got}`, keys }
}

/** Take `keys` out of `options` (a carried key, its whole object: a strategy without its kind is another strategy). */
function removed(options: Options, keys: readonly string[]): boolean {
  const last = CARRIED.includes(keys.at(-1)!) && keys.length > 1 ? keys.length - 1 : keys.length
  let parent: unknown = options
  for (const key of keys.slice(0, last - 1)) parent = isObject(parent) ? parent[key] : undefined
  const key = keys[last - 1]!
  if (!isObject(parent) || !(key in parent)) return false
  delete parent[key]
  return true
}

const keyCount = (value: unknown): number =>
  isObject(value) ? Object.values(value).reduce<number>((n, v) => n + 1 + keyCount(v), 0) : 0

const pathOf = (path: string, keys: readonly string[]) => keys.reduce(at, path)
