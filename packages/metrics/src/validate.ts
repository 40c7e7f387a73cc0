// The metrics package's option checks: core's, under its own name.
// Each is a const with its type written out: TypeScript narrows after a call to `fail` (never) only then.
import { type OptionChecks, optionChecks } from '@mcpx/core'

const checks: OptionChecks = optionChecks('@mcpx/metrics')

export const fail: OptionChecks['fail'] = checks.fail
export const integer: OptionChecks['integer'] = checks.integer
export const fn: OptionChecks['fn'] = checks.fn
export const options: OptionChecks['options'] = checks.options

/** `value` if it is a non-empty string of at most `max` characters without a line break. */
export function line(option: string, value: unknown, max = 1024): string {
  if (typeof value !== 'string' || value === '' || value.length > max || /[\r\n]/.test(value)) {
    fail(option, `a non-empty one-line string of at most ${max} characters`)
  }
  return value
}
