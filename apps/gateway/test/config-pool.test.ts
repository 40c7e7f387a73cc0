import { fileURLToPath } from 'node:url'
import { pool as createPool } from '@mcpx/pool'
import { inProcess } from '@mcpx/transports'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'
import { loadConfigFile } from '../src/load-config.js'

const files = { command: 'node', args: ['server.js'] }
const server = () => new McpServer({ name: 'pooled', version: '1.0.0' })

/** The checked `files` upstream of a config whose `files` upstream has these keys. */
function upstreamOf(extra: Record<string, unknown>) {
  const checked = checkConfig({ upstreams: { files: { ...files, ...extra } } })
  if (!checked.ok) throw new Error(checked.problems.join('\n'))
  return checked.config.upstreams.files!
}

/** The problems of a config whose `files` upstream has this `pool` section (and `extra`). */
function problemsOf(pool: unknown, extra: Record<string, unknown> = {}): readonly string[] {
  const checked = checkConfig({ upstreams: { files: { ...files, ...extra, pool } } })
  if (checked.ok) throw new Error('the config was accepted')
  return checked.problems
}

/** A pool section with every option `pool()` takes. */
const EVERY_OPTION = {
  mode: 'per-request',
  min: 2,
  max: 4,
  maxInFlight: 8,
  spares: 1,
  idleTimeout: 60_000,
  maxLifetime: 3_600_000,
  acquireTimeout: 2_000,
  maxWaiting: 16,
  drainTimeout: 5_000,
  leaseIdleTimeout: 120_000,
  quarantine: 1_000,
  onConnectionLost: 'reopen',
  health: {
    pingInterval: 10_000,
    pingTimeout: 1_000,
    pingFailures: 3,
    keepAlive: 20_000,
    http: {
      url: 'http://127.0.0.1:8080/health',
      interval: 5_000,
      timeout: 500,
      healthyThreshold: 1,
      unhealthyThreshold: 2,
    },
  },
  restart: {
    baseDelay: 100,
    maxDelay: 10_000,
    factor: 1.5,
    jitter: 0.5,
    stableAfter: 5_000,
    crashLoop: { failures: 3, windowMs: 30_000 },
  },
}

/** Bad pool sections: what is wrong, the section, the problem the check reports. */
const REFUSED: [string, unknown, string][] = [
  ['a pool that is not an object', 4, 'upstreams.files.pool: must be an object, got 4'],
  [
    'an unknown key',
    { maxInflight: 4 },
    'upstreams.files.pool.maxInflight: unknown key (did you mean maxInFlight?)',
  ],
  [
    'an unknown mode',
    { mode: 'per-call' },
    "upstreams.files.pool.mode: must be one of 'shared', 'per-session', 'per-request', got \"per-call\"",
  ],
  ['max 0', { max: 0 }, 'upstreams.files.pool.max: must be an integer ≥ 1, got 0'],
  ['a fractional min', { min: 1.5 }, 'upstreams.files.pool.min: must be an integer ≥ 0, got 1.5'],
  ['a negative min', { min: -1 }, 'upstreams.files.pool.min: must be an integer ≥ 0, got -1'],
  ['min above max', { min: 3, max: 2 }, 'upstreams.files.pool.min: must be ≤ max (2), got 3'],
  [
    'min above the default max',
    { min: 5 },
    'upstreams.files.pool.min: must be ≤ max (4 by default), got 5',
  ],
  [
    'spares above max',
    { spares: 3, max: 2 },
    'upstreams.files.pool.spares: must be ≤ max (2), got 3',
  ],
  [
    'a count past the safe integers',
    { maxWaiting: 2 ** 60 },
    'upstreams.files.pool.maxWaiting: must be at most 9007199254740991',
  ],
  [
    'maxInFlight 0',
    { maxInFlight: 0 },
    'upstreams.files.pool.maxInFlight: must be an integer ≥ 1, got 0',
  ],
  [
    'a time as a string',
    { acquireTimeout: '2s' },
    'upstreams.files.pool.acquireTimeout: must be an integer ≥ 1, got "2s"',
  ],
  [
    'idleTimeout 0',
    { idleTimeout: 0 },
    'upstreams.files.pool.idleTimeout: must be an integer ≥ 1, got 0',
  ],
  [
    'a time no Node timer can wait',
    { maxLifetime: 2 ** 31 },
    'upstreams.files.pool.maxLifetime: must be at most 2147483647 ms (about 24.8 days), got 2147483648',
  ],
  [
    'a negative drainTimeout',
    { drainTimeout: -1 },
    'upstreams.files.pool.drainTimeout: must be an integer ≥ 0, got -1',
  ],
  [
    'an unknown onConnectionLost',
    { onConnectionLost: 'retry' },
    "upstreams.files.pool.onConnectionLost: must be one of 'end-session', 'reopen', got \"retry\"",
  ],
  [
    "onConnectionLost 'end-session' in a shared pool",
    { onConnectionLost: 'end-session' },
    "upstreams.files.pool.onConnectionLost: 'end-session' needs mode 'per-session'",
  ],
  [
    "onConnectionLost 'end-session' in a per-request pool",
    { mode: 'per-request', onConnectionLost: 'end-session' },
    "upstreams.files.pool.onConnectionLost: 'end-session' needs mode 'per-session'",
  ],
  [
    'an unknown health key',
    { health: { pingEvery: 5 } },
    'upstreams.files.pool.health.pingEvery: unknown key',
  ],
  [
    'pingTimeout 0',
    { health: { pingTimeout: 0 } },
    'upstreams.files.pool.health.pingTimeout: must be an integer ≥ 1, got 0',
  ],
  [
    'pingFailures 0',
    { health: { pingFailures: 0 } },
    'upstreams.files.pool.health.pingFailures: must be an integer ≥ 1, got 0',
  ],
  [
    'an HTTP health check without a url',
    { health: { http: { interval: 1_000 } } },
    'upstreams.files.pool.health.http.url: is required',
  ],
  [
    'an HTTP health url that is not http(s)',
    { health: { http: { url: 'ftp://host/health' } } },
    'upstreams.files.pool.health.http.url: must be an http(s) URL',
  ],
  [
    'an HTTP health threshold of 0',
    { health: { http: { url: 'http://host/health', unhealthyThreshold: 0 } } },
    'upstreams.files.pool.health.http.unhealthyThreshold: must be an integer ≥ 1, got 0',
  ],
  [
    'an unknown restart key',
    { restart: { delay: 5 } },
    'upstreams.files.pool.restart.delay: unknown key',
  ],
  [
    'maxDelay below baseDelay',
    { restart: { baseDelay: 1_000, maxDelay: 100 } },
    'upstreams.files.pool.restart.maxDelay: must be ≥ baseDelay (1000), got 100',
  ],
  [
    'maxDelay below the default baseDelay',
    { restart: { maxDelay: 100 } },
    'upstreams.files.pool.restart.maxDelay: must be ≥ baseDelay (500 by default), got 100',
  ],
  [
    'a factor below 1',
    { restart: { factor: 0.5 } },
    'upstreams.files.pool.restart.factor: must be a number ≥ 1, got 0.5',
  ],
  [
    'a jitter above 1',
    { restart: { jitter: 2 } },
    'upstreams.files.pool.restart.jitter: must be a number from 0 to 1, got 2',
  ],
  [
    'crashLoop failures 0',
    { restart: { crashLoop: { failures: 0 } } },
    'upstreams.files.pool.restart.crashLoop.failures: must be an integer ≥ 1, got 0',
  ],
  [
    'an unknown crashLoop key',
    { restart: { crashLoop: { window: 5 } } },
    'upstreams.files.pool.restart.crashLoop.window: unknown key (did you mean windowMs?)',
  ],
]
/** Refused by the gateway only: pool() ignores unknown keys and takes any timer length. */
const GATEWAY_ONLY = [
  'a pool that is not an object',
  'an unknown key',
  'a time no Node timer can wait',
  'an unknown health key',
  'an unknown restart key',
  'an unknown crashLoop key',
]

describe('the pool section of an upstream', () => {
  it('passes every option on to pool() as written, defaults left to pool()', () => {
    const upstream = upstreamOf({ pool: EVERY_OPTION, timeout: 30_000 })
    expect(upstream.pool).toEqual(EVERY_OPTION)
    expect(upstream.mode).toBeUndefined()
    expect(upstream.timeout).toBe(30_000)
  })

  it('passes a section that pool() accepts whole', async () => {
    const pooled = createPool('files', inProcess(server), upstreamOf({ pool: EVERY_OPTION }).pool!)
    expect(pooled.mode).toBe('per-request')
    await pooled.close()
  })

  it('takes pool: {} as a shared pool with pool() defaults', () => {
    expect(upstreamOf({ pool: {} }).pool).toEqual({})
  })

  it('leaves an upstream without a pool to upstream(), with its mode', () => {
    const upstream = upstreamOf({ mode: 'shared' })
    expect(upstream.pool).toBeUndefined()
    expect(upstream.mode).toBe('shared')
  })

  it('gives every replica of a pooled upstream the same pool options', () => {
    const upstream = upstreamOf({ pool: { min: 1, max: 1 }, replicas: 2 })
    expect(upstream.replicas).toEqual(['files-1', 'files-2'])
    expect(upstream.pool).toEqual({ min: 1, max: 1 })
  })

  it('accepts examples/gateway-pool.yaml', async () => {
    const path = fileURLToPath(new URL('../examples/gateway-pool.yaml', import.meta.url))
    const checked = checkConfig(await loadConfigFile(path))
    expect(checked.ok && checked.config.upstreams.math!.pool).toMatchObject({
      mode: 'per-request',
    })
  })

  it.each(REFUSED)('refuses %s, naming its path', (_what, pool, message) => {
    expect(problemsOf(pool)).toContainEqual(expect.stringContaining(message))
  })

  // The check restates pool()'s rules; this keeps the two from drifting apart.
  it.each(REFUSED.filter(([what]) => !GATEWAY_ONLY.includes(what)))(
    'agrees with pool(), which refuses %s too',
    (_what, pool) => {
      expect(() => createPool('files', inProcess(server), pool as never)).toThrow(TypeError)
    },
  )

  it('refuses a mode beside a pool: the mode is pool.mode', () => {
    expect(problemsOf({ mode: 'shared' }, { mode: 'shared' })).toEqual([
      'upstreams.files.mode: an upstream with a pool takes no mode of its own: use pool.mode',
    ])
  })

  it('reports every problem of a pool section at once', () => {
    expect(problemsOf({ max: 0, acquireTimeout: -5, restart: { jitter: -1 } })).toEqual([
      'upstreams.files.pool.max: must be an integer ≥ 1, got 0',
      'upstreams.files.pool.acquireTimeout: must be an integer ≥ 1, got -5',
      'upstreams.files.pool.restart.jitter: must be a number from 0 to 1, got -1',
    ])
  })
})
