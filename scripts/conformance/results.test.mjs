import { describe, expect, it } from 'vitest'
import { parseRunnerOutput, summarizeChecks } from './results.mjs'

describe('summarizeChecks', () => {
  it('passes a scenario whose checks all succeed', () => {
    expect(summarizeChecks([{ id: 'a', status: 'SUCCESS' }]).status).toBe('pass')
  })

  it('marks a scenario with only WARNING checks as warn, not pass', () => {
    const result = summarizeChecks([
      { id: 'a', status: 'SUCCESS' },
      { id: 'b', status: 'WARNING', description: 'should prime SSE' },
    ])
    expect(result).toEqual({
      status: 'warn',
      passed: 1,
      failed: 0,
      warnings: 1,
      messages: ['WARNING b: should prime SSE'],
    })
  })

  it('fails a scenario with any FAILURE check, preferring its error message', () => {
    const result = summarizeChecks([
      { id: 'b', status: 'WARNING', description: 'w' },
      { id: 'c', status: 'FAILURE', description: 'd', errorMessage: 'expected 3 got 2' },
    ])
    expect(result.status).toBe('fail')
    expect(result.messages).toEqual(['WARNING b: w', 'FAILURE c: expected 3 got 2'])
  })
})

describe('parseRunnerOutput', () => {
  it('reads the announced size, the started and the summarized scenarios through ANSI colour', () => {
    const esc = String.fromCharCode(27)
    const stdout = [
      'Running active suite (2 scenarios) against http://127.0.0.1:1/mcp',
      '',
      '=== Running scenario: ping ===',
      '=== Running scenario: tools-list ===',
      `${esc}[32m✓ ping: 1 passed, 0 failed${esc}[0m`,
    ].join('\n')
    expect(parseRunnerOutput(stdout)).toEqual({
      announced: 2,
      started: ['ping', 'tools-list'],
      summarized: new Set(['ping']),
    })
  })

  it('reports no announced size when the runner never started the suite', () => {
    expect(parseRunnerOutput('Error: connect ECONNREFUSED').announced).toBeUndefined()
  })
})
