import { EXAMPLE_FLAVOURS } from '@mcpx/examples/server-path'
import type { BalanceStrategy, UpstreamEntry } from '@mcpx/router'
import {
  at,
  boolean,
  isObject,
  number,
  object,
  oneOf,
  type Problems,
  record,
  shown,
  string,
  stringMap,
  strings,
} from './check.js'
import { checkCredentials } from './config-credentials.js'
import { checkPool } from './config-pool.js'
import type {
  ExampleFlavour,
  UpstreamConfig,
  UpstreamSource,
  UrlTransport,
} from './config-types.js'

/** Upstream names and namespace prefixes: what the router accepts as a prefix (1–32 of these). */
export const NAME = /^[A-Za-z0-9_.-]{1,32}$/
const NAME_RULE = 'must be 1 to 32 characters, each one of A-Z a-z 0-9 _ . -'
/** Each replica is its own connection (a child process for a command): a bound, not a taste. */
export const MAX_REPLICAS = 64

const COMMON = [
  'mode',
  'pool',
  'timeout',
  'connectTimeout',
  'namespace',
  'priority',
  'replicas',
  'balance',
  // Checked in config-failover.ts, against each other.
  'failover',
  'backup',
  'idempotentTools',
] as const
const KINDS = {
  command: ['command', 'args', 'env', 'inheritEnv'],
  url: ['url', 'transport', 'headers', 'credentials'],
  example: ['example'],
} as const
type Kind = keyof typeof KINDS
const KIND_NAMES = Object.keys(KINDS) as Kind[]

const MODES = ['shared', 'per-session'] as const
const URL_TRANSPORTS: readonly UrlTransport[] = ['streamable-http', 'sse', 'websocket']
const SCHEMES: Record<UrlTransport, readonly string[]> = {
  'streamable-http': ['http:', 'https:'],
  sse: ['http:', 'https:'],
  websocket: ['ws:', 'wss:'],
}
const EXAMPLES: readonly ExampleFlavour[] = EXAMPLE_FLAVOURS
const SIMPLE_BALANCE = [
  'round-robin',
  'weighted-round-robin',
  'least-inflight',
  'random',
  'power-of-two',
] as const
const KEYED_BALANCE = ['consistent-hash', 'sticky-split'] as const
const HASH_KEYS = ['session', 'principal', 'client-address'] as const
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** RFC 9110 §5.1 field names. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * The `upstreams` object: at least one entry, each a command, url or example
 * upstream, with replica names that collide with no other upstream's.
 */
export function checkUpstreams(
  value: unknown,
  problems: Problems,
): Record<string, UpstreamConfig> | undefined {
  if (value === undefined) return problems.add('upstreams', 'is required')
  const map = record(value, 'upstreams', problems)
  if (map === undefined) return undefined
  const names = Object.keys(map)
  if (names.length === 0) return problems.add('upstreams', 'needs at least one upstream')
  const entries: [string, UpstreamConfig][] = []
  for (const name of names) {
    const path = at('upstreams', name)
    if (!NAME.test(name)) problems.add(path, `the name ${NAME_RULE}`)
    else {
      const upstream = checkUpstream(map[name], path, name, problems)
      if (upstream) entries.push([name, upstream])
    }
  }
  checkReplicaNames(entries, problems)
  checkPrefixes(entries, problems)
  return Object.fromEntries(entries)
}

/**
 * Two upstreams under one namespace cannot be told apart by a name's prefix:
 * which one a name not yet listed goes to would be an accident of order.
 */
function checkPrefixes(entries: [string, UpstreamConfig][], problems: Problems): void {
  const owner = new Map<string, string>()
  for (const [name, { entry }] of entries) {
    const prefix = entry.namespace === true ? name : entry.namespace
    if (typeof prefix !== 'string') continue
    const other = owner.get(prefix)
    if (other === undefined) owner.set(prefix, name)
    else {
      const path = at(at('upstreams', name), 'namespace')
      problems.add(path, `"${prefix}" is already the namespace of upstream "${other}"`)
    }
  }
}

function checkReplicaNames(entries: [string, UpstreamConfig][], problems: Problems): void {
  const owner = new Map(entries.map(([name]) => [name, name]))
  for (const [name, upstream] of entries) {
    if (upstream.replicas.length === 1) continue
    for (const replica of upstream.replicas) {
      const other = owner.get(replica)
      if (other === undefined) owner.set(replica, name)
      else {
        const path = at(at('upstreams', name), 'replicas')
        problems.add(path, `replica name "${replica}" is taken by upstream "${other}"`)
      }
    }
  }
}

function checkUpstream(
  value: unknown,
  path: string,
  name: string,
  problems: Problems,
): UpstreamConfig | undefined {
  if (!isObject(value)) return problems.add(path, `must be an object, got ${shown(value)}`)
  const kinds = KIND_NAMES.filter((kind) => value[kind] !== undefined)
  if (kinds.length !== 1) {
    const given = kinds.length ? ` (got ${kinds.join(' and ')})` : ''
    return problems.add(path, `needs exactly one of command, url or example${given}`)
  }
  const kind = kinds[0]!
  // A key of another kind says what was meant; say it back rather than "unknown key".
  const foreign = ([key]: [string, unknown]) => (ownerOf(key) ?? kind) !== kind
  for (const [key] of Object.entries(value).filter(foreign)) {
    const owner = ownerOf(key)!
    problems.add(at(path, key), `only ${ARTICLE[owner]} ${owner} upstream takes ${key}`)
  }
  const rest = Object.fromEntries(Object.entries(value).filter((pair) => !foreign(pair)))
  const own = object(rest, path, problems, [...COMMON, ...KINDS[kind]])!
  const source = checkSource(kind, own, path, problems)
  return checkCommon(own, path, name, source, problems)
}

const ARTICLE: Record<Kind, string> = { command: 'a', url: 'a', example: 'an' }
const ownerOf = (key: string): Kind | undefined =>
  KIND_NAMES.find((kind) => (KINDS[kind] as readonly string[]).includes(key))

function checkSource(
  kind: Kind,
  value: Record<string, unknown>,
  path: string,
  problems: Problems,
): UpstreamSource | undefined {
  if (kind === 'example') {
    const example = oneOf(value.example, at(path, 'example'), problems, EXAMPLES)
    return example && { kind, example }
  }
  if (kind === 'command') {
    const command = string(value.command, at(path, 'command'), problems)
    const args = strings(value.args, at(path, 'args'), problems) ?? []
    const envRule = 'must be a variable name (letters, digits and _, not starting with a digit)'
    const env = stringMap(value.env, at(path, 'env'), problems, ENV_NAME, envRule) ?? {}
    const inheritEnv = strings(value.inheritEnv, at(path, 'inheritEnv'), problems) ?? []
    inheritEnv.forEach((variable, i) => {
      if (!ENV_NAME.test(variable)) problems.add(at(at(path, 'inheritEnv'), i), envRule)
    })
    return command === undefined ? undefined : { kind, command, args, env, inheritEnv }
  }
  const transport =
    oneOf(value.transport, at(path, 'transport'), problems, URL_TRANSPORTS) ?? 'streamable-http'
  const url = checkUrl(value.url, at(path, 'url'), transport, problems)
  const headerRule = 'must be an HTTP header name'
  const headers = stringMap(value.headers, at(path, 'headers'), problems, HEADER_NAME, headerRule)
  const where = at(path, 'credentials')
  const credentials = checkCredentials(value.credentials, where, transport, headers, problems)
  if (url === undefined) return undefined
  return { kind, url, transport, headers: headers ?? {}, ...(credentials && { credentials }) }
}

function checkUrl(
  value: unknown,
  path: string,
  transport: UrlTransport,
  problems: Problems,
): string | undefined {
  const text = string(value, path, problems)
  if (text === undefined) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // Not shown: a URL may carry credentials.
    return problems.add(path, 'is not a URL')
  }
  const schemes = SCHEMES[transport]
  if (!schemes.includes(url.protocol)) {
    const allowed = schemes.join(' or ')
    return problems.add(path, `must be a URL with scheme ${allowed} for transport '${transport}'`)
  }
  return text
}

function checkCommon(
  value: Record<string, unknown>,
  path: string,
  name: string,
  source: UpstreamSource | undefined,
  problems: Problems,
): UpstreamConfig | undefined {
  const mode = oneOf(value.mode, at(path, 'mode'), problems, MODES) ?? 'per-session'
  const pool = checkPool(value.pool, at(path, 'pool'), problems)
  if (value.pool !== undefined && value.mode !== undefined) {
    problems.add(
      at(path, 'mode'),
      'an upstream with a pool takes no mode of its own: use pool.mode',
    )
  }
  const timeout = number(value.timeout, at(path, 'timeout'), problems, { min: 0 }) ?? 60_000
  const connectTimeout = number(value.connectTimeout, at(path, 'connectTimeout'), problems, {
    min: 1,
    integer: true,
  })
  const priority = number(value.priority, at(path, 'priority'), problems)
  const count = number(value.replicas, at(path, 'replicas'), problems, {
    min: 1,
    max: MAX_REPLICAS,
    integer: true,
  })
  const namespace = checkNamespace(value.namespace, at(path, 'namespace'), problems)
  const balance = checkBalance(value.balance, at(path, 'balance'), problems)
  if (source === undefined) return undefined
  const replicas =
    count === undefined || count === 1
      ? [name]
      : Array.from({ length: count }, (_, i) => `${name}-${i + 1}`)
  const entry: UpstreamEntry = {
    replicas,
    ...(namespace !== undefined && { namespace }),
    ...(priority !== undefined && { priority }),
    ...(balance !== undefined && { balance }),
  }
  const common = { source, timeout, replicas, entry, ...(connectTimeout && { connectTimeout }) }
  if (value.pool !== undefined) return pool && { ...common, pool }
  return { ...common, mode }
}

function checkNamespace(
  value: unknown,
  path: string,
  problems: Problems,
): string | boolean | undefined {
  if (typeof value === 'string') return NAME.test(value) ? value : problems.add(path, NAME_RULE)
  return boolean(value, path, problems)
}

/** A strategy name, or `{ type: 'consistent-hash' | 'sticky-split', key }`. */
function checkBalance(
  value: unknown,
  path: string,
  problems: Problems,
): BalanceStrategy | undefined {
  if (value === undefined || typeof value === 'string') {
    return oneOf(value, path, problems, SIMPLE_BALANCE)
  }
  const strategy = object(value, path, problems, ['type', 'key'])
  if (strategy === undefined) return undefined
  const type = oneOf(strategy.type, at(path, 'type'), problems, KEYED_BALANCE)
  if (strategy.type === undefined) problems.add(at(path, 'type'), 'is required')
  const key = checkHashKey(strategy.key, at(path, 'key'), problems)
  if (strategy.key === undefined) problems.add(at(path, 'key'), 'is required')
  return type && key && { type, key }
}

function checkHashKey(
  value: unknown,
  path: string,
  problems: Problems,
): (typeof HASH_KEYS)[number] | { header: string } | undefined {
  if (value === undefined || typeof value === 'string') {
    return oneOf(value, path, problems, HASH_KEYS)
  }
  const key = object(value, path, problems, ['header'])
  if (key === undefined) return undefined
  if (key.header === undefined) return problems.add(at(path, 'header'), 'is required')
  const header = string(key.header, at(path, 'header'), problems)
  if (header !== undefined && !HEADER_NAME.test(header)) {
    return problems.add(at(path, 'header'), 'must be an HTTP header name')
  }
  return header === undefined ? undefined : { header }
}
