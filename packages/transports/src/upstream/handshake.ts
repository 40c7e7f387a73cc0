import { type Context, mergeCapabilities } from '@mcpx/core'
import type { Session } from '../protocol/session.js'
import { GATEWAY_INFO, LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '../version.js'
import type { Upstream } from './upstream.js'

/** Options for {@link forward}. */
export interface ForwardOptions {
  /** The `serverInfo` the gateway answers `initialize` with. @defaultValue `{ name: 'mcpx', version }` */
  serverInfo?: { name: string; version: string; [key: string]: unknown }
  /** `instructions` for `initialize`. @defaultValue the upstream's own, when there is one upstream */
  instructions?: string
}

/**
 * The gateway answers `initialize` itself: each upstream connection made its
 * own handshake. The protocol version is the client's when mcpx speaks it
 * (or the one leased upstream's, when a single per-session upstream
 * negotiated for this very client), the capabilities are the union of the
 * upstreams', and the session learns the client's info and capabilities.
 */
export async function answerInitialize(
  ctx: Context,
  session: Session | undefined,
  list: readonly Upstream[],
  options: ForwardOptions,
): Promise<void> {
  const params = (ctx.params ?? {}) as Record<string, unknown>
  const connections = await Promise.all(list.map((up) => up.acquire(session, params)))
  const requested = params.protocolVersion as string
  let version = SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION
  // One leased upstream negotiated for this very client: speak what it speaks.
  const own = list.length === 1 && list[0]!.mode === 'per-session' ? connections[0] : undefined
  const upstreamVersion = own?.initializeResult.protocolVersion
  if (
    typeof upstreamVersion === 'string' &&
    SUPPORTED_PROTOCOL_VERSIONS.includes(upstreamVersion)
  ) {
    version = upstreamVersion
  }
  if (session) {
    session.info.protocolVersion = version
    session.info.clientInfo = params.clientInfo as Session['info']['clientInfo']
    session.info.clientCapabilities = params.capabilities as Session['info']['clientCapabilities']
  }
  const instructions =
    options.instructions ??
    (list.length === 1 ? connections[0]!.initializeResult.instructions : undefined)
  ctx.result = {
    protocolVersion: version,
    capabilities: mergeCapabilities(connections.map((connection) => connection.capabilities)),
    serverInfo: options.serverInfo ?? GATEWAY_INFO,
    ...(typeof instructions === 'string' ? { instructions } : {}),
  }
}
