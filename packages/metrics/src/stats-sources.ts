// The proxy's stats sources (core's StatsRegistry: pools, breakers,
// bulkheads, caches, pins) as metric families and as plain numbers. A
// source is read only here, at a scrape or a getStats() call.
import type { StatKind, StatsRegistry, StatsSource } from '@mcpx/core'
import { header, labelPairs, sample } from './exposition.js'
import type { FamilyBlock } from './internals.js'
import { snakeCase } from './names.js'

export interface SourceReading {
  readonly source: StatsSource
  readonly values: Readonly<Record<string, number>>
}

/** Each source's snapshot; a source whose read() throws or returns no object is left out and logged. */
export function readSources(registry: StatsRegistry, log: (line: string) => void): SourceReading[] {
  const readings: SourceReading[] = []
  for (const source of registry.sources()) {
    let why: string
    try {
      const values: unknown = source.read()
      if (typeof values === 'object' && values !== null) {
        readings.push({ source, values: values as Record<string, number> })
        continue
      }
      why = `read() returned ${values === null ? 'null' : typeof values}, not an object`
    } catch (error) {
      why = error instanceof Error ? error.message : 'unknown error'
    }
    // One source's fault costs its own numbers, never the scrape or getStats().
    log(`stats source ${source.kind} "${source.name}" failed to read (${why}); left out`)
  }
  return readings
}

/**
 * `mcpx_<kind>_<snake_case stat>`, and `_total` on a counter: `pool`'s
 * `acquireTimeouts` is `mcpx_pool_acquire_timeouts_total`, `breaker`'s
 * `halfOpen` is `mcpx_breaker_half_open`.
 */
export function statFamilyName(kind: string, stat: string, type: StatKind): string {
  const base = `mcpx_${kind}_${snakeCase(stat)}`
  return type === 'counter' && !base.endsWith('_total') ? `${base}_total` : base
}

interface Pending {
  readonly help: string
  readonly type: StatKind
  readonly lines: string[]
  /** The `name` labels written: a second sample of one would be a duplicate series. */
  readonly labels: Set<string>
}

/**
 * The exposition block of a stats registry: one family per kind and stat,
 * a sample per source labelled `name`. A family whose name another family
 * of the registry has is left out (the registry's own come first), as is a
 * stat that a second source of the kind describes with the other type, and
 * a second sample for one source name (two stats that are one family name).
 */
export function statsBlock(registry: StatsRegistry, log: (line: string) => void): FamilyBlock {
  const names = new Map<string, string>()
  /** Families a duplicate was logged for (once each). */
  const duplicates = new Set<string>()
  const nameOf = (kind: string, stat: string, type: StatKind) => {
    const key = `${kind}\u0000${stat}\u0000${type}`
    let name = names.get(key)
    if (name === undefined) {
      name = statFamilyName(kind, stat, type)
      // Bounded by the sources' describe maps, which are fixed for their lives.
      if (names.size < 10_000) names.set(key, name)
    }
    return name
  }
  return {
    names: [],
    write(out, taken) {
      const families = new Map<string, Pending>()
      for (const { source, values } of readSources(registry, log)) {
        const label = labelPairs(['name'], [source.name])
        for (const [stat, description] of Object.entries(source.describe)) {
          const value = values[stat]
          if (typeof value !== 'number' || !Number.isFinite(value)) continue
          const name = nameOf(source.kind, stat, description.kind)
          let family = families.get(name)
          if (family === undefined) {
            if (taken.has(name)) continue
            family = {
              help: description.help,
              type: description.kind,
              lines: [],
              labels: new Set(),
            }
            families.set(name, family)
          } else if (family.type !== description.kind) {
            continue
          }
          if (family.labels.has(label)) {
            // Two stats that are one family name (`inUse` and `in_use`, or kind `pool` stat
            // `inUse` and kind `pool_in` stat `use`) on one source name: the first one wins.
            if (duplicates.size < 1000 && !duplicates.has(name)) {
              duplicates.add(name)
              log(
                `stats source ${source.kind} "${source.name}": ${stat} is ${name}, which another stat already wrote for this name; left out`,
              )
            }
            continue
          }
          family.labels.add(label)
          family.lines.push(sample(name, label, value))
        }
      }
      for (const [name, family] of families) {
        taken.add(name)
        out.push(header(name, family.help, family.type), ...family.lines)
      }
    },
  }
}

/** kind → name → stat → value, as plain objects. */
export type SourceStats = Readonly<
  Record<string, Readonly<Record<string, Readonly<Record<string, number>>>>>
>

/** The sources' numbers for getStats(), and the sum of the `retries` counters if any source has one. */
export function sourceStats(
  registry: StatsRegistry | undefined,
  log: (line: string) => void,
): { sources: SourceStats; retries: number | undefined } {
  if (registry === undefined) return { sources: {}, retries: undefined }
  const kinds = new Map<string, [string, Record<string, number>][]>()
  let retries: number | undefined
  for (const { source, values } of readSources(registry, log)) {
    const entries = Object.keys(source.describe).flatMap((stat) => {
      const value = values[stat]
      return typeof value === 'number' && Number.isFinite(value) ? [[stat, value] as const] : []
    })
    let names = kinds.get(source.kind)
    if (names === undefined) {
      names = []
      kinds.set(source.kind, names)
    }
    names.push([source.name, Object.fromEntries(entries)])
    const r = values.retries
    if (
      source.describe.retries?.kind === 'counter' &&
      typeof r === 'number' &&
      Number.isFinite(r)
    ) {
      retries = (retries ?? 0) + r
    }
  }
  const sources = Object.fromEntries(
    Array.from(kinds, ([kind, names]) => [kind, Object.fromEntries(names)]),
  )
  return { sources, retries }
}
