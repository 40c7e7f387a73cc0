import { type Context, mergeCapabilities } from '@mcpx/core'
import type { Result } from '../protocol/peer.js'
import type { Session } from '../protocol/session.js'
import { GATEWAY_INFO, LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '../version.js'
import type { UpstreamSource } from './source.js'

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
  list: readonly UpstreamSource[],
  options: ForwardOptions,
): Promise<void> {
  const params = (ctx.params ?? {}) as Record<string, unknown>
  const results: Result[] = await Promise.all(list.map((up) => up.handshake(session, params, ctx)))
  const requested = params.protocolVersion as string
  let version = SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION
  // One leased upstream negotiated for this very client: speak what it speaks.
  const own = list.length === 1 && list[0]!.mode === 'per-session' ? results[0] : undefined
  const upstreamVersion = own?.protocolVersion
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
    options.instructions ?? (list.length === 1 ? results[0]!.instructions : undefined)
  ctx.result = {
    protocolVersion: version,
    capabilities: mergeCapabilities(results.map(capabilitiesOf)),
    serverInfo: options.serverInfo ?? GATEWAY_INFO,
    ...(typeof instructions === 'string' ? { instructions } : {}),
  }
}

/** The server's capabilities, from its `initialize` result. */
const capabilitiesOf = (result: Result): Record<string, unknown> =>
  (result.capabilities as Record<string, unknown> | undefined) ?? {}
