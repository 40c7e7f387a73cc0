import { describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'

const upstreams = { math: { example: 'math' } }

function checked(metrics: unknown, serve?: unknown) {
  return checkConfig({ upstreams, metrics, ...(serve !== undefined && { serve }) })
}

function problemsOf(metrics: unknown, serve?: unknown): readonly string[] {
  const result = checked(metrics, serve)
  if (result.ok) throw new Error('the config was accepted')
  return result.problems
}

describe('the metrics section', () => {
  it('is absent by default: no metrics, as before', () => {
    const result = checkConfig({ upstreams })
    expect(result.ok && result.config.metrics).toBeUndefined()
  })

  it('is on at /metrics when present, every option as written', () => {
    const result = checked({})
    expect(result.ok && result.config.metrics).toEqual({
      enabled: true,
      path: '/metrics',
      options: {},
      accessLog: undefined,
    })
    const every = {
      enabled: true,
      path: '/stats',
      maxUpstreams: 10,
      maxTools: 50,
      maxClients: 0,
      methods: ['vendor/ping'],
      buckets: [0.001, 0.01, 0.1, 1],
      tracing: false,
      accessLog: {
        requests: true,
        errors: true,
        notifications: true,
        health: false,
        arguments: true,
        maxFieldLength: 256,
        maxArgumentsBytes: 1024,
      },
    }
    const full = checked(every)
    expect(full.ok && full.config.metrics).toEqual({
      enabled: true,
      path: '/stats',
      options: {
        maxUpstreams: 10,
        maxTools: 50,
        maxClients: 0,
        methods: ['vendor/ping'],
        buckets: [0.001, 0.01, 0.1, 1],
        tracing: false,
      },
      accessLog: every.accessLog,
    })
  })

  it.each([
    ['an unknown key', { maxTool: 5 }, ['metrics.maxTool: unknown key (did you mean maxTools?)']],
    [
      'an unknown access log key',
      { accessLog: { error: true } },
      ['metrics.accessLog.error: unknown key (did you mean errors?)'],
    ],
    ['a section that is not an object', 'on', ['metrics: must be an object, got "on"']],
    ['enabled not a boolean', { enabled: 'yes' }, [/^metrics\.enabled: must be true or false/]],
    ['a path without /', { path: 'metrics' }, [/^metrics\.path: must start with \//]],
    ['a path with a query', { path: '/m?x=1' }, [/^metrics\.path: must start with \//]],
    ['maxTools of the wrong type', { maxTools: '5' }, [/^metrics\.maxTools: must be .*got "5"$/]],
    ['maxUpstreams below 1', { maxUpstreams: 0 }, [/^metrics\.maxUpstreams: must be .*got 0$/]],
    ['maxClients negative', { maxClients: -1 }, [/^metrics\.maxClients: must be .*got -1$/]],
    ['methods not a list', { methods: 'x' }, [/^metrics\.methods: must be /]],
    [
      'buckets decreasing',
      { buckets: [1, 0.5] },
      ['metrics.buckets[1]: must be greater than the bound before it (1), got 0.5'],
    ],
    ['buckets not numbers', { buckets: ['a'] }, [/^metrics\.buckets/]],
    ['buckets empty', { buckets: [] }, [/^metrics\.buckets: must be /]],
    ['tracing not a boolean', { tracing: 'on' }, [/^metrics\.tracing: must be true or false/]],
    [
      'accessLog.arguments not a boolean',
      { accessLog: { arguments: 'yes' } },
      [/^metrics\.accessLog\.arguments: must be true or false, got "yes"$/],
    ],
    [
      'accessLog.maxFieldLength too small',
      { accessLog: { maxFieldLength: 4 } },
      [/^metrics\.accessLog\.maxFieldLength: must be .*got 4$/],
    ],
    [
      'accessLog.requests not a boolean',
      { accessLog: { requests: 1 } },
      [/^metrics\.accessLog\.requests: must be .*got 1$/],
    ],
    [
      'two problems at once',
      { maxTools: 0, accessLog: { health: 'no' } },
      [/^metrics\.maxTools: /, /^metrics\.accessLog\.health: /],
    ],
  ])('refuses %s under its path', (_, section, expected) => {
    const problems = problemsOf(section)
    expect(problems).toHaveLength(expected.length)
    expected.forEach((line, i) => {
      if (typeof line === 'string') expect(problems[i]).toBe(line)
      else expect(problems[i]).toMatch(line)
    })
  })

  it.each([
    ['the MCP path', { path: '/mcp' }, undefined],
    ['a serve.path of its own', { path: '/rpc' }, { path: '/rpc' }],
    ['the SSE front end', { path: '/sse' }, { transport: 'sse' }],
    ['the SSE messages path', { path: '/messages' }, { transport: 'sse' }],
  ])('refuses a path that clashes with %s', (_, section, serve) => {
    expect(problemsOf(section, serve)).toEqual([
      `metrics.path: ${section.path} is the MCP endpoint's path: choose another`,
    ])
  })

  it.each(['/healthz', '/readyz'])('refuses %s, a health endpoint, as its path', (path) => {
    expect(problemsOf({ path }, undefined)).toEqual([
      `metrics.path: ${path} is the gateway's health endpoint: choose another`,
    ])
  })

  it('lets a disabled section name any path', () => {
    expect(checked({ enabled: false, path: '/mcp' }).ok).toBe(true)
  })
})
