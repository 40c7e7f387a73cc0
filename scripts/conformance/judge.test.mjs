import { describe, expect, it } from 'vitest'
import { judge } from './judge.mjs'

const expectations = {
  scenarios: ['ping', 'tools-list', 'server-sse-polling'],
  expectedFailures: { 'server-sse-polling': 'pending upstream' },
}

/** @param {Record<string, 'pass' | 'warn' | 'fail'>} statuses */
const run = (target, statuses) => ({
  target,
  scenarios: new Map(Object.entries(statuses).map(([name, status]) => [name, { status }])),
})
const direct = (over = {}) =>
  run('direct-http', { ping: 'pass', 'tools-list': 'pass', 'server-sse-polling': 'warn', ...over })
const gateway = (over = {}) =>
  run('gateway-http', { ping: 'pass', 'tools-list': 'pass', 'server-sse-polling': 'warn', ...over })

describe('judge', () => {
  it('passes when every scenario passes except the expected failures', () => {
    expect(judge([direct(), gateway()], expectations)).toEqual({ pass: true, problems: [] })
  })

  it('fails a warning-only scenario on the baseline', () => {
    const verdict = judge([direct({ ping: 'warn' })], expectations)
    expect(verdict.pass).toBe(false)
    expect(verdict.problems).toEqual(['direct-http: ping is warn and not an expected failure'])
  })

  it('fails a scenario missing from a run', () => {
    const partial = gateway()
    partial.scenarios.delete('tools-list')
    expect(judge([direct(), partial], expectations).problems).toEqual([
      'gateway-http: tools-list is missing from the run',
    ])
  })

  it('fails a scenario the suite is not expected to have', () => {
    expect(judge([direct({ 'new-scenario': 'pass' })], expectations).problems).toEqual([
      'direct-http: new-scenario is not an expected scenario of this suite',
    ])
  })

  it('fails a gateway regression: a scenario the baseline passes', () => {
    expect(judge([direct(), gateway({ 'tools-list': 'fail' })], expectations).problems).toEqual([
      'gateway-http: tools-list is fail but direct-http passes it',
    ])
  })

  it('fails a warning-only scenario on a gateway when the baseline passes it', () => {
    expect(judge([direct(), gateway({ ping: 'warn' })], expectations).problems).toEqual([
      'gateway-http: ping is warn but direct-http passes it',
    ])
  })

  it('does not hold a gateway to a scenario the baseline is allowed to fail', () => {
    expect(judge([direct(), gateway({ 'server-sse-polling': 'fail' })], expectations).pass).toBe(
      true,
    )
  })

  it('reports an expected failure that passes as stale', () => {
    expect(judge([direct({ 'server-sse-polling': 'pass' })], expectations).problems).toEqual([
      'direct-http: server-sse-polling passes; remove it from the expected failures',
    ])
  })

  it('judges a gateway against the expectations when the baseline did not run', () => {
    expect(judge([gateway({ ping: 'fail' })], expectations).problems).toEqual([
      'gateway-http: ping is fail but it is expected to pass',
    ])
    expect(judge([gateway()], expectations).pass).toBe(true)
  })

  it('judges a gateway against the expectations when the baseline failed to start', () => {
    const verdict = judge(
      [{ target: 'direct-http', error: 'no LISTENING line\nmore' }, gateway({ ping: 'warn' })],
      expectations,
    )
    expect(verdict.problems).toEqual([
      'direct-http: did not run: no LISTENING line',
      'gateway-http: ping is warn but it is expected to pass',
    ])
  })

  it('fails a skipped target and an incomplete run', () => {
    const verdict = judge(
      [
        { target: 'gateway-stdio', skipped: 'apps/gateway/dist/cli.js does not exist' },
        { ...gateway(), incomplete: 'runner killed after 300 s (--timeout)' },
      ],
      expectations,
    )
    expect(verdict.problems).toEqual([
      'gateway-stdio: skipped: apps/gateway/dist/cli.js does not exist',
      'gateway-http: runner killed after 300 s (--timeout)',
    ])
  })

  it('fails an empty run of a target', () => {
    expect(judge([run('direct-http', {})], expectations).problems).toEqual([
      'direct-http: ping is missing from the run',
      'direct-http: tools-list is missing from the run',
      'direct-http: server-sse-polling is missing from the run',
    ])
  })

  it('uses another baseline target when told', () => {
    const verdict = judge([run('fixture', { ping: 'pass', 'tools-list': 'fail' })], {
      ...expectations,
      scenarios: ['ping', 'tools-list'],
      baseline: 'fixture',
    })
    expect(verdict.problems).toEqual(['fixture: tools-list is fail and not an expected failure'])
  })
})
