import { expect, it } from 'vitest'
import * as root from '../src/index.js'
import * as node from '../src/node.js'

it('exports exactly the public API', () => {
  expect(Object.keys(root).sort()).toMatchInlineSnapshot(`
    [
      "access",
      "anyOf",
      "apiKey",
      "authenticate",
      "bearer",
      "clientCredentials",
      "custom",
      "grantsScope",
      "insufficientScope",
      "introspection",
      "jwt",
      "missingScopes",
      "protectedResourceHandler",
      "protectedResourceMetadata",
      "protectedResourceMetadataUrl",
      "requireScopes",
      "withResourceMetadata",
      "wwwAuthenticate",
    ]
  `)
})

it('exports exactly the Node-only API from @mcpx/auth/node', () => {
  expect(Object.keys(node).sort()).toMatchInlineSnapshot(`
    [
      "basic",
      "hashPassword",
    ]
  `)
})
