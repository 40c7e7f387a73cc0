/**
 * One block of the exposition. `names` are the metric names it owns, taken
 * when it is added; `write` appends its lines. A block whose names are
 * known only at scrape time (the stats sources) skips any in `taken` and
 * adds the ones it writes.
 */
export interface FamilyBlock {
  readonly names: readonly string[]
  write(out: string[], taken: Set<string>): void
}

/** One row of `mcpx_label_values_folded_total`. */
export interface FoldCount {
  n: number
}

/** What the package's own code reaches in a registry, beside its public API. */
export interface RegistryInternals {
  readonly maxValues: number
  /** Take one label set from the budget: false when it is spent. */
  take(): boolean
  /** Give `n` label sets back (a reset dropped them). */
  release(n: number): void
  add(block: FamilyBlock): void
  /**
   * The count of messages (or calls) whose `label` was folded into `other`
   * in `family` (`label` is `series` for the cap), shown from the start at 0:
   * the caller adds to `n` itself, with no lookup on the hot path.
   */
  folds(family: string, label: string): FoldCount
}
