import { describe, expect, it } from 'vitest'
import { type OptionError, optionChecks } from './option-checks.js'

const { integer, ms, between, fn, options } = optionChecks('@acme/thing')

/** What a check threw, as its fields and message. */
function refusal(check: () => unknown): Partial<OptionError> | undefined {
  try {
    check()
  } catch (error) {
    return { message: (error as Error).message, name: (error as Error).name, ...(error as object) }
  }
  return undefined
}

describe('optionChecks', () => {
  it('returns the value, or the fallback when it is undefined', () => {
    expect(integer('n', 3, 1, 1)).toBe(3)
    expect(integer('n', undefined, 7, 1)).toBe(7)
    expect(ms('wait', undefined, 1_000)).toBe(1_000)
    expect(between('ratio', 0.5, 0.2, 0, 1)).toBe(0.5)
    const f = () => 1
    expect(fn('f', undefined, f)).toBe(f)
  })

  it('refuses with a TypeError under its scope, the option and the rule as fields', () => {
    expect(refusal(() => integer('strategy.failures', 0, 5, 1))).toEqual({
      name: 'TypeError',
      message: '[@acme/thing] strategy.failures must be an integer ≥ 1',
      option: 'strategy.failures',
      rule: 'an integer ≥ 1',
    })
    expect(refusal(() => between('factor', 0.5, 2, 1))?.rule).toBe('a finite number ≥ 1')
    expect(refusal(() => ms('wait', 2 ** 31, 1))?.option).toBe('wait')
  })

  it('refuses an unknown key with its path and the keys allowed, and names a factory’s options by its label', () => {
    expect(refusal(() => options('', { limt: 1 }, ['limit'], 'thing() options'))).toMatchObject({
      message: '[@acme/thing] thing() options key "limt" must be one of limit',
      option: 'limt',
      known: ['limit'],
    })
    expect(refusal(() => options('backoff', { delay: 1 }, ['baseDelay']))).toMatchObject({
      message: '[@acme/thing] backoff key "delay" must be one of baseDelay',
      option: 'backoff.delay',
    })
    expect(refusal(() => options('', 'fast' as never, ['limit'], 'thing() options'))?.message).toBe(
      '[@acme/thing] thing() options must be an object',
    )
  })
})
