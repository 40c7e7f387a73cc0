import { createHealthRegistry } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'
import { DEFAULT_CONFIG } from '../src/default-config.js'
import { resilienceLayers } from '../src/resilience.js'

const upstreams = { files: { command: 'node', args: ['server.js'] } }

/** The checked config of `upstreams` with these top-level sections. */
function configOf(sections: Record<string, unknown>) {
  const checked = checkConfig({ upstreams, ...sections })
  if (!checked.ok) throw new Error(checked.problems.join('\n'))
  return checked.config
}

/** The problems of a config with these top-level sections, which must be refused. */
function problemsOf(sections: Record<string, unknown>): readonly string[] {
  const checked = checkConfig({ upstreams, ...sections })
  if (checked.ok) throw new Error('the config was accepted')
  return checked.problems
}

/** Every option of the four sections. */
const EVERY_OPTION = {
  timeouts: { total: 30_000, perAttempt: 10_000 },
  retry: {
    attempts: 4,
    backoff: { baseDelay: 50, maxDelay: 1_000, factor: 3, jitter: 0.5 },
    maxRetryAfter: 5_000,
    budget: { ratio: 0.1, minRetries: 5, window: 5_000 },
    maxUpstreams: 64,
  },
  breaker: {
    strategy: { kind: 'rate', threshold: 0.25, window: 20_000, minRequests: 10, buckets: 20 },
    openDuration: { baseDelay: 1_000, maxDelay: 60_000, factor: 2, jitter: 0.1 },
    halfOpenProbes: 2,
    halfOpenSuccesses: 2,
    per: 'tool',
    maxCircuits: 256,
  },
  concurrency: { limit: 16, queue: 8, queueTimeout: 500, maxUpstreams: 64 },
}

describe('the timeouts, retry, breaker and concurrency sections', () => {
  it('accepts every option and passes each on as written', () => {
    const config = configOf(EVERY_OPTION)
    expect(config.timeouts).toEqual(EVERY_OPTION.timeouts)
    expect(config.retry).toEqual(EVERY_OPTION.retry)
    expect(config.breaker).toEqual(EVERY_OPTION.breaker)
    expect(config.concurrency).toEqual(EVERY_OPTION.concurrency)
  })

  it('accepts the short forms: a consecutive strategy, an open duration in ms, one timeout', () => {
    const config = configOf({
      timeouts: { perAttempt: 5_000 },
      breaker: { strategy: { failures: 3 }, openDuration: 10_000 },
      retry: {},
      concurrency: { limit: 1 },
    })
    expect(config.breaker).toEqual({ strategy: { failures: 3 }, openDuration: 10_000 })
    expect(config.timeouts).toEqual({ perAttempt: 5_000 })
  })

  it('adds nothing to the stack without the sections, the default config included', () => {
    const health = createHealthRegistry()
    for (const raw of [DEFAULT_CONFIG, { upstreams }]) {
      const checked = checkConfig(raw)
      if (!checked.ok) throw new Error(checked.problems.join('\n'))
      const { timeouts, retry, breaker, concurrency, failover } = checked.config
      expect({ timeouts, retry, breaker, concurrency }).toEqual({
        timeouts: undefined,
        retry: undefined,
        breaker: undefined,
        concurrency: undefined,
      })
      expect(failover).toEqual({ backups: {}, guarded: [], idempotentTools: {} })
      expect(resilienceLayers(checked.config, health)).toEqual([])
    }
  })

  it("stacks the middleware in @mcpx/breaker's order: total deadline, retry, failover, attempt deadline, limit, breaker", () => {
    const checked = checkConfig({
      ...EVERY_OPTION,
      upstreams: {
        files: { ...upstreams.files, failover: ['spare'] },
        spare: { ...upstreams.files, backup: true },
      },
    })
    if (!checked.ok) throw new Error(checked.problems.join('\n'))
    const layers = resilienceLayers(checked.config, createHealthRegistry())
    // The bundled package may suffix a name (`timeout2`): what a stack trace shows.
    expect(layers.map((layer) => layer.name.replace(/\d+$/, ''))).toEqual([
      'timeout',
      'retry',
      'failover',
      'timeout',
      'concurrencyLimit',
      'breaker',
    ])
    for (const layer of layers) (layer as { close?: () => void }).close?.()
  })

  it.each([
    ['timeouts', 30],
    ['retry', 'yes'],
    ['breaker', true],
    ['concurrency', []],
  ])('refuses a %s section that is not an object', (key, value) => {
    expect(problemsOf({ [key]: value })).toEqual([
      `${key}: must be an object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
    ])
  })

  /** Bad sections: what is wrong, the sections, the problems (each under its path). */
  const REFUSED: [string, Record<string, unknown>, string[]][] = [
    [
      'a breaker strategy of 0 failures',
      { breaker: { strategy: { kind: 'consecutive', failures: 0 } } },
      ['breaker.strategy.failures: must be an integer ≥ 1, got 0'],
    ],
    [
      'an unknown strategy kind',
      { breaker: { strategy: { kind: 'ratio', threshold: 0.5 } } },
      ["breaker.strategy.kind: must be 'consecutive' or 'rate', got \"ratio\""],
    ],
    [
      'every bad key of a rate strategy at once',
      { breaker: { strategy: { kind: 'rate', threshold: 0, window: 0, minRequests: 0 } } },
      [
        'breaker.strategy.window: must be a whole number of ms from 1 to 2147483647 (the longest timer), got 0',
        'breaker.strategy.threshold: must be a number > 0 and ≤ 1, got 0',
        'breaker.strategy.minRequests: must be an integer ≥ 1, got 0',
      ],
    ],
    [
      'more buckets than the window has ms',
      { breaker: { strategy: { kind: 'rate', window: 20, buckets: 50 } } },
      ['breaker.strategy.buckets: must be an integer from 1 to 20, got 50'],
    ],
    [
      'a key of the other strategy',
      { breaker: { strategy: { kind: 'consecutive', threshold: 0.5 } } },
      ['breaker.strategy.threshold: unknown key'],
    ],
    [
      'an open duration whose maxDelay is below its baseDelay',
      { breaker: { openDuration: { baseDelay: 1_000, maxDelay: 10 } } },
      ['breaker.openDuration.maxDelay: must be ≥ openDuration.baseDelay, got 10'],
    ],
    [
      'an open duration no timer can wait',
      { breaker: { openDuration: 2 ** 31 } },
      [
        'breaker.openDuration: must be a whole number of ms from 1 to 2147483647 (the longest timer), got 2147483648',
      ],
    ],
    [
      'the other breaker options',
      { breaker: { halfOpenProbes: 0, halfOpenSuccesses: '2', per: 'session', maxCircuits: 1.5 } },
      [
        "breaker.per: must be 'upstream' or 'tool', got \"session\"",
        'breaker.maxCircuits: must be an integer ≥ 1, got 1.5',
        'breaker.halfOpenProbes: must be an integer ≥ 1, got 0',
        'breaker.halfOpenSuccesses: must be an integer ≥ 1, got "2"',
      ],
    ],
    [
      'bad retry options',
      {
        retry: {
          attempts: 0,
          backoff: { baseDelay: -1, factor: 0.5 },
          maxRetryAfter: -1,
          budget: { ratio: -0.1, minRetries: 1.5, window: 5 },
          maxUpstreams: 0,
        },
      },
      [
        'retry.backoff.baseDelay: must be a whole number of ms from 0 to 2147483647 (the longest timer), got -1',
        'retry.attempts: must be an integer ≥ 1, got 0',
        'retry.backoff.factor: must be a finite number ≥ 1, got 0.5',
        'retry.maxRetryAfter: must be a whole number of ms from 0 to 2147483647 (the longest timer), got -1',
        'retry.maxUpstreams: must be an integer ≥ 1, got 0',
        'retry.budget.ratio: must be a finite number ≥ 0, got -0.1',
        'retry.budget.minRetries: must be an integer ≥ 0, got 1.5',
        'retry.budget.window: must be an integer ≥ 10, got 5',
      ],
    ],
    [
      'a retry backoff whose maxDelay is below its baseDelay',
      { retry: { backoff: { baseDelay: 500, maxDelay: 100 } } },
      ['retry.backoff.maxDelay: must be ≥ backoff.baseDelay, got 100'],
    ],
    [
      'a concurrency section without its limit',
      { concurrency: { queue: 4 } },
      ['concurrency.limit: is required'],
    ],
    [
      'bad concurrency options',
      { concurrency: { limit: 0, queue: -1, queueTimeout: 0, maxUpstreams: '8' } },
      [
        'concurrency.limit: must be an integer ≥ 1, got 0',
        'concurrency.queue: must be an integer ≥ 0, got -1',
        'concurrency.queueTimeout: must be a whole number of ms from 1 to 2147483647 (the longest timer), got 0',
        'concurrency.maxUpstreams: must be an integer ≥ 1, got "8"',
      ],
    ],
    [
      'bad timeouts',
      { timeouts: { total: 0, perAttempt: '5s' } },
      [
        'timeouts.total: must be a whole number of ms from 1 to 2147483647, got 0',
        'timeouts.perAttempt: must be a whole number of ms from 1 to 2147483647, got "5s"',
      ],
    ],
    [
      'a per-attempt timeout longer than the total',
      { timeouts: { total: 1_000, perAttempt: 2_000 } },
      ['timeouts.perAttempt: must be ≤ timeouts.total (1000), got 2000'],
    ],
  ]

  it.each(REFUSED)('refuses %s, under its path', (_, sections, expected) => {
    expect(problemsOf(sections)).toEqual(expected)
  })

  it('refuses a null (an empty YAML value) rather than taking it as the default, and reports what else is wrong', () => {
    expect(problemsOf({ retry: { attempts: 0, backoff: { baseDelay: null } } })).toEqual([
      'retry.backoff.baseDelay: must not be null (leave the key out for its default)',
      'retry.attempts: must be an integer ≥ 1, got 0',
    ])
    expect(problemsOf({ breaker: { halfOpenProbes: null } })).toEqual([
      'breaker.halfOpenProbes: must not be null (leave the key out for its default)',
    ])
  })

  it('refuses unknown keys, top level and nested, with the nearest known one', () => {
    expect(
      problemsOf({
        timeouts: { perattempt: 5 },
        retry: { attempt: 3, backoff: { jiter: 1 }, budget: { ratios: 0.1 }, isRetryable: 'x' },
        breaker: { stategy: {}, strategy: { failurs: 3 }, openDuration: { base: 1 } },
        concurrency: { limit: 1, queueTimout: 5 },
      }),
    ).toEqual([
      'timeouts.perattempt: unknown key (did you mean perAttempt?)',
      'retry.attempt: unknown key (did you mean attempts?)',
      'retry.isRetryable: unknown key',
      'retry.backoff.jiter: unknown key (did you mean jitter?)',
      'retry.budget.ratios: unknown key (did you mean ratio?)',
      'breaker.stategy: unknown key (did you mean strategy?)',
      'breaker.strategy.failurs: unknown key (did you mean failures?)',
      'breaker.openDuration.base: unknown key',
      'concurrency.queueTimout: unknown key (did you mean queueTimeout?)',
    ])
  })

  it("refuses what a config file cannot give: functions and registries are the gateway's", () => {
    expect(problemsOf({ breaker: { healthRegistry: {}, upstream: 'x', now: 1 } })).toEqual([
      'breaker.healthRegistry: unknown key',
      'breaker.upstream: unknown key',
      'breaker.now: unknown key',
    ])
  })
})
