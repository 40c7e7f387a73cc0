// What the attempts middleware counts: `mcpx_upstream_attempts_total{upstream,
// outcome}`, one row of outcome counts per upstream, the upstreams bounded
// as metrics()' are (later ones are `other`), each row one label set of the
// registry's budget.
import { header, labelPairs, sample } from './exposition.js'
import type { FamilyBlock, FoldCount, RegistryInternals } from './internals.js'
import { outcomes } from './outcomes.js'
import { OTHER } from './series-tree.js'

export const ATTEMPTS = 'mcpx_upstream_attempts_total'
const MAX_NAME = 128
const OUTCOME_PAIRS = outcomes.map((o) => `outcome="${o}"`)

export interface AttemptRow {
  readonly upstream: string
  readonly pairs: string
  readonly outcomes: Float64Array
}

export class AttemptCells {
  readonly #inner: RegistryInternals
  readonly #maxUpstreams: number
  #rows = new Map<string, AttemptRow>()
  #other: AttemptRow | undefined
  rows: AttemptRow[] = []
  /** Attempts, and those that sent a target attempted before for the same message. */
  attempts = 0
  retries = 0
  readonly folds: Readonly<Record<'upstream' | 'series', FoldCount>>

  constructor(inner: RegistryInternals, maxUpstreams: number) {
    this.#inner = inner
    this.#maxUpstreams = maxUpstreams
    this.folds = {
      upstream: inner.folds(ATTEMPTS, 'upstream'),
      series: inner.folds(ATTEMPTS, 'series'),
    }
  }

  add(upstream: string, slot: number): void {
    const row = this.#rows.get(upstream) ?? this.#row(upstream)
    ;(row.outcomes[slot] as number)++
  }

  reset(): void {
    this.#inner.release(this.rows.length - (this.#other ? 1 : 0))
    this.#rows = new Map()
    this.#other = undefined
    this.rows = []
    this.attempts = 0
    this.retries = 0
    this.folds.upstream.n = 0
    this.folds.series.n = 0
  }

  #row(upstream: string): AttemptRow {
    if (upstream !== OTHER && upstream.length <= MAX_NAME && this.#rows.size < this.#maxUpstreams) {
      if (this.#inner.take()) {
        const row = this.#make(upstream)
        this.#rows.set(upstream, row)
        return row
      }
      this.folds.series.n++
    } else if (upstream !== OTHER) {
      this.folds.upstream.n++
    }
    this.#other ??= this.#make(OTHER)
    return this.#other
  }

  #make(upstream: string): AttemptRow {
    const row = {
      upstream,
      pairs: labelPairs(['upstream'], [upstream]),
      outcomes: new Float64Array(outcomes.length),
    }
    this.rows.push(row)
    return row
  }

  block(): FamilyBlock {
    return {
      names: [ATTEMPTS],
      write: (out) => {
        out.push(
          header(
            ATTEMPTS,
            'Attempts sent to an upstream (a retry or a failover is one more), by upstream and outcome.',
            'counter',
          ),
        )
        for (const row of this.rows) {
          for (let i = 0; i < row.outcomes.length; i++) {
            const n = row.outcomes[i] as number
            if (n > 0) out.push(sample(ATTEMPTS, `${row.pairs},${OUTCOME_PAIRS[i]}`, n))
          }
        }
      },
    }
  }
}
