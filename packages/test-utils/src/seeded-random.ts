/**
 * mulberry32: a tiny seeded PRNG uniform in [0, 1), so that a test's random
 * choices (balancers, injected faults) repeat from run to run.
 *
 * @example
 * ```ts
 * const random = seededRandom(7)
 * random() // the same first number on every run
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
