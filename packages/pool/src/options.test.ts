import { describe, expect, it } from 'vitest'
import { type PoolOptions, resolvePoolOptions } from './options.js'

describe('resolvePoolOptions', () => {
  it('applies the shared defaults', () => {
    expect(resolvePoolOptions()).toEqual({
      mode: 'shared',
      min: 1,
      max: 4,
      maxInFlight: 32,
      spares: 0,
      idleTimeout: 300_000,
      maxLifetime: 0,
      acquireTimeout: 10_000,
      maxWaiting: 64,
      drainTimeout: 10_000,
      leaseIdleTimeout: 300_000,
      quarantine: 2_000,
      onConnectionLost: 'reopen',
      health: {
        pingInterval: 30_000,
        pingTimeout: 5_000,
        pingFailures: 2,
        keepAlive: 0,
        http: undefined,
      },
      restart: {
        baseDelay: 500,
        maxDelay: 30_000,
        factor: 2,
        jitter: 1,
        stableAfter: 10_000,
        crashLoop: { failures: 5, windowMs: 60_000 },
      },
    })
  })

  it('defaults per mode: per-session ends the session and keeps a spare, per-request reopens', () => {
    expect(resolvePoolOptions({ mode: 'per-session' })).toMatchObject({
      min: 0,
      max: 100,
      spares: 1,
      onConnectionLost: 'end-session',
    })
    expect(resolvePoolOptions({ mode: 'per-request' })).toMatchObject({
      min: 1,
      max: 4,
      spares: 0,
      onConnectionLost: 'reopen',
    })
    expect(resolvePoolOptions({ mode: 'per-session', onConnectionLost: 'reopen' })).toMatchObject({
      onConnectionLost: 'reopen',
    })
  })

  it('keeps 0 as a value and fits the mode defaults under a small max', () => {
    const o = resolvePoolOptions({ mode: 'per-session', max: 1, maxWaiting: 0, spares: 0 })
    expect(o).toMatchObject({ max: 1, maxWaiting: 0, spares: 0, min: 0 })
    expect(resolvePoolOptions({ max: 1 }).min).toBe(1)
    expect(resolvePoolOptions({ min: 0, health: { pingInterval: 0 } })).toMatchObject({
      min: 0,
      health: { pingInterval: 0 },
    })
  })

  it('resolves the HTTP health endpoint with its defaults', () => {
    const o = resolvePoolOptions({
      health: { http: { url: new URL('http://127.0.0.1:8080/healthz') } },
    })
    expect(o.health.http).toEqual({
      url: 'http://127.0.0.1:8080/healthz',
      interval: 10_000,
      timeout: 2_000,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    })
  })

  it('returns a deeply frozen object and leaves the caller’s options alone', () => {
    const input = { max: 2, restart: { crashLoop: { failures: 2 } } }
    const copy = structuredClone(input)
    const o = resolvePoolOptions(input)
    expect(Object.isFrozen(o)).toBe(true)
    expect(Object.isFrozen(o.health)).toBe(true)
    expect(Object.isFrozen(o.restart)).toBe(true)
    expect(Object.isFrozen(o.restart.crashLoop)).toBe(true)
    expect(input).toEqual(copy)
    expect(Object.isFrozen(input)).toBe(false)
  })

  it.each<[unknown, RegExp]>([
    ['shared', /options must be an object/],
    [{ mode: 'pooled' }, /mode must be one of 'shared', 'per-session', 'per-request'/],
    [{ max: 0 }, /max must be an integer ≥ 1/],
    [{ min: -1 }, /min must be an integer ≥ 0/],
    [{ min: 5, max: 4 }, /min must be ≤ max/],
    [{ spares: 5, max: 4 }, /spares must be ≤ max/],
    [{ maxInFlight: 0 }, /maxInFlight must be an integer ≥ 1/],
    [{ idleTimeout: 0 }, /idleTimeout must be a whole number of ms from 1/],
    [{ maxLifetime: -1 }, /maxLifetime must be a whole number of ms from 0/],
    [{ acquireTimeout: 0 }, /acquireTimeout must be a whole number of ms from 1/],
    [{ maxWaiting: 1.5 }, /maxWaiting must be an integer/],
    [{ drainTimeout: Number.NaN }, /drainTimeout must be a whole number of ms/],
    [{ leaseIdleTimeout: '5m' }, /leaseIdleTimeout must be a whole number of ms/],
    [{ quarantine: -5 }, /quarantine must be a whole number of ms/],
    [{ onConnectionLost: 'retry' }, /onConnectionLost must be one of 'end-session', 'reopen'/],
    [{ onConnectionLost: 'end-session' }, /'end-session' needs mode 'per-session'/],
    [{ mode: 'per-request', onConnectionLost: 'end-session' }, /needs mode 'per-session'/],
    [{ health: 1 }, /health must be an object/],
    [{ health: { pingInterval: -1 } }, /health.pingInterval must be a whole number of ms from 0/],
    [{ health: { pingTimeout: 0 } }, /health.pingTimeout must be a whole number of ms from 1/],
    [{ health: { pingFailures: 0 } }, /health.pingFailures must be an integer ≥ 1/],
    [{ health: { keepAlive: -1 } }, /health.keepAlive must be a whole number of ms from 0/],
    [{ health: { http: { url: '/healthz' } } }, /health.http.url must be an absolute http/],
    [
      { health: { http: { url: 'file:///etc/passwd' } } },
      /health.http.url must be an absolute http/,
    ],
    [{ health: { http: { url: 'http://h', interval: 0 } } }, /health.http.interval/],
    [{ health: { http: { url: 'http://h', timeout: 0 } } }, /health.http.timeout/],
    [{ health: { http: { url: 'http://h', healthyThreshold: 0 } } }, /healthyThreshold must be/],
    [{ health: { http: { url: 'http://h', unhealthyThreshold: 0 } } }, /unhealthyThreshold must/],
    [{ restart: { baseDelay: -1 } }, /restart.baseDelay must be a whole number of ms from 0/],
    [{ restart: { maxDelay: 1, baseDelay: 2 } }, /restart.maxDelay must be ≥ restart.baseDelay/],
    [{ restart: { factor: 0 } }, /restart.factor must be a number ≥ 1/],
    [{ restart: { jitter: -0.1 } }, /restart.jitter must be between 0 and 1/],
    [{ restart: { stableAfter: -1 } }, /restart.stableAfter must be a whole number of ms/],
    [{ restart: { crashLoop: { failures: 0 } } }, /restart.crashLoop.failures must be/],
    [{ restart: { crashLoop: { windowMs: 0 } } }, /restart.crashLoop.windowMs must be/],
  ])('rejects %o with a TypeError naming the option', (options, message) => {
    expect(() => resolvePoolOptions(options as PoolOptions)).toThrow(TypeError)
    expect(() => resolvePoolOptions(options as PoolOptions)).toThrow(message)
  })
})
