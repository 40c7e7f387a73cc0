import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import {
  ListToolsRequestSchema,
  type ListToolsResult,
  type LoggingLevel,
  SetLevelRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import {
  type FixtureContext,
  isLevelEnabled,
  type ServerRequestMode,
} from './conformance-context.js'
import { JSON_SCHEMA_2020_12_INPUT_SCHEMA } from './conformance-data.js'
import { registerConformancePrompts } from './conformance-prompts.js'
import { registerConformanceResources } from './conformance-resources.js'
import { JSON_SCHEMA_TOOL, registerConformanceTools } from './conformance-tools.js'

export interface ConformanceServerOptions {
  /**
   * How sampling, elicitation and roots requests are sent (see {@link ServerRequestMode}).
   * @defaultValue 'related'
   */
  serverRequests?: ServerRequestMode
  /**
   * `serverInfo.name` in the initialize result.
   * @defaultValue 'mcpx-conformance-fixture'
   */
  name?: string
}

/**
 * The MCP server that the server scenarios of `@modelcontextprotocol/conformance` 0.1.16 expect
 * (tool, resource and prompt names and payloads as in the upstream reference "everything
 * server"), plus a few mcpx extras for what the suite does not cover: roots, list_changed and
 * resources/updated. One instance serves one client session.
 *
 * @example
 * ```ts
 * const server = createConformanceServer()
 * await server.connect(new StdioServerTransport())
 * ```
 */
export function createConformanceServer(options: ConformanceServerOptions = {}): McpServer {
  const serverRequests = options.serverRequests ?? 'related'
  if (serverRequests !== 'related' && serverRequests !== 'standalone') {
    throw new TypeError(`[@mcpx/test-utils] serverRequests must be 'related' or 'standalone'`)
  }
  const mcp = new McpServer(
    { name: options.name ?? 'mcpx-conformance-fixture', version: '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
    },
  )

  let logLevel: LoggingLevel | undefined
  // Replaces the SDK's built-in handler so the threshold also applies to notifications sent
  // with `extra.sendNotification` (the SDK filters only `sendLoggingMessage`).
  mcp.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    logLevel = request.params.level
    return {}
  })

  const ctx: FixtureContext = {
    mcp,
    subscriptions: new Set(),
    async log(extra, level, data) {
      if (!isLevelEnabled(level, logLevel)) return
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level, logger: 'conformance-fixture', data },
      })
    },
    request(extra, request, schema) {
      return serverRequests === 'related'
        ? extra.sendRequest(request, schema)
        : mcp.server.request(request, schema)
    },
  }

  registerConformanceTools(ctx)
  registerConformanceResources(ctx)
  registerConformancePrompts(ctx)
  preserveRawToolSchema(mcp)
  return mcp
}

type RawHandler = (request: unknown, extra: unknown) => Promise<ListToolsResult>

/**
 * `McpServer` derives every `inputSchema` from zod, which cannot express `$schema`/`$defs`
 * (SEP-1613). Wrap its `tools/list` handler and put the raw 2020-12 schema back for the one
 * tool that needs it. Reads a private SDK field, as the upstream reference server does; if the
 * field moves, the tool keeps its zod-derived schema and only `json-schema-2020-12` fails.
 */
function preserveRawToolSchema(mcp: McpServer): void {
  const handlers = (mcp.server as unknown as { _requestHandlers?: Map<string, RawHandler> })
    ._requestHandlers
  const inner = handlers?.get('tools/list')
  if (!inner) return
  mcp.server.setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
    const result = await inner(request, extra)
    return {
      ...result,
      tools: result.tools.map((tool) =>
        tool.name === JSON_SCHEMA_TOOL
          ? { ...tool, inputSchema: structuredClone(JSON_SCHEMA_2020_12_INPUT_SCHEMA) }
          : tool,
      ),
    }
  })
}
