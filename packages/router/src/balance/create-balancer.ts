import type { Balancer, BalanceStrategy, Replica } from './balancer.js'
import { consistentHash } from './consistent-hash.js'
import { custom } from './custom.js'
import { describeValue } from './describe-value.js'
import { leastInflight } from './least-inflight.js'
import { powerOfTwo } from './power-of-two.js'
import { random } from './random.js'
import { roundRobin } from './round-robin.js'
import { stickySplit } from './sticky-split.js'
import { weightedRoundRobin } from './weighted-round-robin.js'

/** What {@link createBalancer} takes besides the strategy, the replicas and the group. */
export interface BalancerOptions {
  /**
   * Uniform in [0, 1), for `random`, `power-of-two` and keyless messages of
   * the sticky strategies. Inject a seeded generator in tests.
   *
   * @defaultValue `Math.random`
   */
  random?: () => number
}

type NamedStrategy = Extract<BalanceStrategy, string>
type TypedStrategy = Exclude<BalanceStrategy, string>

const NAMED: readonly NamedStrategy[] = [
  'round-robin',
  'weighted-round-robin',
  'least-inflight',
  'random',
  'power-of-two',
]
const TYPED: readonly TypedStrategy['type'][] = ['consistent-hash', 'sticky-split', 'custom']
const VALID = [...NAMED.map((s) => `'${s}'`), ...TYPED.map((t) => `{ type: '${t}' }`)].join(', ')

/**
 * The balancer for one group. Validates the strategy, the replicas and the
 * options now, with a TypeError naming the group, so a bad configuration
 * fails at startup rather than on the first message.
 *
 * @param strategy - How to spread messages; see {@link BalanceStrategy}.
 * @param replicas - The whole group, in declaration order (non-empty, unique names, weights `> 0`).
 * @param group - The group's name, for error messages.
 * @example
 * ```ts
 * const balancer = createBalancer(
 *   'weighted-round-robin',
 *   [{ name: 'search-1', weight: 2 }, { name: 'search-2', weight: 1 }],
 *   'search',
 * )
 * const replica = balancer.pick(healthyReplicas, ctx)
 * ```
 */
export function createBalancer(
  strategy: BalanceStrategy,
  replicas: readonly Replica[],
  group: string,
  options: BalancerOptions = {},
): Balancer {
  validateReplicas(replicas, group)
  const rand = options.random ?? Math.random
  if (typeof rand !== 'function') {
    throw new TypeError(`[@mcpx/router] group "${group}": options.random must be a function`)
  }
  // A copy: later changes to the caller's objects do not reach the balancer's state.
  const list = replicas.map(({ name, weight }) => ({ name, weight }))
  if (typeof strategy === 'string' && NAMED.includes(strategy)) return named(strategy, list, rand)
  if (typeof strategy === 'object' && strategy !== null && TYPED.includes(strategy.type)) {
    return typed(strategy, list, group, rand)
  }
  throw new TypeError(
    `[@mcpx/router] group "${group}": unknown balance strategy ${describeValue(strategy)}; ` +
      `expected one of ${VALID}`,
  )
}

function named(strategy: NamedStrategy, list: Replica[], rand: () => number): Balancer {
  switch (strategy) {
    case 'round-robin':
      return roundRobin(list)
    case 'weighted-round-robin':
      return weightedRoundRobin(list)
    case 'least-inflight':
      return leastInflight(list)
    case 'random':
      return random(rand)
    case 'power-of-two':
      return powerOfTwo(list, rand)
  }
}

function typed(
  strategy: TypedStrategy,
  list: Replica[],
  group: string,
  rand: () => number,
): Balancer {
  switch (strategy.type) {
    case 'consistent-hash':
      return consistentHash(strategy.key, group, rand)
    case 'sticky-split':
      return stickySplit(list, strategy.key, group, rand)
    case 'custom':
      return custom(strategy.pick, group)
  }
}

function validateReplicas(replicas: readonly Replica[], group: string): void {
  if (!Array.isArray(replicas) || replicas.length === 0) {
    throw new TypeError(`[@mcpx/router] group "${group}": a balancer needs at least one replica`)
  }
  const seen = new Set<string>()
  for (const replica of replicas) {
    const name: unknown = replica?.name
    if (typeof name !== 'string' || name === '' || seen.has(name)) {
      throw new TypeError(
        `[@mcpx/router] group "${group}": replica names must be unique, non-empty strings; ` +
          `got ${describeValue(name)}`,
      )
    }
    seen.add(name)
    const weight: unknown = replica.weight
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      throw new TypeError(
        `[@mcpx/router] group "${group}": replica "${name}" needs a finite weight > 0; ` +
          `got ${describeValue(weight)}`,
      )
    }
  }
}
