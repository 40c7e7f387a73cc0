// Option checks for the breaker's factories: they run when a factory runs,
// never per call. Each error names the option as the caller wrote it.

/** The longest delay a timer takes (2^31 − 1 ms); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647

/**
 * A refused option: a `TypeError` whose message reads `[@mcpx/breaker]
 * <option> must be <rule>`, with the parts as fields, so that a config
 * checker can report it under its own path without parsing the message.
 */
export interface OptionError extends TypeError {
  /** The option as the caller wrote it, dotted: `strategy.failures`; an unknown key's own path (`strategy.window`). */
  readonly option: string
  /** What it must be: `an integer ≥ 1`. */
  readonly rule: string
  /** For an unknown key: the keys allowed beside it. */
  readonly known?: readonly string[]
}

/** Throw an {@link OptionError}; `shown` is how the message names the option (`option` by default). */
export function fail(
  option: string,
  rule: string,
  shown = option,
  known?: readonly string[],
): never {
  const error = new TypeError(`[@mcpx/breaker] ${shown} must be ${rule}`)
  throw Object.assign(error, known === undefined ? { option, rule } : { option, rule, known })
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
  max = Number.POSITIVE_INFINITY,
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
    if (max === Number.POSITIVE_INFINITY) fail(option, `a finite number ≥ ${min}`)
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
 * `option` is the object's path (`''` for a factory's options, which the
 * message calls `label`).
 */
export function options<T extends object>(
  option: string,
  value: T | undefined,
  known: readonly string[],
  label = option,
): Partial<T> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(option, 'an object', label)
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const path = option === '' ? key : `${option}.${key}`
      fail(path, `one of ${known.join(', ')}`, `${label} key "${key}"`, known)
    }
  }
  return value
}
