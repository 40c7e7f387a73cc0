import type { Replica } from './balancer.js'

/**
 * The replica that `u` (uniform in [0, 1)) lands on when `healthy` is laid
 * out as consecutive segments as long as their weights. `skip` leaves one
 * index out, for a second draw distinct from the first.
 *
 * @returns The index into `healthy`.
 * @example
 * ```ts
 * pickWeighted([{ name: 'a', weight: 3 }, { name: 'b', weight: 1 }], 0.8) // 1
 * ```
 */
export function pickWeighted(healthy: readonly Replica[], u: number, skip = -1): number {
  let total = 0
  for (let i = 0; i < healthy.length; i++) if (i !== skip) total += healthy[i]!.weight
  let point = u * total
  let last = -1
  for (let i = 0; i < healthy.length; i++) {
    if (i === skip) continue
    last = i
    point -= healthy[i]!.weight
    if (point < 0) return i
  }
  // Rounding can leave `point` a hair above the last segment's end.
  return last
}
