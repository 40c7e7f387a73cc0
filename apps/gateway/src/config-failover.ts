import { failover } from '@mcpx/breaker'
import { at, boolean, isObject, type Problems, strings } from './check.js'
import type { FailoverConfig, UpstreamConfig } from './config-types.js'

/** What a backup cannot use: it is not routed. */
const ROUTING = ['namespace', 'priority', 'balance'] as const

/** Each upstream's `failover`, `backup` and `idempotentTools` as written, each checked on its own. */
interface Declared {
  failover?: string[]
  backup?: boolean
  idempotentTools?: string[]
}

/**
 * The upstreams' `failover` lists (names of other upstreams of the file),
 * `backup` flags and `idempotentTools`, checked against each other, and the
 * lists `failover()` takes. `failover()` keys on the names `forward()`
 * knows, the replicas: a replica's backups are its siblings, then every
 * replica of each `failover` upstream, in order. Returns the upstreams that
 * are backups only, which the router must not be given.
 */
export function checkFailover(
  file: unknown,
  upstreams: Record<string, UpstreamConfig> | undefined,
  problems: Problems,
): { failover: FailoverConfig; backups: string[] } {
  const empty = { failover: { backups: {}, guarded: [], idempotentTools: {} }, backups: [] }
  if (!isObject(file)) return empty
  const declared = new Map<string, Declared>()
  for (const [name, value] of Object.entries(file)) {
    if (isObject(value)) declared.set(name, declaredOf(value, at('upstreams', name), problems))
  }
  const backups = [...declared].filter(([, d]) => d.backup === true).map(([name]) => name)
  const before = problems.list.length
  checkLists(file, declared, backups, problems)
  if (backups.length > 0 && backups.length === Object.keys(file).length) {
    problems.add('upstreams', 'needs at least one upstream that is not a backup')
  }
  if (!upstreams || problems.list.length > before) return { ...empty, backups }
  return { failover: built(declared, upstreams, problems), backups }
}

function declaredOf(value: Record<string, unknown>, path: string, problems: Problems): Declared {
  const list = strings(value.failover, at(path, 'failover'), problems)
  if (list?.length === 0)
    problems.add(at(path, 'failover'), 'must be a non-empty array of upstream names')
  return {
    failover: list?.length ? list : undefined,
    backup: boolean(value.backup, at(path, 'backup'), problems),
    idempotentTools: strings(value.idempotentTools, at(path, 'idempotentTools'), problems),
  }
}

/** Each list names other upstreams, once each; a backup is named by one and routes nothing itself. */
function checkLists(
  file: Record<string, unknown>,
  declared: Map<string, Declared>,
  backups: readonly string[],
  problems: Problems,
): void {
  const named = new Set<string>()
  for (const [name, { failover: list = [] }] of declared) {
    list.forEach((backup, i) => {
      const where = at(at(at('upstreams', name), 'failover'), i)
      if (backup === name) problems.add(where, 'names the upstream itself')
      else if (!(backup in file)) problems.add(where, `names no upstream: "${backup}"`)
      else if (list.indexOf(backup) !== i) problems.add(where, `names "${backup}" twice`)
      else named.add(backup)
    })
  }
  for (const name of backups) {
    const path = at('upstreams', name)
    const entry = file[name] as Record<string, unknown>
    if (!named.has(name)) problems.add(at(path, 'backup'), "no upstream's failover names it")
    if (declared.get(name)?.failover) {
      // failover() is not transitive: a backup's own list would never be read.
      problems.add(
        at(path, 'failover'),
        "a backup's messages come from failover, which does not chain: list further backups in the primary's failover",
      )
    }
    for (const key of ROUTING) {
      if (entry[key] !== undefined)
        problems.add(at(path, key), `a backup is not routed: ${key} does nothing`)
    }
  }
}

/** The lists by replica, then `failover()` run once on them, as the stack will. */
function built(
  declared: Map<string, Declared>,
  upstreams: Record<string, UpstreamConfig>,
  problems: Problems,
): FailoverConfig {
  const config: FailoverConfig = { backups: {}, guarded: [], idempotentTools: {} }
  for (const [name, { failover: list, idempotentTools }] of declared) {
    const replicas = upstreams[name]?.replicas
    if (!replicas) continue
    if (idempotentTools)
      for (const replica of replicas) config.idempotentTools[replica] = idempotentTools
    if (!list) continue
    const further = list.flatMap((backup) => upstreams[backup]?.replicas ?? [])
    // Each replica starts with the sibling after it, so that its backups' load is spread.
    replicas.forEach((replica, i) => {
      config.backups[replica] = [...replicas.slice(i + 1), ...replicas.slice(0, i), ...further]
    })
    config.guarded.push(replicas)
  }
  try {
    failover({ backups: config.backups })
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    problems.add('upstreams', error.message.replace('[@mcpx/breaker] ', ''))
  }
  return config
}
