import { describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'

const base = { upstreams: { math: { example: 'math' } } }

describe('the logging section', () => {
  it('defaults to the auto format at info', () => {
    const checked = checkConfig(base)
    expect(checked.ok && checked.config.logging).toEqual({ format: 'auto', level: 'info' })
  })

  it('takes a format and a pino level', () => {
    const checked = checkConfig({ ...base, logging: { format: 'json', level: 'debug' } })
    expect(checked.ok && checked.config.logging).toEqual({ format: 'json', level: 'debug' })
  })

  it('refuses each bad key under its path', () => {
    const checked = checkConfig({ ...base, logging: { format: 'pretty', level: 3, color: true } })
    expect(checked.ok).toBe(false)
    expect(!checked.ok && checked.problems).toEqual([
      'logging.color: unknown key',
      `logging.format: must be one of 'auto', 'json', 'text', got "pretty"`,
      `logging.level: must be one of 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent', got 3`,
    ])
  })

  it('refuses a logging section that is not an object', () => {
    const checked = checkConfig({ ...base, logging: 'json' })
    expect(!checked.ok && checked.problems).toEqual(['logging: must be an object, got "json"'])
  })
})
