import type { Connector } from '../protocol/channel.js'

/**
 * `shared`: one connection carries every session's requests (stateless
 * tools; cheapest). `per-session`: each downstream session leases its own
 * connection for its lifetime, opened with the client's own `initialize`
 * (stateful servers, logging level, roots, and server-initiated requests on
 * transports that cannot relate them).
 */
export type UpstreamMode = 'shared' | 'per-session'

/** Options for {@link upstream}. */
export interface UpstreamOptions {
  /** @defaultValue `'shared'` */
  mode?: UpstreamMode
  /**
   * Milliseconds a request may take before it is cancelled upstream and
   * fails with -32001; progress notifications restart the clock. 0 disables.
   * @defaultValue 60000
   */
  timeout?: number
  /**
   * Milliseconds a request may take in all, however much progress the
   * upstream sends (the SDK's `maxTotalTimeout`): then it is cancelled
   * upstream and fails with -32001. 0 disables. The default gives a
   * long-running tool that reports progress ten idle periods (ten minutes
   * with the default `timeout`) and scales with a raised `timeout`, while an
   * upstream stuck sending progress still lets go of the request.
   * @defaultValue 10 × `timeout` (so 0 when `timeout` is 0)
   */
  maxTotalTimeout?: number
  /** Milliseconds allowed to connect and finish `initialize`. @defaultValue 30000 */
  connectTimeout?: number
  /** `clientInfo` sent upstream by shared connections. @defaultValue `{ name: 'mcpx', version }` */
  clientInfo?: { name: string; version: string }
  /** Most per-session connections open at once; more sessions get -32011 (`Overloaded`). @defaultValue 1000 */
  maxConnections?: number
  /**
   * Shared connections only: most resource URIs one session may be
   * subscribed to at once; one more `resources/subscribe` fails with -32011.
   * @defaultValue 100
   */
  maxSubscriptionsPerSession?: number
  /**
   * Shared connections only: most distinct resource URIs subscribed upstream
   * at once, across sessions; a subscribe to one more fails with -32011.
   * @defaultValue 10000
   */
  maxSubscriptions?: number
  /**
   * Milliseconds over which `notifications/{tools,prompts,resources}/list_changed`
   * are coalesced, per session and method: the first opens the window and
   * one notification reaches the client when it closes, however many
   * arrived. A list change only says "list again", so one is as good as
   * ten. 0 delivers each at once.
   * @defaultValue 50
   */
  listChangedDebounce?: number
  /** Diagnostics from the upstream (stderr lines, dropped messages). @defaultValue writes to stderr */
  log?: (upstream: string, line: string) => void
}

/**
 * What an {@link Upstream} holds right now, read by {@link Upstream.stats}.
 * Every count returns to its idle value once the sessions using the
 * upstream have ended: leak tests and metrics read it.
 */
export interface UpstreamStats {
  /** Open connections (shared plus leased). */
  connections: number
  /** Sessions served and not yet ended; their end releases all that follows. */
  sessions: number
  /** Per-session connections, open or opening. */
  leases: number
  /** Client `initialize` params kept to reopen a per-session connection. */
  handshakes: number
  /** Distinct resource URIs subscribed upstream on the shared connection. */
  subscribedUris: number
  /** Sessions holding at least one subscription. */
  subscribedSessions: number
  /** (session, URI) subscription pairs. */
  subscriptions: number
  /** list_changed notifications waiting for their debounce window to close. */
  pendingListChanged: number
  /** Requests sent upstream and not yet answered, over every open connection. */
  pendingRequests: number
  /** Server-initiated requests (sampling, elicitation, roots) being delivered to clients. */
  serverRequests: number
  /** Tasks created on the shared connection whose status notifications still have a session to go to. */
  tasks: number
}

/** {@link UpstreamOptions} with every default filled in. */
export interface ResolvedUpstreamOptions {
  mode: UpstreamMode
  timeout: number
  maxTotalTimeout: number
  connectTimeout: number
  clientInfo: { name: string; version: string } | undefined
  maxConnections: number
  maxSubscriptionsPerSession: number
  maxSubscriptions: number
  listChangedDebounce: number
  log: (upstream: string, line: string) => void
}

const defaultLog = (upstream: string, line: string) => {
  console.error(`[mcpx upstream ${upstream}] ${line}`)
}

const POSITIVE = [
  'connectTimeout',
  'maxConnections',
  'maxSubscriptionsPerSession',
  'maxSubscriptions',
] as const
const NON_NEGATIVE = ['timeout', 'maxTotalTimeout', 'listChangedDebounce'] as const

/** Check an upstream's name, connector and options, and fill in the defaults. Throws `TypeError`. */
export function resolveUpstreamOptions(
  name: string,
  connector: Connector,
  options: UpstreamOptions,
): ResolvedUpstreamOptions {
  if (typeof name !== 'string' || name === '')
    throw new TypeError('[@mcpx/transports] upstream needs a name')
  if (!connector || typeof connector.open !== 'function') {
    throw new TypeError(
      `[@mcpx/transports] upstream "${name}" needs a connector (stdio(), streamableHttp(), …)`,
    )
  }
  const fail = (what: string) => new TypeError(`[@mcpx/transports] upstream "${name}": ${what}`)
  if (options.mode !== undefined && options.mode !== 'shared' && options.mode !== 'per-session') {
    throw fail(`mode must be 'shared' or 'per-session'`)
  }
  for (const key of NON_NEGATIVE) {
    const value = options[key]
    if (value !== undefined && !(value >= 0)) throw fail(`${key} must be >= 0`)
  }
  for (const key of POSITIVE) {
    const value = options[key]
    if (value !== undefined && !(value > 0)) throw fail(`${key} must be > 0`)
  }
  const timeout = options.timeout ?? 60_000
  return {
    mode: options.mode ?? 'shared',
    timeout,
    maxTotalTimeout: options.maxTotalTimeout ?? 10 * timeout,
    connectTimeout: options.connectTimeout ?? 30_000,
    clientInfo: options.clientInfo,
    maxConnections: options.maxConnections ?? 1000,
    maxSubscriptionsPerSession: options.maxSubscriptionsPerSession ?? 100,
    maxSubscriptions: options.maxSubscriptions ?? 10_000,
    listChangedDebounce: options.listChangedDebounce ?? 50,
    log: options.log ?? defaultLog,
  }
}
