/**
 * Option checks the factories share, run once when a factory runs. `where`
 * opens the message after the package tag: the factory, as its other
 * messages name it (`'jwt()'`, `'clientCredentials():'`).
 */

/** The bound a number option must keep: 0 allowed, or not. */
export type Bound = '>= 0' | '> 0'

const within = (value: number, bound: Bound) => (bound === '> 0' ? value > 0 : value >= 0)

/** A duration option in milliseconds: a finite number within `bound`. */
export function milliseconds(where: string, name: string, value: unknown, bound: Bound): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !within(value, bound)) {
    throw new TypeError(`[@mcpx/auth] ${where} ${name} must be a finite number ${bound}`)
  }
  return value
}

/** A whole-number option within `bound` (and at most `max`, when given): a byte limit, a count. */
export function integer(
  where: string,
  name: string,
  value: unknown,
  bound: Bound,
  max?: number,
): number {
  const ok = typeof value === 'number' && Number.isInteger(value) && within(value, bound)
  if (!ok || (max !== undefined && value > max)) {
    const most = max === undefined ? '' : ` and ≤ ${max}`
    throw new TypeError(`[@mcpx/auth] ${where} ${name} must be an integer ${bound}${most}`)
  }
  return value
}

/**
 * The most entries an in-memory cache may be told to hold: lru-cache
 * allocates its table for `max` when it is made (1,000,000 is ~17 MB), so a
 * larger bound, a typo, would exhaust the heap.
 */
export const MAX_CACHE_ENTRIES = 1_000_000
