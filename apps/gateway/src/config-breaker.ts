import { breaker, concurrencyLimit, type OptionError, retry, timeout } from '@mcpx/breaker'
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
    const refusal = refusalOf(() => timeout(section[key] as number))
    if (refusal !== undefined) {
      problems.add(at('timeouts', key), `must be ${ruleOf(refusal)}, got ${shown(section[key])}`)
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

/** The package's refusal (an `OptionError`, or another `TypeError`); undefined when `build` ran. */
function refusalOf(build: () => void): TypeError | undefined {
  try {
    build()
    return undefined
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    return error
  }
}

/** What a refusal says the value must be (the whole message, unprefixed, for a `TypeError` of no rule). */
const ruleOf = (refusal: TypeError): string =>
  (refusal as Partial<OptionError>).rule ?? refusal.message.replace(PREFIX, '')

/** A package refusal as a problem: option `strategy.failures` → `breaker.strategy.failures`, and the keys refused. */
function problemOf(refusal: TypeError, section: Options, path: string) {
  const { option, known } = refusal as Partial<OptionError>
  if (typeof option !== 'string') return { where: path, message: ruleOf(refusal), keys: undefined }
  const keys = option.split('.')
  if (known !== undefined) {
    const near = nearest(keys.at(-1)!, known)
    return {
      where: pathOf(path, keys),
      message: `unknown key${near ? ` (did you mean ${near}?)` : ''}`,
      keys,
    }
  }
  const value = keys.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), section)
  const got = value === undefined ? '' : `, got ${shown(value)}`
  return { where: pathOf(path, keys), message: `must be ${ruleOf(refusal)}${got}`, keys }
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
