// Option checks shared by the algorithm factories; they run when a factory
// runs, never per message.

/** `value` if it is a positive finite number, else a TypeError naming the factory and option. */
export function positive(factory: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`[@mcpx/ratelimit] ${factory}() ${option} must be > 0`)
  }
  return value
}

/** `value` if it is an integer ≥ 1 (a window in milliseconds), else a TypeError. */
export function windowLength(factory: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`[@mcpx/ratelimit] ${factory}() windowMs must be an integer ≥ 1`)
  }
  return value
}
