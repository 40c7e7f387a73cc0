import {
  CreateMessageResultSchema,
  type ElicitRequestFormParams,
  ElicitResultSchema,
  ListRootsResultSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { Extra, FixtureContext } from './conformance-context.js'
import {
  ELICITATION_DEFAULTS_SCHEMA,
  ELICITATION_ENUMS_SCHEMA,
  ELICITATION_SCHEMA,
  TEST_AUDIO_BASE64,
  TEST_IMAGE_BASE64,
  WATCHED_RESOURCE_URI,
} from './conformance-data.js'

export const JSON_SCHEMA_TOOL = 'json_schema_2020_12_tool'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] })

export function registerConformanceTools(ctx: FixtureContext): void {
  // Long on purpose: the conformance suite's tools, one registration each, in one list.
  const { mcp } = ctx

  // --- content shapes (tools-call-simple-text, -image, -audio, -embedded-resource, -mixed-content)
  mcp.registerTool('test_simple_text', { description: 'Returns simple text content' }, () =>
    text('This is a simple text response for testing.'),
  )
  mcp.registerTool('test_image_content', { description: 'Returns image content' }, () => ({
    content: [{ type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' }],
  }))
  mcp.registerTool('test_audio_content', { description: 'Returns audio content' }, () => ({
    content: [{ type: 'audio', data: TEST_AUDIO_BASE64, mimeType: 'audio/wav' }],
  }))
  mcp.registerTool(
    'test_embedded_resource',
    { description: 'Returns an embedded resource' },
    () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  )
  mcp.registerTool(
    'test_multiple_content_types',
    { description: 'Returns text, image and resource content' },
    () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  )
  // tools-call-error: a tool error is a result with isError, not a JSON-RPC error.
  mcp.registerTool('test_error_handling', { description: 'Always returns a tool error' }, () => ({
    isError: true,
    content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
  }))

  // --- notifications tied to the request (tools-call-with-logging, tools-call-with-progress)
  mcp.registerTool(
    'test_tool_with_logging',
    { description: 'Sends three info log notifications ~50 ms apart', inputSchema: {} },
    async (_args, extra) => {
      await ctx.log(extra, 'info', 'Tool execution started')
      await sleep(50)
      await ctx.log(extra, 'info', 'Tool processing data')
      await sleep(50)
      await ctx.log(extra, 'info', 'Tool execution completed')
      return text('Tool with logging executed successfully')
    },
  )
  mcp.registerTool(
    'test_tool_with_progress',
    {
      description: 'Reports progress 0, 50, 100 of 100 when given a progressToken',
      inputSchema: {},
    },
    async (_args, extra) => {
      const token = extra._meta?.progressToken
      for (const progress of [0, 50, 100]) {
        if (progress > 0) await sleep(50)
        if (token === undefined) continue
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress, total: 100, message: `${progress}/100` },
        })
      }
      return text(`Progress reported for token ${String(token)}`)
    },
  )

  registerServerRequestTools(ctx)
  registerMiscTools(ctx)
}

/** Tools that make the server call the client back: sampling, elicitation, roots. */
function registerServerRequestTools(ctx: FixtureContext): void {
  // Long on purpose, as above: one registration per tool.
  const { mcp } = ctx
  const elicit = async (
    extra: Extra,
    message: string,
    requestedSchema: ElicitRequestFormParams['requestedSchema'],
  ) => {
    const result = await ctx.request(
      extra,
      { method: 'elicitation/create', params: { message, requestedSchema } },
      ElicitResultSchema,
    )
    return text(
      `Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`,
    )
  }

  mcp.registerTool(
    'test_sampling',
    {
      description: 'Asks the client to sample an LLM (sampling/createMessage)',
      inputSchema: { prompt: z.string().describe('The prompt to send to the LLM') },
    },
    async ({ prompt }, extra) => {
      const result = await ctx.request(
        extra,
        {
          method: 'sampling/createMessage',
          params: {
            messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
            maxTokens: 100,
          },
        },
        CreateMessageResultSchema,
      )
      const reply =
        result.content.type === 'text' ? result.content.text : `[${result.content.type}]`
      return text(`LLM response: ${reply}`)
    },
  )
  mcp.registerTool(
    'test_elicitation',
    {
      description: 'Asks the client for user input (elicitation/create)',
      inputSchema: { message: z.string().describe('The message to show the user') },
    },
    ({ message }, extra) => elicit(extra, message, ELICITATION_SCHEMA),
  )
  mcp.registerTool(
    'test_elicitation_sep1034_defaults',
    {
      description: 'Elicitation with a default for every primitive type (SEP-1034)',
      inputSchema: {},
    },
    (_args, extra) =>
      elicit(
        extra,
        'Please review and update the form fields with defaults',
        ELICITATION_DEFAULTS_SCHEMA,
      ),
  )
  mcp.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicitation with the five enum schema shapes (SEP-1330)', inputSchema: {} },
    (_args, extra) =>
      elicit(extra, 'Please select options from the enum fields', ELICITATION_ENUMS_SCHEMA),
  )
  // mcpx extra: roots/list (no conformance server scenario exercises roots).
  mcp.registerTool(
    'test_roots',
    {
      description: 'Asks the client for its roots (roots/list) and returns them as JSON',
      inputSchema: {},
    },
    async (_args, extra) => {
      const result = await ctx.request(extra, { method: 'roots/list' }, ListRootsResultSchema)
      return text(JSON.stringify(result.roots))
    },
  )
}

function registerMiscTools(ctx: FixtureContext): void {
  const { mcp } = ctx
  // server-sse-polling (SEP-1699, pending in 0.1.16): close the POST SSE stream mid-call; the
  // result is stored in the event store and replayed when the client resumes with Last-Event-ID.
  mcp.registerTool(
    'test_reconnection',
    {
      description: 'Closes its SSE stream mid-call and answers after the client reconnects',
      inputSchema: {},
    },
    async (_args, extra) => {
      extra.closeSSEStream?.()
      await sleep(100)
      return text('Reconnection test completed successfully.')
    },
  )
  // json-schema-2020-12 (SEP-1613, pending in 0.1.16): the listing carries the raw schema,
  // see preserveRawToolSchema in conformance-server.ts.
  mcp.registerTool(
    JSON_SCHEMA_TOOL,
    {
      description: 'Tool with JSON Schema 2020-12 features (SEP-1613)',
      inputSchema: {
        name: z.string().optional(),
        address: z
          .object({ street: z.string().optional(), city: z.string().optional() })
          .optional(),
      },
    },
    (args) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  )
  // mcpx extras: notifications not tied to any request. On Streamable HTTP they can only reach
  // the client on the standalone GET SSE stream.
  mcp.registerTool(
    'test_notify_list_changed',
    {
      description: 'Sends tools, resources and prompts list_changed notifications',
      inputSchema: {},
    },
    () => {
      mcp.sendToolListChanged()
      mcp.sendResourceListChanged()
      mcp.sendPromptListChanged()
      return text('list_changed sent for tools, resources and prompts')
    },
  )
  mcp.registerTool(
    'test_notify_resource_updated',
    {
      description: 'Sends notifications/resources/updated for a URI if the client subscribed to it',
      inputSchema: { uri: z.string().optional().describe(`Defaults to ${WATCHED_RESOURCE_URI}`) },
    },
    async ({ uri = WATCHED_RESOURCE_URI }) => {
      if (!ctx.subscriptions.has(uri)) return text(`not subscribed: ${uri}`)
      await mcp.server.sendResourceUpdated({ uri })
      return text(`resources/updated sent: ${uri}`)
    },
  )
}
