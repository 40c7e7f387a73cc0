import { ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import {
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import type { FixtureContext } from './conformance-context.js'
import { TEST_IMAGE_BASE64, WATCHED_RESOURCE_URI } from './conformance-data.js'

export function registerConformanceResources(ctx: FixtureContext): void {
  const { mcp } = ctx
  mcp.registerResource(
    'static-text',
    'test://static-text',
    { description: 'A static text resource', mimeType: 'text/plain' },
    (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'text/plain',
          text: 'This is the content of the static text resource.',
        },
      ],
    }),
  )
  mcp.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'A static binary resource (PNG)', mimeType: 'image/png' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: TEST_IMAGE_BASE64 }] }),
  )
  mcp.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    {
      description: 'A resource template with parameter substitution',
      mimeType: 'application/json',
    },
    (uri, { id }) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/json',
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }),
        },
      ],
    }),
  )
  mcp.registerResource(
    'watched-resource',
    WATCHED_RESOURCE_URI,
    { description: 'A resource clients may subscribe to', mimeType: 'text/plain' },
    (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }],
    }),
  )

  // resources-subscribe / resources-unsubscribe: McpServer has no subscription support of its own.
  mcp.server.setRequestHandler(SubscribeRequestSchema, (request) => {
    ctx.subscriptions.add(request.params.uri)
    return {}
  })
  mcp.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    ctx.subscriptions.delete(request.params.uri)
    return {}
  })
}
