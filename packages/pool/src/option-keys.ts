/**
 * The keys `pool()` accepts in each of its option objects (any other is
 * refused), for a configuration that checks pool options itself, such as
 * the gateway's config file: one list, so the two cannot drift apart.
 *
 * @example
 * ```ts
 * for (const key of Object.keys(section)) {
 *   if (!poolOptionKeys.pool.includes(key as never)) problems.push(`pool.${key}: unknown`)
 * }
 * ```
 */
export const poolOptionKeys = Object.freeze({
  pool: Object.freeze([
    'mode',
    'min',
    'max',
    'maxInFlight',
    'spares',
    'idleTimeout',
    'maxLifetime',
    'acquireTimeout',
    'maxWaiting',
    'drainTimeout',
    'leaseIdleTimeout',
    'quarantine',
    'onConnectionLost',
    'health',
    'restart',
  ] as const),
  health: Object.freeze([
    'pingInterval',
    'pingTimeout',
    'pingFailures',
    'keepAlive',
    'http',
  ] as const),
  http: Object.freeze([
    'url',
    'interval',
    'timeout',
    'healthyThreshold',
    'unhealthyThreshold',
  ] as const),
  restart: Object.freeze([
    'baseDelay',
    'maxDelay',
    'factor',
    'jitter',
    'stableAfter',
    'crashLoop',
  ] as const),
  crashLoop: Object.freeze(['failures', 'windowMs'] as const),
})

/**
 * The defaults that depend on `mode` (the rest are the same for every
 * mode): what `min`, `max`, `spares` and `onConnectionLost` are when not given.
 *
 * @example
 * ```ts
 * poolModeDefaults['per-session'].max // 100
 * ```
 */
export const poolModeDefaults = Object.freeze({
  shared: Object.freeze({ min: 1, max: 4, spares: 0, onConnectionLost: 'reopen' }),
  'per-request': Object.freeze({ min: 1, max: 4, spares: 0, onConnectionLost: 'reopen' }),
  'per-session': Object.freeze({ min: 0, max: 100, spares: 1, onConnectionLost: 'end-session' }),
} as const)
