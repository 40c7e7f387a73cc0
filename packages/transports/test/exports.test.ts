import { expect, it } from 'vitest'
import * as root from '../src/index.js'
import * as node from '../src/node.js'
import * as stdio from '../src/stdio.js'

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
      "upstream",
    ]
  `)
})

it('exports exactly the public API from @mcpx/transports/node', () => {
  expect(Object.keys(node).sort()).toMatchInlineSnapshot(`
    [
      "createNodeHandler",
      "serveHttp",
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
