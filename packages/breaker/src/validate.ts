// Option checks for the breaker's factories: they run when a factory runs,
// never per call. Each error names the option as the caller wrote it.

/** The longest delay a timer takes (2^31 − 1 ms); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647

/** Throw `[@mcpx/breaker] <option> must be <rule>`. */
export function fail(option: string, rule: string): never {
  throw new TypeError(`[@mcpx/breaker] ${option} must be ${rule}`)
}

/** `value ?? fallback` if it is an integer from `min` to `max`, else a TypeError naming `option`. */
export function integer(
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    fail(
      option,
      max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`,
    )
  }
  return v as number
}

/** `value ?? fallback` if it is a whole number of ms from `min` to the longest timer, else a TypeError. */
export function ms(option: string, value: unknown, fallback: number, min = 1): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > MAX_TIMER_MS) {
    fail(option, `a whole number of ms from ${min} to ${MAX_TIMER_MS} (the longest timer)`)
  }
  return v as number
}

/** `value ?? fallback` if it is a finite number in `[min, max]` (`(min, max]` when `openMin`), else a TypeError. */
export function between(
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
  openMin = false,
): number {
  const v = value ?? fallback
  if (
    typeof v !== 'number' ||
    !Number.isFinite(v) ||
    v < min ||
    v > max ||
    (openMin && v === min)
  ) {
    fail(option, openMin ? `a number > ${min} and ≤ ${max}` : `a number from ${min} to ${max}`)
  }
  return v as number
}

/** `value ?? fallback` if it is a function, else a TypeError naming `option`. */
export function fn<F extends (...args: never[]) => unknown>(
  option: string,
  value: unknown,
  fallback: F,
): F {
  const v = value ?? fallback
  if (typeof v !== 'function') fail(option, 'a function')
  return v as F
}

/**
 * `value` (`{}` when undefined) if it is a plain object whose keys are all in
 * `known`, else a TypeError: a misspelt option would otherwise be ignored.
 */
export function options<T extends object>(
  option: string,
  value: T | undefined,
  known: readonly string[],
): Partial<T> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(option, 'an object')
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(`${option} key "${key}"`, `one of ${known.join(', ')}`)
  }
  return value
}
