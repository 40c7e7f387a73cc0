/**
 * What a number is: a `gauge` goes up and down (connections open now), a
 * `counter` only grows over the source's life (connections ever opened).
 */
export type StatKind = 'gauge' | 'counter'

/**
 * Numbers one package keeps about one named thing (a pool's connections to
 * upstream `files`, a breaker's state for `math-1`), readable by a package
 * that does not import it: `@mcpx/metrics` turns each into a Prometheus
 * family per stat, labelled with `kind` and `name`.
 */
export interface StatsSource {
  /** What reports: 'pool', 'breaker', 'ratelimit', … ([a-z][a-z0-9_]*). */
  readonly kind: string
  /** Which upstream (or other named thing) it reports on. */
  readonly name: string
  /** Each number read() returns: its kind and a one-line help text (Prometheus HELP). Fixed for the source's life. */
  readonly describe: Readonly<Record<string, { readonly kind: StatKind; readonly help: string }>>
  /** A snapshot: finite numbers only, keys exactly those of `describe`. */
  read(): Readonly<Record<string, number>>
}

/**
 * The stats sources of one proxy: pool, breaker, rate limits and caches add
 * theirs, metrics reads them at each scrape. Its size is the number of
 * sources added and not removed, which the configuration bounds.
 */
export interface StatsRegistry {
  /** Register a source; returns a function that removes it (idempotent). A second source with the same kind and name is a TypeError. */
  add(source: StatsSource): () => void
  /** The sources now, in registration order. */
  sources(): readonly StatsSource[]
}

const sourceKind = /^[a-z][a-z0-9_]*$/
// camelCase allowed: a reader turns `acquireTimeouts` into a metric name of its own style.
const statName = /^[a-z][a-zA-Z0-9_]*$/

function fail(problem: string): never {
  throw new TypeError(`[@mcpx/core] stats source ${problem}`)
}

function validate(source: StatsSource): void {
  if (typeof source !== 'object' || source === null) fail('must be an object')
  const { kind, name, describe } = source
  if (typeof kind !== 'string' || !sourceKind.test(kind)) {
    fail(`kind must match ${sourceKind}, got ${JSON.stringify(kind)}`)
  }
  if (typeof name !== 'string' || name === '') fail(`"${kind}" needs a non-empty name`)
  const label = `${kind} "${name}"`
  if (typeof source.read !== 'function') fail(`${label}: read must be a function`)
  if (typeof describe !== 'object' || describe === null || Array.isArray(describe)) {
    fail(`${label}: describe must be an object`)
  }
  for (const [stat, description] of Object.entries(describe)) {
    if (!statName.test(stat))
      fail(`${label}: stat name ${JSON.stringify(stat)} must match ${statName}`)
    const { kind: statKind, help } = (description ?? {}) as Partial<StatsSource['describe'][string]>
    if (statKind !== 'gauge' && statKind !== 'counter') {
      fail(`${label}: stat ${stat} has unknown kind ${JSON.stringify(statKind)} (gauge or counter)`)
    }
    if (typeof help !== 'string' || help === '' || /[\r\n]/.test(help)) {
      fail(`${label}: stat ${stat} needs a one-line help text`)
    }
  }
}

/**
 * Create the stats registry a proxy's pools, breakers and limiters add their
 * sources to and its metrics read. Sources are checked when added; their
 * `read()` is never called here.
 *
 * @example
 * ```ts
 * const stats = createStatsRegistry()
 * const remove = stats.add({
 *   kind: 'pool',
 *   name: 'files',
 *   describe: { inFlight: { kind: 'gauge', help: 'Requests in flight.' } },
 *   read: () => ({ inFlight: 3 }),
 * })
 * for (const source of stats.sources()) console.log(source.kind, source.name, source.read())
 * remove() // on close: the pool no longer reports
 * ```
 */
export function createStatsRegistry(): StatsRegistry {
  // Keyed by kind and name (a kind has no ':', so the key is unambiguous); a Map keeps registration order.
  const entries = new Map<string, { readonly source: StatsSource }>()
  return {
    add(source) {
      validate(source)
      const key = `${source.kind}:${source.name}`
      if (entries.has(key)) {
        fail(`${source.kind} "${source.name}" is already registered`)
      }
      // A fresh entry per add, so that a stale remover never removes a later registration.
      const entry = { source }
      entries.set(key, entry)
      return () => {
        if (entries.get(key) === entry) entries.delete(key)
      }
    },
    sources: () => Array.from(entries.values(), (entry) => entry.source),
  }
}
