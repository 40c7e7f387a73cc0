import { breaker, concurrencyLimit, retry, timeout } from '@mcpx/breaker'
import { at, object, type Problems, shown } from './check.js'
import type {
  BreakerSection,
  ConcurrencySection,
  RetrySection,
  TimeoutsSection,
} from './config-types.js'
import {
  checkWith as checkOptions,
  type Options,
  type RefusalReader,
  refusalOf,
  ruleOf,
} from './refusals.js'

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

/** A strategy's `kind` decides which keys it may have: refused, the whole strategy goes. */
const READER: RefusalReader = { prefix: '[@mcpx/breaker] ', carried: ['kind'] }

/** The `timeouts` section: `timeout()`'s milliseconds, the total deadline and each attempt's. */
export function checkTimeouts(value: unknown, problems: Problems): TimeoutsSection | undefined {
  const section = object(value, 'timeouts', problems, TIMEOUTS)
  if (section === undefined) return undefined
  const before = problems.list.length
  for (const key of TIMEOUTS) {
    if (section[key] === undefined) continue
    const refusal = refusalOf(() => timeout(section[key] as number))
    if (refusal !== undefined) {
      problems.add(
        at('timeouts', key),
        `must be ${ruleOf(refusal, READER.prefix)}, got ${shown(section[key])}`,
      )
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

const checkWith = (
  section: Options,
  path: string,
  problems: Problems,
  build: (options: Options) => void,
) => checkOptions(section, path, problems, build, READER)
