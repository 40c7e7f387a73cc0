// Option checks shared by the pool's factories; they run when a factory runs,
// never per lease. Each error names the option as the caller wrote it.

const fail = (option: string, rule: string): never => {
  throw new TypeError(`[@mcpx/pool] ${option} must be ${rule}`)
}

/** `value ?? fallback` if it is an integer ≥ `min` (milliseconds, counts), else a TypeError naming `option`. */
export function integer(option: string, value: unknown, fallback: number, min = 0): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    fail(option, `an integer ≥ ${min}`)
  }
  return v as number
}

/** The longest delay a timer takes (2^31 − 1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647

/** `value ?? fallback` if it is a whole number of ms from `min` to the longest timer, else a TypeError naming `option`. */
export function ms(option: string, value: unknown, fallback: number, min = 0): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > MAX_TIMER_MS) {
    fail(option, `a whole number of ms from ${min} to ${MAX_TIMER_MS} (the longest timer)`)
  }
  return v as number
}

/** Refuse a key of `value` that is not in `known` (a misspelt option would be ignored). */
export function knownKeys<T extends object>(
  option: string,
  value: T,
  known: ReadonlySet<string>,
): T {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new TypeError(`[@mcpx/pool] unknown option ${option}${key}`)
  }
  return value
}

/** `value ?? fallback` if it is a finite number within `[min, max]`, else a TypeError naming `option`. */
export function between(
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.POSITIVE_INFINITY,
): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    fail(
      option,
      max === Number.POSITIVE_INFINITY ? `a number ≥ ${min}` : `between ${min} and ${max}`,
    )
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

/** `value` if it is undefined or a plain object, else a TypeError naming `option`. */
export function object<T extends object>(option: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(option, 'an object')
  return value
}

/** `value ?? fallback` if it is one of `allowed`, else a TypeError listing them. */
export function oneOf<T extends string>(
  option: string,
  value: unknown,
  fallback: T,
  allowed: readonly T[],
): T {
  const v = value ?? fallback
  if (!allowed.includes(v as T)) fail(option, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`)
  return v as T
}
