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

/** What the package's own code reaches in a registry, beside its public API. */
export interface RegistryInternals {
  readonly maxValues: number
  /** Take one label set from the budget: false when it is spent. */
  take(): boolean
  /** Give `n` label sets back (a reset dropped them). */
  release(n: number): void
  add(block: FamilyBlock): void
  /** Count a message (or a call) whose `label` was folded into `other` in `family`; `label` is `series` for the cap. */
  folded(family: string, label: string): void
  /** Show `family`'s `label` in the folded counter from the start, at 0. */
  foldable(family: string, label: string): void
  /** The count of {@link folded} so far. */
  foldedCount(family: string, label: string): number
  /** Zero the folded counts of `family`. */
  resetFolded(family: string): void
}
