// The transformers' option checks: core's, under their own name.
// Each is a const with its type written out: TypeScript narrows after a call to `fail` (never) only then.
import { MAX_TIMER_MS, type OptionChecks, optionChecks } from '@mcpx/core'

const checks: OptionChecks = optionChecks('@mcpx/transformers')

export { MAX_TIMER_MS }
export const fail: OptionChecks['fail'] = checks.fail
export const integer: OptionChecks['integer'] = checks.integer
export const ms: OptionChecks['ms'] = checks.ms
export const between: OptionChecks['between'] = checks.between
export const fn: OptionChecks['fn'] = checks.fn
export const options: OptionChecks['options'] = checks.options

/** `value ?? fallback` if it is a boolean. */
export function flag(option: string, value: unknown, fallback: boolean): boolean {
  if (value !== undefined && typeof value !== 'boolean') fail(option, 'a boolean')
  return value ?? fallback
}
