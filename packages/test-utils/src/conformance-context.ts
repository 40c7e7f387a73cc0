import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { AnySchema, SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js'
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type {
  LoggingLevel,
  ServerNotification,
  ServerRequest,
} from '@modelcontextprotocol/sdk/types.js'

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>

/**
 * How the fixture sends server-initiated requests (sampling, elicitation, roots).
 *
 * - `related`: through the handler's `extra.sendRequest`, tied to the `tools/call` that caused
 *   them. On Streamable HTTP they travel on that POST's SSE stream (Streamable HTTP §Sending
 *   Messages to the Server: messages SHOULD relate to the originating request).
 * - `standalone`: through `server.request()`, unrelated to any request, as the upstream
 *   reference "everything server" does. On Streamable HTTP they travel on the standalone GET
 *   SSE stream, so a client (or proxy) that never opens it hangs.
 */
export type ServerRequestMode = 'related' | 'standalone'

export interface FixtureContext {
  readonly mcp: McpServer
  readonly subscriptions: Set<string>
  /** Sends `notifications/message` tied to the current request, honouring `logging/setLevel`. */
  log(extra: Extra, level: LoggingLevel, data: unknown): Promise<void>
  /** Sends a server-initiated request the way {@link ServerRequestMode} says. */
  request<S extends AnySchema>(
    extra: Extra,
    request: ServerRequest,
    schema: S,
  ): Promise<SchemaOutput<S>>
}

const severity: Record<LoggingLevel, number> = {
  debug: 0,
  info: 1,
  notice: 2,
  warning: 3,
  error: 4,
  critical: 5,
  alert: 6,
  emergency: 7,
}

export function isLevelEnabled(level: LoggingLevel, threshold: LoggingLevel | undefined): boolean {
  return threshold === undefined || severity[level] >= severity[threshold]
}
