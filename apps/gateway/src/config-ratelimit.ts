import { isIP } from 'node:net'
import { compileGlob } from '@mcpx/core'
import {
  type ClassesOptions,
  type KeyKind,
  type LimitOptions,
  type LimitOverride,
  memoryStore,
  rateLimit,
} from '@mcpx/ratelimit'
import {
  at,
  isObject,
  number,
  object,
  oneOf,
  type Problems,
  required,
  shown,
  storeChoice,
  string,
  strings,
} from './check.js'
import { checkAlgorithm } from './config-algorithm.js'
import { HEADER_NAME } from './config-authenticators.js'
import { NO_REDIS, type SharedRedis, storeRedis } from './config-redis.js'
import type { RateLimitStoreConfig, RateLimitsConfig } from './config-types.js'

const RATE_LIMITS = ['limits', 'allow', 'store'] as const
const LIMIT = [
  'name',
  'by',
  'algorithm',
  'methods',
  'tools',
  'cost',
  'failure',
  'overrides',
  'classes',
] as const
const OVERRIDE = ['tools', 'algorithm', 'cost'] as const
const CLASSES = ['header', 'claim', 'algorithms'] as const
const ALLOW = ['subjects', 'clientIds', 'addresses'] as const
const REDIS = ['url', 'prefix', 'timeoutMs'] as const
const BY: readonly KeyKind[] = ['global', 'client', 'tool', 'client-tool']
const FAILURE = ['open', 'closed'] as const
/** What `@mcpx/ratelimit` accepts as a limit or class name (it names stored state). */
const LIMIT_NAME = /^[A-Za-z0-9_.-]{1,64}$/
const NAME_RULE = 'must be 1 to 64 characters, each one of A-Z a-z 0-9 _ . -'
/** `rateLimit()` never calls it: a limit is compiled, not run, at check time. */
const NO_STORE = { consume: () => [] }

/**
 * The `rateLimits` section: the limits of `@mcpx/ratelimit`'s `rateLimit()`
 * (each algorithm built, each limit compiled once, so that what only the
 * package checks is a problem under its path), the allow-list, and where
 * the counters live.
 */
export function checkRateLimits(
  value: unknown,
  problems: Problems,
  shared: SharedRedis = NO_REDIS,
): RateLimitsConfig | undefined {
  const file = object(value, 'rateLimits', problems, RATE_LIMITS)
  if (file === undefined) return undefined
  const limits = checkLimits(file.limits, problems)
  const allow = checkAllow(file.allow, problems)
  const store = storeChoice<RateLimitStoreConfig>(
    file.store,
    'rateLimits.store',
    problems,
    { memory: checkMemory, redis: (v, path, ps) => checkRedis(v, path, ps, shared) },
    shared.written,
  )
  if (!limits || !allow || !store) return undefined
  return { limits, allow, store }
}

function checkLimits(value: unknown, problems: Problems): LimitOptions[] | undefined {
  const path = 'rateLimits.limits'
  if (value === undefined) return problems.add(path, 'is required')
  if (!Array.isArray(value) || value.length === 0) {
    return problems.add(path, `must be a non-empty array of limits, got ${shown(value)}`)
  }
  const firsts = new Map<unknown, number>()
  const limits = value.map((item, i) => {
    const where = at(path, i)
    const limit = checkLimit(item, where, problems)
    if (limit === undefined) return undefined
    const first = firsts.get(limit.name)
    if (first !== undefined) {
      return problems.add(
        at(where, 'name'),
        `"${limit.name}" is the name of ${at(path, first)} too`,
      )
    }
    firsts.set(limit.name, i)
    return compiled(limit, where, problems) ? limit : undefined
  })
  return limits.every((limit) => limit !== undefined) ? limits : undefined
}

function checkLimit(value: unknown, path: string, problems: Problems): LimitOptions | undefined {
  if (!isObject(value)) return problems.add(path, `must be a limit object, got ${shown(value)}`)
  const file = object(value, path, problems, LIMIT)!
  const name = required(file.name, at(path, 'name'), problems, limitName)
  const algorithm = checkAlgorithm(file.algorithm, at(path, 'algorithm'), problems)
  const read = {
    by: oneOf(file.by, at(path, 'by'), problems, BY),
    methods: checkPatterns(file.methods, at(path, 'methods'), problems),
    tools: checkPatterns(file.tools, at(path, 'tools'), problems),
    cost: positive(file.cost, at(path, 'cost'), problems),
    failure: oneOf(file.failure, at(path, 'failure'), problems, FAILURE),
    overrides: checkOverrides(file.overrides, at(path, 'overrides'), problems),
    classes: checkClasses(file.classes, at(path, 'classes'), problems),
  }
  const given = Object.entries(read).filter(([key]) => file[key] !== undefined)
  if (!name || !algorithm || given.some(([, option]) => option === undefined)) return undefined
  return { name, algorithm, ...Object.fromEntries(given) }
}

function limitName(value: unknown, path: string, problems: Problems): string | undefined {
  const name = string(value, path, problems)
  if (name === undefined || LIMIT_NAME.test(name)) return name
  return problems.add(path, NAME_RULE)
}

/** A number > 0 (a cost, a timeout): `${VAR}` makes a string, which is refused, not converted. */
function positive(value: unknown, path: string, problems: Problems): number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value
  return problems.add(path, `must be a number > 0, got ${shown(value)}`)
}

/** One glob or a non-empty list of them, each compiled now so that a bad one has its path. */
function checkPatterns(value: unknown, path: string, problems: Problems): string[] | undefined {
  if (value === undefined) return undefined
  const list = typeof value === 'string' ? [value] : strings(value, path, problems)
  if (list === undefined) return undefined
  if (list.length === 0) return problems.add(path, 'must be a pattern or a non-empty array of them')
  let ok = true
  list.forEach((pattern, i) => {
    try {
      compileGlob(pattern)
    } catch (error) {
      if (!(error instanceof TypeError)) throw error
      const where = typeof value === 'string' ? path : at(path, i)
      ok = problems.add(where, error.message.replace(/^\[@mcpx\/core\] /, '')) ?? false
    }
  })
  return ok ? list : undefined
}

function checkOverrides(value: unknown, path: string, problems: Problems) {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) return problems.add(path, `must be an array of overrides`)
  const overrides = value.map((item, i): LimitOverride | undefined => {
    const where = at(path, i)
    if (!isObject(item)) return problems.add(where, `must be an object, got ${shown(item)}`)
    const file = object(item, where, problems, OVERRIDE)!
    if (file.tools === undefined) problems.add(at(where, 'tools'), 'is required')
    const tools = checkPatterns(file.tools, at(where, 'tools'), problems)
    const algorithm =
      file.algorithm === undefined
        ? undefined
        : checkAlgorithm(file.algorithm, at(where, 'algorithm'), problems)
    const cost = positive(file.cost, at(where, 'cost'), problems)
    if (file.algorithm === undefined && file.cost === undefined) {
      return problems.add(where, 'needs an algorithm, a cost, or both')
    }
    if (
      !tools ||
      (file.algorithm !== undefined && !algorithm) ||
      (file.cost !== undefined && !cost)
    ) {
      return undefined
    }
    return { tools, ...(algorithm && { algorithm }), ...(cost !== undefined && { cost }) }
  })
  return overrides.every((o) => o !== undefined) ? overrides : undefined
}

function checkClasses(value: unknown, path: string, problems: Problems) {
  const file = object(value, path, problems, CLASSES)
  if (file === undefined) return undefined
  const header = string(file.header, at(path, 'header'), problems)
  if (header !== undefined && !HEADER_NAME.test(header)) {
    problems.add(at(path, 'header'), 'must be an HTTP header name')
  }
  const claim = string(file.claim, at(path, 'claim'), problems)
  const exactlyOne = (file.header === undefined) !== (file.claim === undefined)
  if (!exactlyOne) problems.add(path, 'needs exactly one of header and claim')
  const where = at(path, 'algorithms')
  if (file.algorithms === undefined) return problems.add(where, 'is required')
  if (!isObject(file.algorithms) || Object.keys(file.algorithms).length === 0) {
    return problems.add(where, 'must be an object of class name → algorithm')
  }
  const algorithms = Object.entries(file.algorithms).map(([name, item]) => {
    if (!LIMIT_NAME.test(name)) return problems.add(at(where, name), `a class name ${NAME_RULE}`)
    const algorithm = checkAlgorithm(item, at(where, name), problems)
    return algorithm && ([name, algorithm] as const)
  })
  const source = header !== undefined ? { header } : claim !== undefined ? { claim } : undefined
  if (!exactlyOne || !source || (header && !HEADER_NAME.test(header))) return undefined
  if (algorithms.some((entry) => entry === undefined)) return undefined
  // fromEntries defines own properties: a "__proto__" class stays a class.
  return {
    ...source,
    algorithms: Object.fromEntries(algorithms as [string, never][]),
  } as ClassesOptions
}

/**
 * `rateLimit()` compiles the limit now: what only the package refuses is a
 * problem under the limit's path. Its messages name the limit; the path
 * already does.
 */
function compiled(limit: LimitOptions, path: string, problems: Problems): boolean {
  try {
    rateLimit({ limits: [limit], store: NO_STORE })
    return true
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    const why = error.message.replace(/^\[@mcpx\/ratelimit\] (limit \S+:? )?/, '')
    return problems.add(path, why) ?? false
  }
}

function checkAllow(value: unknown, problems: Problems): RateLimitsConfig['allow'] | undefined {
  const file = object(value, 'rateLimits.allow', problems, ALLOW) ?? {}
  const [subjects, clientIds, addresses] = ALLOW.map((key) =>
    strings(file[key], at('rateLimits.allow', key), problems),
  )
  const bad = addresses?.findIndex((address) => isIP(address) === 0) ?? -1
  if (bad >= 0) {
    problems.add(
      at('rateLimits.allow.addresses', bad),
      `must be an IP address as the transport reports it (127.0.0.1, ::1), got ${shown(addresses![bad])}`,
    )
  }
  const given = ALLOW.filter(
    (key, i) => file[key] !== undefined && [subjects, clientIds, addresses][i] === undefined,
  )
  if (given.length > 0 || bad >= 0) return undefined
  return { subjects: subjects ?? [], clientIds: clientIds ?? [], addresses: addresses ?? [] }
}

function checkMemory(value: unknown, path: string, problems: Problems) {
  const file = object(value, path, problems, ['maxKeys'])
  if (file === undefined) return undefined
  const where = at(path, 'maxKeys')
  const maxKeys = number(file.maxKeys, where, problems, { min: 1, integer: true })
  if (file.maxKeys !== undefined && maxKeys === undefined) return undefined
  try {
    // The factory runs once now (and its clock is stopped): what it checks is checked.
    memoryStore({ ...(maxKeys !== undefined && { maxKeys }) }).close()
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    return problems.add(
      where,
      error.message.replace(/^\[@mcpx\/ratelimit\] memoryStore\(\) maxKeys /, ''),
    )
  }
  return { kind: 'memory' as const, ...(maxKeys !== undefined && { maxKeys }) }
}

function checkRedis(value: unknown, path: string, problems: Problems, shared: SharedRedis) {
  const file = object(value, path, problems, REDIS)
  if (file === undefined) return undefined
  const redis = storeRedis(file.url, path, problems, shared)
  const prefix = string(file.prefix, at(path, 'prefix'), problems)
  const timeoutMs = positive(file.timeoutMs, at(path, 'timeoutMs'), problems)
  if (!redis || (file.prefix !== undefined && !prefix)) return undefined
  if (file.timeoutMs !== undefined && timeoutMs === undefined) return undefined
  return {
    kind: 'redis' as const,
    redis,
    ...(prefix !== undefined && { prefix }),
    ...(timeoutMs !== undefined && { timeoutMs }),
  }
}
