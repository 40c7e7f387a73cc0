import type { IncomingMessage, ServerResponse } from 'node:http'
import type { UpstreamHealth } from '@mcpx/core'

/** The liveness path: 200 while the process serves. */
export const HEALTH_PATH = '/healthz'
/** The readiness path: 200 when every upstream can take traffic and the gateway is not shutting down. */
export const READY_PATH = '/readyz'

/** What `/readyz` answers from; the gateway's lifecycle writes it. */
export interface HealthState {
  /** Set once shutdown begins: `/readyz` answers 503 from then on, so that a load balancer stops sending. */
  shuttingDown: boolean
  /** The upstreams that cannot take traffic now (none until a source is given). */
  notReady: () => readonly string[]
}

export function createHealthState(): HealthState {
  return { shuttingDown: false, notReady: () => [] }
}

/**
 * The upstreams of the config none of whose replicas may get traffic now,
 * by the health registry the pools and circuit breakers write (a replica
 * nobody reported on counts as ready: a plain `upstream()` reports nothing).
 */
export function notReadyUpstreams(
  health: UpstreamHealth,
  upstreams: Readonly<Record<string, { replicas: readonly string[] }>>,
): () => string[] {
  const entries = Object.entries(upstreams)
  return () =>
    entries
      .filter(([, { replicas }]) => !replicas.some((replica) => health.isAvailable(replica)))
      .map(([name]) => name)
}

/** The name of a Host header without its port (`[::1]:3000` is `[::1]`), lower-cased. */
function hostName(host: string | undefined): string | undefined {
  if (host === undefined) return undefined
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':', 1)[0]!
  return name.toLowerCase()
}

/**
 * Answer `/healthz` and `/readyz`; false for any other path. No
 * authentication (a probe has no MCP token), but the front end's Host
 * allow-list applies, so that a page on another origin cannot read them
 * through DNS rebinding. GET and HEAD; any other method is a 405.
 */
export function answerHealth(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  state: HealthState,
  allowedHosts: ReadonlySet<string>,
): boolean {
  if (path !== HEALTH_PATH && path !== READY_PATH) return false
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers })
    res.end(req.method === 'HEAD' ? undefined : `${body}\n`)
  }
  const name = hostName(req.headers.host)
  if (name === undefined || !allowedHosts.has(name)) send(403, 'Forbidden: Host not allowed')
  else if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(405, 'Method Not Allowed', { allow: 'GET, HEAD' })
  } else if (path === HEALTH_PATH) send(200, 'ok')
  else if (state.shuttingDown) send(503, 'not ready: shutting down')
  else {
    const down = state.notReady()
    if (down.length === 0) send(200, 'ready')
    else send(503, `not ready: ${down.join(', ')}`)
  }
  return true
}
