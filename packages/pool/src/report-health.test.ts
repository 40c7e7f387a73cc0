import { createHealthRegistry } from '@mcpx/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { reportHealth } from './report-health.js'
import { createSupervisor } from './supervisor.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('reportHealth', () => {
  it('says nothing while the first start is under way, then ready', () => {
    const health = createHealthRegistry()
    const supervisor = createSupervisor()
    reportHealth(health, 'files', 'pool', supervisor)
    expect(health.statusOf('files')).toEqual({})
    expect(health.isAvailable('files')).toBe(true)
    supervisor.started()
    supervisor.ready()
    expect(health.statusOf('files')).toEqual({ pool: 'ready' })
  })

  it('marks the upstream unhealthy while backing off and through the restart, ready once it is ready again', () => {
    const health = createHealthRegistry()
    const changes = vi.fn()
    health.onChange(changes)
    const supervisor = createSupervisor({ crashLoop: { failures: 9 } })
    supervisor.ready()
    reportHealth(health, 'files', 'pool', supervisor)
    expect(health.statusOf('files')).toEqual({ pool: 'ready' })
    supervisor.exited(1)
    expect(health.statusOf('files')).toEqual({ pool: 'unhealthy' })
    expect(health.isAvailable('files')).toBe(false)
    vi.runOnlyPendingTimers()
    expect(supervisor.state.kind).toBe('starting')
    expect(health.isAvailable('files')).toBe(false)
    supervisor.started()
    supervisor.ready()
    expect(health.isAvailable('files')).toBe(true)
    expect(changes.mock.calls).toEqual([
      [{ upstream: 'files', available: false }],
      [{ upstream: 'files', available: true }],
    ])
  })

  it('reports failed as unhealthy, under its own writer, beside other writers', () => {
    const health = createHealthRegistry()
    health.report('files', 'breaker', 'half-open')
    const supervisor = createSupervisor({ crashLoop: { failures: 1 } })
    reportHealth(health, 'files', 'pool-0', supervisor)
    supervisor.exited(1)
    expect(supervisor.state.kind).toBe('failed')
    expect(health.statusOf('files')).toEqual({ breaker: 'half-open', 'pool-0': 'unhealthy' })
  })

  it('reports the current state at once when attached to a failed supervisor', () => {
    const health = createHealthRegistry()
    const supervisor = createSupervisor({ crashLoop: { failures: 1 } })
    supervisor.exited(1)
    reportHealth(health, 'files', 'pool', supervisor)
    expect(health.isAvailable('files')).toBe(false)
  })

  it('writes nothing more once disposed, and leaves the last word standing', () => {
    const health = createHealthRegistry()
    const report = vi.spyOn(health, 'report')
    const supervisor = createSupervisor({ crashLoop: { failures: 9 } })
    const reporting = reportHealth(health, 'files', 'pool', supervisor)
    supervisor.exited(1)
    expect(report).toHaveBeenCalledTimes(1)
    reporting.dispose()
    vi.runOnlyPendingTimers()
    supervisor.started()
    supervisor.ready()
    expect(report).toHaveBeenCalledTimes(1)
    expect(health.statusOf('files')).toEqual({ pool: 'unhealthy' })
  })

  it('rejects an empty upstream or writer name', () => {
    const health = createHealthRegistry()
    expect(() => reportHealth(health, '', 'pool', createSupervisor())).toThrow(
      /\[@mcpx\/pool\] reportHealth\(\) upstream/,
    )
    expect(() => reportHealth(health, 'files', '', createSupervisor())).toThrow(TypeError)
  })
})
