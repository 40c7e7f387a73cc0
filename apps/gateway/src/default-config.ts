import type { ConfigFile } from './config-types.js'

/**
 * What the gateway serves with neither `--config` nor an upstream given (and
 * so what `npm start` serves; issue 15, "Embedded default"): the three
 * example upstreams of `@mcpx/examples` as stdio children behind the router,
 * each under its own namespace (`math_add`, `data_query`, `admin_status`, …),
 * over Streamable HTTP on loopback (the `serve` defaults), with metrics on
 * at `/metrics`. No `auth` section: every client is anonymous, which the
 * loopback rule allows and the CLI says at start-up. Nothing it holds lives
 * outside the process. `examples/gateway.json` is a file with more in it.
 */
export const DEFAULT_CONFIG: ConfigFile = {
  upstreams: {
    math: { example: 'math', namespace: true },
    data: { example: 'data', namespace: true },
    admin: { example: 'admin', namespace: true },
  },
  routes: [
    { resources: 'data://**', to: 'data' },
    { resources: 'admin://**', to: 'admin' },
  ],
  metrics: {},
}
