import type { ConfigFile } from './config-types.js'

/**
 * What the gateway serves with neither `--config` nor an upstream given (and
 * so what `npm start` serves): both bundled example upstreams as stdio
 * children behind the router, each under its own namespace (`math_add`,
 * `data_query`, …). `examples/gateway.json` is the same with more in it.
 */
export const DEFAULT_CONFIG: ConfigFile = {
  upstreams: {
    math: { example: 'math', namespace: true },
    data: { example: 'data', namespace: true },
  },
  routes: [{ resources: 'data://**', to: 'data' }],
}
