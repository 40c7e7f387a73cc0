import { createHealthRegistry } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'
import { routerHealth } from '../src/resilience.js'

const server = { command: 'node', args: ['server.js'] }

/** The checked config of these upstreams (and other sections). */
function configOf(upstreams: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const checked = checkConfig({ upstreams, ...extra })
  if (!checked.ok) throw new Error(checked.problems.join('\n'))
  return checked.config
}

/** The problems of a config of these upstreams (and other sections), which must be refused. */
function problemsOf(upstreams: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const checked = checkConfig({ upstreams, ...extra })
  if (checked.ok) throw new Error('the config was accepted')
  return checked.problems
}

describe("the upstreams' failover, backup and idempotentTools", () => {
  it("lists each replica's siblings, then every replica of each backup, in order", () => {
    const config = configOf({
      search: { ...server, replicas: 3, failover: ['eu', 'us'], idempotentTools: ['find'] },
      eu: { ...server, replicas: 2, backup: true },
      us: { ...server, backup: true, idempotentTools: ['find', 'count'] },
    })
    expect(config.failover).toEqual({
      backups: {
        'search-1': ['search-2', 'search-3', 'eu-1', 'eu-2', 'us'],
        'search-2': ['search-3', 'search-1', 'eu-1', 'eu-2', 'us'],
        'search-3': ['search-1', 'search-2', 'eu-1', 'eu-2', 'us'],
      },
      guarded: [['search-1', 'search-2', 'search-3']],
      idempotentTools: {
        'search-1': ['find'],
        'search-2': ['find'],
        'search-3': ['find'],
        us: ['find', 'count'],
      },
    })
  })

  it('keeps backups out of the router, and the one routed upstream is still its default', () => {
    const config = configOf({
      primary: { ...server, failover: ['spare'] },
      spare: { ...server, backup: true },
    })
    expect(Object.keys(config.router.upstreams)).toEqual(['primary'])
    expect(config.router.default).toBe('primary')
    // forward() still gets the backup's connections.
    expect(Object.keys(config.upstreams)).toEqual(['primary', 'spare'])
  })

  it('lets two routed upstreams back each other up', () => {
    const config = configOf({
      eu: { ...server, namespace: true, failover: ['us'] },
      us: { ...server, namespace: true, failover: ['eu'] },
    })
    expect(config.failover.backups).toEqual({ eu: ['us'], us: ['eu'] })
    expect(Object.keys(config.router.upstreams)).toEqual(['eu', 'us'])
  })

  /** Bad upstreams: what is wrong, the upstreams, the problems. */
  const REFUSED: [string, Record<string, unknown>, string[]][] = [
    [
      'a failover naming no upstream',
      { a: { ...server, failover: ['b'] } },
      ['upstreams.a.failover[0]: names no upstream: "b"'],
    ],
    [
      'a failover naming its own upstream',
      { a: { ...server, failover: ['a'] } },
      ['upstreams.a.failover[0]: names the upstream itself'],
    ],
    [
      'a failover naming one backup twice',
      { a: { ...server, failover: ['b', 'b'] }, b: { ...server, backup: true } },
      ['upstreams.a.failover[1]: names "b" twice'],
    ],
    [
      'an empty failover',
      { a: { ...server, failover: [] } },
      ['upstreams.a.failover: must be a non-empty array of upstream names'],
    ],
    [
      'a failover that is not a list of names',
      { a: { ...server, failover: 'b' } },
      ['upstreams.a.failover: must be an array of strings'],
    ],
    [
      'a backup flag that is not a boolean',
      { a: server, b: { ...server, backup: 'yes' } },
      ['upstreams.b.backup: must be true or false, got "yes"'],
    ],
    [
      'idempotent tools that are not names',
      { a: { ...server, idempotentTools: ['find', ''] } },
      ['upstreams.a.idempotentTools[1]: must be a non-empty string, got ""'],
    ],
    [
      'a backup no failover names',
      { a: server, b: { ...server, backup: true } },
      ["upstreams.b.backup: no upstream's failover names it"],
    ],
    [
      'a backup with routing keys',
      {
        a: { ...server, failover: ['b'] },
        b: { ...server, backup: true, namespace: true, priority: 1, balance: 'random' },
      },
      [
        'upstreams.b.namespace: a backup is not routed: namespace does nothing',
        'upstreams.b.priority: a backup is not routed: priority does nothing',
        'upstreams.b.balance: a backup is not routed: balance does nothing',
      ],
    ],
    [
      'a backup with a failover of its own',
      {
        a: { ...server, failover: ['b'] },
        b: { ...server, backup: true, failover: ['c'] },
        c: { ...server, backup: true },
      },
      [
        "upstreams.b.failover: a backup's messages come from failover, which does not chain: list further backups in the primary's failover",
      ],
    ],
    [
      'nothing but backups',
      { a: { ...server, backup: true, failover: [] } },
      [
        'upstreams.a.failover: must be a non-empty array of upstream names',
        "upstreams.a.backup: no upstream's failover names it",
        'upstreams: needs at least one upstream that is not a backup',
      ],
    ],
  ]

  it.each(REFUSED)('refuses %s, under its path', (_, upstreams, expected) => {
    expect(problemsOf(upstreams)).toEqual(expected)
  })

  it('refuses a route or a router default to a backup', () => {
    const upstreams = { a: { ...server, failover: ['b'] }, b: { ...server, backup: true } }
    expect(
      problemsOf(upstreams, { routes: [{ tools: 'x_*', to: 'b' }], router: { default: 'b' } }),
    ).toEqual([
      'routes[0].to: names "b", a backup: only failover reaches it',
      'router.default: names "b", a backup: only failover reaches it',
    ])
  })
})

describe('routerHealth', () => {
  it('never makes every replica of an upstream with backups unavailable, and skips open ones while some are not', () => {
    const health = createHealthRegistry()
    const view = routerHealth(health, [['a-1', 'a-2']])
    health.report('a-1', 'breaker', 'open')
    expect([view.isAvailable('a-1'), view.isAvailable('a-2')]).toEqual([false, true])
    health.report('a-2', 'breaker', 'open')
    // Both open: the router lets the message through, for failover() below it to reroute.
    expect([view.isAvailable('a-1'), view.isAvailable('a-2')]).toEqual([true, true])
    // An upstream without backups is refused by the router as before.
    health.report('b', 'pool', 'unhealthy')
    expect(view.isAvailable('b')).toBe(false)
    // Reports go to the registry itself: the view writes nothing of its own.
    view.report('a-1', 'breaker', 'ready')
    expect(health.statusOf('a-1')).toEqual({ breaker: 'ready' })
    expect([view.isAvailable('a-1'), view.isAvailable('a-2')]).toEqual([true, false])
  })

  it('is the registry itself when no upstream has backups', () => {
    const health = createHealthRegistry()
    expect(routerHealth(health, [])).toBe(health)
  })
})
