// Option checks for a package's factories: they run when a factory runs,
// never per call. Each error names the option as the caller wrote it, and
// carries the parts as fields (OptionError) for a config checker.

/** The longest delay a timer takes (2^31 − 1 ms); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647

/**
 * A refused option: a `TypeError` whose message reads `[<package>] <option>
 * must be <rule>`, with the parts as fields, so that a config
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

/** What {@link optionChecks} returns: each check returns the value (or its fallback) or throws an {@link OptionError}. */
export interface OptionChecks {
  /** Throw an {@link OptionError}; `shown` is how the message names the option (`option` by default). */
  fail(option: string, rule: string, shown?: string, known?: readonly string[]): never
  /** `value ?? fallback` if it is an integer from `min` to `max`. */
  integer(option: string, value: unknown, fallback: number, min: number, max?: number): number
  /** `value ?? fallback` if it is a whole number of ms from `min` to the longest timer. */
  ms(option: string, value: unknown, fallback: number, min?: number): number
  /** `value ?? fallback` if it is a finite number in `[min, max]` (`(min, max]` when `openMin`). */
  between(
    option: string,
    value: unknown,
    fallback: number,
    min: number,
    max?: number,
    openMin?: boolean,
  ): number
  /** `value ?? fallback` if it is a function. */
  fn<F extends (...args: never[]) => unknown>(option: string, value: unknown, fallback: F): F
  /**
   * `value` (`{}` when undefined) if it is a plain object whose keys are all
   * in `known`: a misspelt option would otherwise be ignored. `option` is the
   * object's path (`''` for a factory's own options, which the message calls `label`).
   */
  options<T extends object>(
    option: string,
    value: T | undefined,
    known: readonly string[],
    label?: string,
  ): Partial<T>
}

/**
 * The option checks of one package, whose errors read `[scope] <option>
 * must be <rule>`.
 *
 * @example
 * ```ts
 * const { integer, options } = optionChecks('@acme/mcp-audit')
 * const o = options('', userOptions, ['maxEntries'], 'audit() options')
 * const maxEntries = integer('maxEntries', o.maxEntries, 1000, 1)
 * ```
 */
export function optionChecks(scope: string): OptionChecks {
  /** Throw an {@link OptionError}; `shown` is how the message names the option (`option` by default). */
  function fail(option: string, rule: string, shown = option, known?: readonly string[]): never {
    const error = new TypeError(`[${scope}] ${shown} must be ${rule}`)
    throw Object.assign(error, known === undefined ? { option, rule } : { option, rule, known })
  }

  /** `value ?? fallback` if it is an integer from `min` to `max`, else a TypeError naming `option`. */
  function integer(
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
        max === Number.MAX_SAFE_INTEGER
          ? `an integer ≥ ${min}`
          : `an integer from ${min} to ${max}`,
      )
    }
    return v as number
  }

  /** `value ?? fallback` if it is a whole number of ms from `min` to the longest timer, else a TypeError. */
  function ms(option: string, value: unknown, fallback: number, min = 1): number {
    const v = value ?? fallback
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > MAX_TIMER_MS) {
      fail(option, `a whole number of ms from ${min} to ${MAX_TIMER_MS} (the longest timer)`)
    }
    return v as number
  }

  /** `value ?? fallback` if it is a finite number in `[min, max]` (`(min, max]` when `openMin`), else a TypeError. */
  function between(
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
      if (max === Number.POSITIVE_INFINITY) {
        fail(option, openMin ? `a finite number > ${min}` : `a finite number ≥ ${min}`)
      }
      fail(option, openMin ? `a number > ${min} and ≤ ${max}` : `a number from ${min} to ${max}`)
    }
    return v as number
  }

  /** `value ?? fallback` if it is a function, else a TypeError naming `option`. */
  function fn<F extends (...args: never[]) => unknown>(
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
  function options<T extends object>(
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

  return { fail, integer, ms, between, fn, options }
}
