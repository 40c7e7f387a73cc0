import type { Balancer } from './balancer.js'
import { pickWeighted } from './pick-weighted.js'

/**
 * A replica drawn at random in proportion to its weight, independently for
 * each message.
 *
 * @param rand - Uniform in [0, 1); inject a seeded generator in tests.
 * @example
 * ```ts
 * const balancer = random() // Math.random
 * balancer.pick([{ name: 'a', weight: 3 }, { name: 'b', weight: 1 }], ctx) // a 3 times in 4
 * ```
 */
export function random(rand: () => number = Math.random): Balancer {
  return {
    pick: (healthy) => healthy[pickWeighted(healthy, rand())]!,
  }
}
