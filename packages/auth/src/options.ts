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

/** A whole-number option within `bound`: a byte limit, a count. */
export function integer(where: string, name: string, value: unknown, bound: Bound): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || !within(value, bound)) {
    throw new TypeError(`[@mcpx/auth] ${where} ${name} must be an integer ${bound}`)
  }
  return value
}
