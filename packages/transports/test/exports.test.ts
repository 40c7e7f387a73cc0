import { expect, it } from 'vitest'
import * as root from '../src/index.js'
import * as node from '../src/node.js'
import * as stdio from '../src/stdio.js'
import * as websocket from '../src/websocket.js'

it('exports exactly the public API from the root entry', () => {
  expect(Object.keys(root).sort()).toMatchInlineSnapshot(`
    [
      "GATEWAY_INFO",
      "LATEST_PROTOCOL_VERSION",
      "Peer",
      "SUPPORTED_PROTOCOL_VERSIONS",
      "Session",
      "Upstream",
      "UpstreamConnection",
      "VERSION",
      "forward",
      "mergeCapabilities",
      "sessionKey",
      "streamableHttp",
      "upstream",
    ]
  `)
})

it('exports exactly the public API from @mcpx/transports/node', () => {
  expect(Object.keys(node).sort()).toMatchInlineSnapshot(`
    [
      "createNodeHandler",
      "createSseHandler",
      "serveHttp",
      "sse",
      "statusFor",
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
