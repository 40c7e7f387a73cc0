import { expect, it } from 'vitest'
import * as root from '../src/index.js'
import * as node from '../src/node.js'
import * as protocol from '../src/protocol.js'
import * as redis from '../src/redis.js'
import * as stdio from '../src/stdio.js'
import * as websocket from '../src/websocket.js'

it('exports exactly the public API from the root entry', () => {
  expect(Object.keys(root).sort()).toMatchInlineSnapshot(`
    [
      "GATEWAY_INFO",
      "LATEST_PROTOCOL_VERSION",
      "SUPPORTED_PROTOCOL_VERSIONS",
      "VERSION",
      "createStreamableHttpFetchHandler",
      "forward",
      "inProcess",
      "memoryEventStore",
      "sse",
      "streamableHttp",
      "upstream",
    ]
  `)
})

it('exports exactly the public API from @mcpx/transports/node', () => {
  expect(Object.keys(node).sort()).toMatchInlineSnapshot(`
    [
      "createSseHandler",
      "createStreamableHttpHandler",
      "listen",
      "serveHttp",
    ]
  `)
})

it('exports exactly the building blocks from @mcpx/transports/protocol', () => {
  expect(Object.keys(protocol).sort()).toMatchInlineSnapshot(`
    [
      "Peer",
      "Session",
      "SessionRoutes",
      "SseDecoder",
      "UpstreamConnection",
      "WireFault",
      "defaultInitialize",
      "httpAnswer",
      "openConnection",
      "ownerHandlers",
      "sessionKey",
      "sharedHandlers",
    ]
  `)
})

it('exports exactly the public API from @mcpx/transports/redis', () => {
  expect(Object.keys(redis).sort()).toMatchInlineSnapshot(`
    [
      "redisSessionDirectory",
    ]
  `)
})

it('exports exactly the public API from @mcpx/transports/stdio', () => {
  expect(Object.keys(stdio).sort()).toMatchInlineSnapshot(`
    [
      "DEFAULT_INHERITED_ENV",
      "serveStdio",
      "stdio",
    ]
  `)
})

it('exports exactly the public API from @mcpx/transports/websocket', () => {
  expect(Object.keys(websocket).sort()).toMatchInlineSnapshot(`
    [
      "WEBSOCKET_SUBPROTOCOL",
      "createWebSocketHandler",
      "websocket",
    ]
  `)
})
