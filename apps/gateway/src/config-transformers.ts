import {
  memoryPinStore,
  metadata,
  pinTools,
  type RedactPattern,
  type RedactPatternName,
  redact,
  redactPatternNames,
  validateArguments,
} from '@mcpx/transformers'
import {
  at,
  isObject,
  nearest,
  number,
  object,
  type Problems,
  shown,
  storeChoice,
  string,
} from './check.js'
import { checkCache } from './config-cache.js'
import { NO_REDIS, type SharedRedis, storeRedis } from './config-redis.js'
import { checkRewriteTools, type RoutedNames } from './config-rewrite.js'
import { MAX_TIMER } from './config-schema-parts.js'
import type {
  MetadataSection,
  PinStoreConfig,
  PinToolsConfig,
  RedactSection,
  TransformersConfig,
  ValidateArgumentsSection,
} from './config-types-transformers.js'
import { checkWith, type Options, type RefusalReader } from './refusals.js'

// The `transformers` section: one sub-section per `@mcpx/transformers` factory, each option a
// file can write (no functions: policies, vary functions, RegExp engines and loggers are the
// gateway's or nobody's), each value checked by the factory itself when it can be.

const TRANSFORMERS = [
  'metadata',
  'redact',
  'cache',
  'rewriteTools',
  'validateArguments',
  'pinTools',
] as const satisfies readonly (keyof TransformersConfig)[]
const METADATA = [
  'prefix',
  'gateway',
  'fields',
  'to',
  'headers',
  'header',
  'acceptRequestId',
] as const satisfies readonly (keyof MetadataSection)[]
const REDACT = [
  'keys',
  'patterns',
  'replacement',
  'keysInText',
  'maxDepth',
  'maxNodes',
  'toServer',
  'toClient',
  'skip',
] as const satisfies readonly (keyof RedactSection)[]
const PATTERN = ['name', 'regex', 'flags']
const VALIDATE = [
  'uncompilable',
  'maxSchemas',
] as const satisfies readonly (keyof ValidateArgumentsSection)[]
const PINS = [
  'lockFile',
  'strict',
  'maxPending',
  'maxPins',
  'store',
] as const satisfies readonly (keyof PinToolsConfig)[]
const PIN_REDIS = ['url', 'key', 'timeoutMs'] as const

const READER: RefusalReader = { prefix: '[@mcpx/transformers] ' }
/** A lock for the factory's check: the file's own is read once the config is (see pin-lock.ts). */
const NO_PINS = { version: 1, tools: {} } as const

/** The `transformers` section; `upstreams` are what `rewriteTools` rules may be keyed by. */
export function checkTransformers(
  value: unknown,
  upstreams: RoutedNames,
  problems: Problems,
  shared: SharedRedis = NO_REDIS,
): TransformersConfig | undefined {
  const file = object(value, 'transformers', problems, TRANSFORMERS)
  if (file === undefined) return undefined
  const before = problems.list.length
  const config: TransformersConfig = {
    metadata: checkMetadata(file.metadata, problems),
    redact: checkRedact(file.redact, problems),
    cache: checkCache(file.cache, problems, shared),
    rewriteTools: checkRewriteTools(file.rewriteTools, upstreams, problems),
    validateArguments: checkValidate(file.validateArguments, problems),
    pinTools: checkPins(file.pinTools, problems, shared),
  }
  if (problems.list.length > before) return undefined
  return Object.fromEntries(Object.entries(config).filter(([, section]) => section !== undefined))
}

/** `metadata()`'s options, as the factory checks them. */
function checkMetadata(value: unknown, problems: Problems): MetadataSection | undefined {
  const path = 'transformers.metadata'
  const section = object(value, path, problems, METADATA)
  if (section === undefined) return undefined
  const options = pick(section, METADATA)
  return checkWith(options, path, problems, (o) => metadata(o), READER)
    ? (options as MetadataSection)
    : undefined
}

/** `redact()`'s options; a pattern of the file's own is a regex's source (and flags), compiled here. */
function checkRedact(value: unknown, problems: Problems): RedactSection | undefined {
  const path = 'transformers.redact'
  const section = object(value, path, problems, REDACT)
  if (section === undefined) return undefined
  const before = problems.list.length
  const options = pick(section, REDACT)
  if (section.patterns !== undefined) {
    const patterns = checkPatterns(section.patterns, at(path, 'patterns'), problems)
    if (patterns === undefined) delete options.patterns
    else options.patterns = patterns
  }
  if (section.replacement !== undefined && typeof section.replacement !== 'string') {
    // A function replacement cannot be written down: a string only.
    problems.add(at(path, 'replacement'), `must be a string, got ${shown(section.replacement)}`)
    delete options.replacement
  }
  const ok = checkWith(options, path, problems, (o) => redact(o), READER)
  return ok && problems.list.length === before ? (options as RedactSection) : undefined
}

/** Built-in pattern names, and `{ name, regex, flags? }` compiled to what `redact()` takes. */
function checkPatterns(
  value: unknown,
  path: string,
  problems: Problems,
): (RedactPatternName | RedactPattern)[] | undefined {
  if (!Array.isArray(value)) {
    return problems.add(
      path,
      `must be an array of pattern names and { name, regex }, got ${shown(value)}`,
    )
  }
  const patterns = value.map((item, i): RedactPatternName | RedactPattern | undefined => {
    const where = at(path, i)
    if (typeof item === 'string') {
      if (redactPatternNames.includes(item as RedactPatternName)) return item as RedactPatternName
      const near = nearest(item, redactPatternNames)
      const names = redactPatternNames.join(', ')
      const hint = near ? ` (did you mean ${near}?)` : ''
      return problems.add(where, `names no built-in pattern: "${item}"${hint} (they are ${names})`)
    }
    if (!isObject(item)) {
      return problems.add(where, `must be a pattern name or { name, regex }, got ${shown(item)}`)
    }
    const file = object(item, where, problems, PATTERN)!
    const name = string(file.name, at(where, 'name'), problems)
    if (file.name === undefined) problems.add(at(where, 'name'), 'is required')
    if (file.regex === undefined) return problems.add(at(where, 'regex'), 'is required')
    const source = string(file.regex, at(where, 'regex'), problems)
    const flags = file.flags === undefined ? '' : string(file.flags, at(where, 'flags'), problems)
    if (name === undefined || source === undefined || flags === undefined) return undefined
    let regex: RegExp
    try {
      regex = new RegExp(source, flags)
    } catch (error) {
      return problems.add(where, `is not a valid regular expression: ${(error as Error).message}`)
    }
    // Tested without g and y, as redact() does: a regex matching nothing would replace between every character.
    if (new RegExp(source, flags.replace(/[gy]/g, '')).test('')) {
      return problems.add(at(where, 'regex'), 'must not match the empty string')
    }
    return { name, regex }
  })
  return patterns.every((p) => p !== undefined) ? patterns : undefined
}

/** `validateArguments()`'s options. */
function checkValidate(value: unknown, problems: Problems): ValidateArgumentsSection | undefined {
  const path = 'transformers.validateArguments'
  const section = object(value, path, problems, VALIDATE)
  if (section === undefined) return undefined
  const options = pick(section, VALIDATE)
  const build = (o: Options) => void validateArguments({ ...o, log: () => {} })
  return checkWith(options, path, problems, build, READER)
    ? (options as ValidateArgumentsSection)
    : undefined
}

/**
 * `pinTools()`'s options, its memory store's bound, and a lock file's
 * path; the file itself is read once the whole config has passed.
 */
function checkPins(
  value: unknown,
  problems: Problems,
  shared: SharedRedis,
): PinToolsConfig | undefined {
  const path = 'transformers.pinTools'
  const section = object(value, path, problems, PINS)
  if (section === undefined) return undefined
  const before = problems.list.length
  const lockFile = string(section.lockFile, at(path, 'lockFile'), problems)
  const options = pick(section, ['strict', 'maxPending', 'maxPins'])
  if (section.strict !== undefined && section.lockFile === undefined) {
    problems.add(
      at(path, 'strict'),
      'needs lockFile: without a lock every tool is trusted on first use',
    )
    delete options.strict
  }
  const build = ({ maxPins, ...o }: Options) => {
    const store = memoryPinStore(maxPins === undefined ? {} : { maxPins: maxPins as number })
    const lock = section.lockFile === undefined ? {} : { lock: NO_PINS, strict: o.strict }
    pinTools({ ...o, ...lock, store, log: () => {} } as never).close()
  }
  const ok = checkWith(options, path, problems, build, READER)
  const store = checkPinStore(section.store, at(path, 'store'), problems, shared)
  if (!ok || problems.list.length > before) return undefined
  return {
    ...(options as PinToolsConfig),
    ...(lockFile !== undefined && { lockFile }),
    ...(store !== undefined && { store }),
  }
}

/**
 * `'memory'` (the default, undefined here), or Redis: `'redis'` (the
 * top-level section) or `{ redis: { url?, key?, timeoutMs? } }`, as
 * `redisPinStore()` takes them (checked here: that factory needs a client).
 */
function checkPinStore(
  value: unknown,
  path: string,
  problems: Problems,
  shared: SharedRedis,
): PinStoreConfig | undefined {
  const redis = (file: Record<string, unknown>, where: string) => {
    object(file, where, problems, PIN_REDIS)
    const connection = storeRedis(file.url, where, problems, shared)
    const key = string(file.key, at(where, 'key'), problems)
    const timeoutMs = number(file.timeoutMs, at(where, 'timeoutMs'), problems, {
      min: 1,
      max: MAX_TIMER,
      integer: true,
    })
    if (connection === undefined) return undefined
    return {
      kind: 'redis' as const,
      redis: connection,
      ...(key !== undefined && { key }),
      ...(timeoutMs !== undefined && { timeoutMs }),
    }
  }
  return storeChoice<PinStoreConfig | undefined>(
    value,
    path,
    problems,
    {
      memory: (file, where) => {
        // Nothing to bound here: `maxPins` is the section's, for either store.
        object(file, where, problems, [])
        return undefined
      },
      redis: (file, where) =>
        isObject(file)
          ? redis(file, where)
          : problems.add(where, `must be an object, got ${shown(file)}`),
    },
    shared.written,
  )
}

/** The keys of `section` in `keys`, as written (the factories fill in their own defaults). */
function pick(section: Options, keys: readonly string[]): Options {
  return Object.fromEntries(
    keys.filter((k) => section[k] !== undefined).map((k) => [k, section[k]]),
  )
}
