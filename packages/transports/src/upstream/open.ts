import type { Connector } from '../protocol/channel.js'
import { GATEWAY_INFO, LATEST_PROTOCOL_VERSION } from '../version.js'
import {
  type ConnectionOptions,
  type ServerMessageHandlers,
  UpstreamConnection,
} from './connection.js'
import type { LeaseMode } from './source.js'

/** Open a connection to upstream `name` and run its MCP handshake; rejects with an error naming it. */
export function openConnection(
  name: string,
  connector: Connector,
  handlers: ServerMessageHandlers,
  options: ConnectionOptions,
): Promise<UpstreamConnection> {
  return new UpstreamConnection(name, connector, handlers).open(options)
}

/**
 * The gateway's own `initialize` params, for a connection no client's
 * handshake opens (shared, per-request, or a per-session lease reopened
 * without one).
 */
export function defaultInitialize(
  mode: LeaseMode,
  connector: Connector,
  clientInfo: { name: string; version: string } | undefined,
): Record<string, unknown> {
  return {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: gatewayCapabilities(mode, connector),
    clientInfo: clientInfo ?? GATEWAY_INFO,
  }
}

/**
 * The client capabilities the gateway's own handshake declares. Sampling,
 * elicitation and roots are requests a client answers: a shared connection
 * can deliver one only when its transport ties it to the client request
 * being served (`Connector.relatesRequests`), so only then does it declare
 * them; declaring them anyway makes servers offer tools that always fail
 * (issue 7, item 9). A per-request connection serves one request at a time,
 * so whoever sent it answers. Roots changes are one client's, so only a
 * per-session connection announces them.
 */
export function gatewayCapabilities(
  mode: LeaseMode,
  connector: Connector,
): Record<string, unknown> {
  if (mode === 'per-session') return { sampling: {}, elicitation: {}, roots: { listChanged: true } }
  if (mode === 'per-request') return { sampling: {}, elicitation: {}, roots: {} }
  return connector.relatesRequests === true ? { sampling: {}, elicitation: {}, roots: {} } : {}
}
